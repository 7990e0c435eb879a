/**
 * The value of a result, or the typed error that carries it: what `call()` returns or throws.
 */
import { ExecutionTimeoutError, SandboxCrashError, UserCodeError } from '../errors.js';
import type { ExecutionResult } from '../types.js';

/**
 * @throws UserCodeError for status `error`, ExecutionTimeoutError for `timeout`, SandboxCrashError otherwise
 */
export function resultValue<T>(result: ExecutionResult<T>): T {
  switch (result.status) {
    case 'success':
      return result.result as T;
    case 'error':
      throw new UserCodeError(result);
    case 'timeout':
      throw new ExecutionTimeoutError(result);
    default:
      throw new SandboxCrashError(result);
  }
}
