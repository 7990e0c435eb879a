/**
 * The wait for a program to be ready (the runtime loaded and prepared, the code compiled), bounded by the
 * call's `compileTimeoutMs` and its cancellation. `timeoutMs` bounds the run alone: a first C call spends
 * seconds building, which a run limit of 100 ms must not count, but no wait is unbounded.
 */
import type { ProgramPlan } from '../runtime/program.js';
import { ProgramBuildError, type PhaseProgress, type ProgramPhase } from './language.js';
import type { PlanWatch } from './program-planner.js';

/** Why a program was not planned, when the reason is no bug. */
export type PlanFailure =
  /** The user's code does not build. */
  | { kind: 'build-error'; error: ProgramBuildError }
  /** The program was not ready within `compileTimeoutMs`; the build goes on only while another call waits for it. */
  | { kind: 'compile-timeout'; timeoutMs: number }
  /** The caller's signal aborted the wait. */
  | { kind: 'cancelled'; reason: unknown };

/** How long to wait, and for whom. */
export interface PlanLimits {
  compileTimeoutMs: number;
  /** The caller's cancellation. */
  signal?: AbortSignal;
  onPhase?: (phase: ProgramPhase, progress?: PhaseProgress) => void;
}

/** The reason of the deadline's abort. */
class CompileDeadlinePassed extends Error {
  constructor(readonly timeoutMs: number) {
    super(`The program was not ready within compileTimeoutMs (${timeoutMs} ms)`);
    this.name = 'CompileDeadlinePassed';
  }
}

/**
 * Plans a program within the limits: the plan, or why there is none.
 *
 * @param plan makes the plan, watching the signal it is given (ProgramPlanner.plan)
 * @throws whatever else planning throws (a missing runtime: a failure of the package, not of the call)
 */
export async function planWithin(plan: (watch: PlanWatch) => Promise<ProgramPlan>, limits: PlanLimits): Promise<ProgramPlan | PlanFailure> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(new CompileDeadlinePassed(limits.compileTimeoutMs)), limits.compileTimeoutMs);
  const signal = limits.signal ? AbortSignal.any([deadline.signal, limits.signal]) : deadline.signal;
  try {
    return await plan({ signal, onPhase: limits.onPhase });
  } catch (error) {
    if (error instanceof ProgramBuildError) return { kind: 'build-error', error };
    if (limits.signal?.aborted) return { kind: 'cancelled', reason: limits.signal.reason };
    if (deadline.signal.aborted) return { kind: 'compile-timeout', timeoutMs: limits.compileTimeoutMs };
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

/** Whether planning gave a plan. */
export function isPlanFailure(outcome: ProgramPlan | PlanFailure): outcome is PlanFailure {
  return 'kind' in outcome;
}
