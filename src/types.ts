/**
 * Public types shared by requests and results.
 *
 * One request shape ({@link ExecutionRequest}) and one result shape ({@link ExecutionResult}) serve every
 * entry point: `invoke()` resolves with the result, `call()` returns its value or throws an error that
 * carries it, `stream()` ends with it.
 */

/** Languages the executor can run. `js` is an alias of `javascript`. */
export type Language = 'python';

/** A language name as accepted in requests: a {@link Language} or one of its aliases. */
export type LanguageInput = Language | (string & {});

/** Final state of an execution. */
export type ExecutionStatus =
  /** The function returned; `result` holds its value. */
  | 'success'
  /** The user's code raised an error, failed to compile, or returned a value that cannot be serialized. */
  | 'error'
  /** The execution ran over `timeoutMs` and was stopped. */
  | 'timeout'
  /** The sandboxed program died without a result (trap, abort, unexpected exit). */
  | 'crash';

/** What went wrong, in the terms of the user's language. */
export interface ExecutionErrorInfo {
  /** The language's own error type (`ZeroDivisionError`, `SyntaxError`…) or one of ours (`Timeout`, `Crash`…). */
  type: string;
  /** Human-readable message. */
  message: string;
  /** Traceback or stack trace with the line numbers of the user's code, when available. */
  traceback?: string;
  /** Line of the user's code where the error happened, when known (1-based). */
  line?: number;
}

/** A call to make inside the sandbox. */
export interface ExecutionRequest {
  /** Language of `code`. */
  language: LanguageInput;
  /** Source code that defines the function. */
  code: string;
  /**
   * Function to call. Optional when the code defines exactly one top-level function (or exactly one whose
   * name does not start with `_`).
   */
  functionName?: string;
  /** Positional arguments. */
  args?: readonly unknown[];
  /** Keyword (named) arguments. */
  kwargs?: Readonly<Record<string, unknown>>;
  /** Wall-clock limit for the execution in milliseconds (default: the executor's `timeoutMs`). */
  timeoutMs?: number;
  /** Bytes fed to the program's standard input after the call request; the program sees end-of-input after them. */
  stdin?: string | Uint8Array;
}

/** Outcome of one execution. The same shape whether it succeeded or not. */
export interface ExecutionResult<T = unknown> {
  /** Identifier of this execution, unique within the process. */
  id: string;
  /** Final state. */
  status: ExecutionStatus;
  /** The function's return value when `status` is `success`. */
  result?: T;
  /** Everything the program wrote to standard output, decoded as UTF-8. */
  stdout: string;
  /** Everything the program wrote to standard error, decoded as UTF-8. */
  stderr: string;
  /** Exit code of the sandboxed process, or `null` when it was stopped before it exited. */
  exitCode: number | null;
  /** Wall-clock time of the execution in milliseconds, from dispatch to completion. */
  durationMs: number;
  /** Details when `status` is not `success`. */
  error?: ExecutionErrorInfo;
  /** Language that ran. */
  language: Language;
  /** Function that was called. */
  functionName: string;
}

/** Options of a {@link SandboxExecutor}. Every field is optional. */
export interface SandboxExecutorOptions {
  /** Default `timeoutMs` for requests that do not set one (default 30 000). */
  timeoutMs?: number;
  /** Largest encoded request accepted, in bytes (default 64 MiB). */
  maxPayloadBytes?: number;
  /** Number of worker threads (default: number of CPU cores). */
  poolSize?: number;
}
