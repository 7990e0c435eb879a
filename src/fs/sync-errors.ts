/**
 * Errors of writing a call's changes back to disk. Each carries the report of the sync.
 */
import { SandboxError } from '../errors.js';
import type { SyncReport } from './fs-types.js';

/**
 * Writing changes back to disk failed (a write error, or a host file changed since it was loaded). Every
 * file the sync had touched was restored: the disk is as it was before the sync.
 */
export class SyncError extends SandboxError {
  /** The report of the failed sync (state `failed`). */
  readonly report: SyncReport;

  constructor(message: string, report: SyncReport, options?: { cause?: unknown }, code = 'SYNC_FAILED') {
    super(code, message, options);
    this.report = report;
  }
}

/**
 * The disk changed after the call loaded its files: a file the call modifies or deletes was changed there
 * (by another call or process), or a file appeared where the call creates one. Nothing of the call was
 * written (`report.state` is `conflict`); run it again on the new contents.
 */
export class SyncConflictError extends SyncError {
  /** The host file that differed. */
  readonly hostPath: string;

  constructor(message: string, report: SyncReport, hostPath: string) {
    super(message, report, undefined, 'SYNC_CONFLICT');
    this.hostPath = hostPath;
  }
}
