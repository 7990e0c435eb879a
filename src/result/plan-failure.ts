/**
 * The result of a call whose program never ran: its code did not build, it was not ready within
 * `compileTimeoutMs`, or it was cancelled while being prepared.
 */
import type { PlanFailure } from '../languages/build-deadline.js';
import type { ExecutionResult, Language } from '../types.js';
import { buildFailureResult } from './build-result.js';

/** `error.type` of a call whose program was not ready within `compileTimeoutMs`. */
export const COMPILE_TIMEOUT = 'CompileTimeout';

/** The result of a call that ended before its program ran. */
export function planFailureResult(failure: PlanFailure, call: { id: string; language: Language; functionName: string; durationMs: number }): ExecutionResult {
  switch (failure.kind) {
    case 'build-error':
      return buildFailureResult({ ...call, error: failure.error.info, stderr: failure.error.stderr });
    case 'compile-timeout':
      return {
        ...buildFailureResult({
          ...call,
          stderr: '',
          error: {
            type: COMPILE_TIMEOUT,
            message: `The program was not ready within compileTimeoutMs (${failure.timeoutMs} ms): loading the runtime and compiling took longer, so the call never ran. Raise compileTimeoutMs, or warm the executor up first (executor.warmup()).`,
          },
        }),
        status: 'timeout',
      };
    case 'cancelled':
      return {
        ...buildFailureResult({ ...call, stderr: '', error: { type: 'Cancelled', message: 'The execution was cancelled.' } }),
        status: 'cancelled',
      };
  }
}
