/**
 * Errors that carry the {@link ExecutionResult} of the execution they end, so that nothing is lost when
 * they are thrown: what `call()` throws for an execution that did not succeed, and the cancellation
 * error.
 */
import { SandboxError } from '../errors.js';
import type { ExecutionResult } from '../types.js';

/**
 * The call was cancelled through its `signal`, while waiting for a worker or while running. `result`
 * holds what the call produced until then: status `cancelled`, and the stdout and stderr written before
 * the cancellation (empty when it never started).
 */
export class ExecutionCancelledError extends SandboxError {
  /** The partial result. */
  readonly result: ExecutionResult;

  constructor(result: ExecutionResult, reason?: unknown) {
    super('EXECUTION_CANCELLED', `The execution was cancelled${reasonText(reason)}.`, reason === undefined ? undefined : { cause: reason });
    this.result = result;
  }
}

function reasonText(reason: unknown): string {
  if (reason instanceof Error && reason.name !== 'AbortError') return `: ${reason.message}`;
  if (typeof reason === 'string') return `: ${reason}`;
  return '';
}

// ---------------------------------------------------------------------------------------------
// Errors thrown by `call()` for outcomes of running user code. Each carries the full result.
// ---------------------------------------------------------------------------------------------

/** Base class of the errors `call()` throws for an execution that did not succeed. */
export class ExecutionError extends SandboxError {
  /** The complete execution result: output, timings and error details are never lost. */
  readonly result: ExecutionResult;

  constructor(code: string, message: string, result: ExecutionResult) {
    super(code, message);
    this.result = result;
  }
}

/** The user's code raised an exception, failed to compile, or the return value could not be serialized. */
export class UserCodeError extends ExecutionError {
  /** The language's own error type, for example `ZeroDivisionError` or `SyntaxError`. */
  readonly type: string;
  /** Traceback or stack trace with line numbers of the user's code, when the language provides one. */
  readonly traceback: string | undefined;
  /** Line in the user's code where the error happened, when known. */
  readonly line: number | undefined;

  constructor(result: ExecutionResult) {
    const info = result.error ?? { type: 'Error', message: 'Unknown error' };
    super('USER_CODE_ERROR', `${info.type}: ${info.message}`, result);
    this.type = info.type;
    this.traceback = info.traceback;
    this.line = info.line;
  }
}

/** The execution ran longer than `timeoutMs` and was stopped. */
export class ExecutionTimeoutError extends ExecutionError {
  constructor(result: ExecutionResult) {
    super('EXECUTION_TIMEOUT', result.error?.message ?? 'The execution timed out.', result);
  }
}

/** The sandboxed program died without producing a result (a trap, an abort or an unexpected exit). */
export class SandboxCrashError extends ExecutionError {
  constructor(result: ExecutionResult) {
    super('SANDBOX_CRASH', result.error?.message ?? 'The sandboxed program crashed.', result);
  }
}

/**
 * The program's result was larger than `maxResultBytes`: it was stopped as soon as its result frame
 * announced the size, and nothing of the value was read. The result has status `error` and
 * `error.type` `ResultTooLarge`.
 */
export class ResultTooLargeError extends ExecutionError {
  constructor(result: ExecutionResult) {
    super('RESULT_TOO_LARGE', result.error?.message ?? 'The result was larger than maxResultBytes.', result);
  }
}
