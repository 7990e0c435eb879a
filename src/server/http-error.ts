/**
 * An error the HTTP adapter answers with a status of its own (403, 415, 503…), as opposed to the library's
 * typed errors, which it maps to statuses in one place.
 */
import { SandboxError } from '../errors.js';

export class HttpError extends SandboxError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
    /** Headers to send with the answer (`WWW-Authenticate`, `Retry-After`). */
    readonly headers: Readonly<Record<string, string>> = {},
    /** Extra fields of the JSON error (`field`, `limit`). */
    details: { field?: string; limit?: number } = {},
  ) {
    super(code, message);
    Object.assign(this, details);
  }
}
