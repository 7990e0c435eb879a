/**
 * The value of a result, or the typed error that carries it: what `call()` returns or throws.
 */
import { ExecutionTimeoutError, ResultTooLargeError, SandboxCrashError, UserCodeError } from './execution-errors.js';
import { RESULT_TOO_LARGE } from './build-result.js';
import type { ExecutionResult } from '../types.js';

/**
 * @throws UserCodeError for status `error` (ResultTooLargeError when the result went over
 *   `maxResultBytes`), ExecutionTimeoutError for `timeout`, SandboxCrashError otherwise
 */
export function resultValue<T>(result: ExecutionResult<T>): T {
  switch (result.status) {
    case 'success':
      return result.result as T;
    case 'error':
      if (result.error?.type === RESULT_TOO_LARGE) throw new ResultTooLargeError(result);
      throw new UserCodeError(result);
    case 'timeout':
      throw new ExecutionTimeoutError(result);
    default:
      throw new SandboxCrashError(result);
  }
}
