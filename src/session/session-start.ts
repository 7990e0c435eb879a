/**
 * Why a session's program could not start, as the error `createSession()` (or the call that restarts the
 * session) rejects with, carrying a result like a call's.
 */
import type { PlanFailure } from '../languages/build-deadline.js';
import { ExecutionCancelledError, ExecutionTimeoutError, UserCodeError } from '../result/execution-errors.js';
import { planFailureResult } from '../result/plan-failure.js';
import type { Language } from '../types.js';

/** The error for a session program that was not planned: code that does not build, or not ready in time. */
export function sessionStartError(
  failure: PlanFailure,
  session: { id: string; language: Language; functionName: string },
): UserCodeError | ExecutionTimeoutError | ExecutionCancelledError {
  const result = planFailureResult(failure, { ...session, durationMs: 0 });
  switch (failure.kind) {
    case 'build-error':
      return new UserCodeError(result);
    case 'compile-timeout':
      return new ExecutionTimeoutError(result);
    case 'cancelled':
      return new ExecutionCancelledError(result, failure.reason);
  }
}
