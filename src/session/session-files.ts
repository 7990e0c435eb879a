/**
 * The files of a session: loaded into its interpreter when it starts (the request's `files` and its
 * mounts), and written back on `session.sync()` and at `session.close()`, with the guarantees of a
 * one-shot call (permissions, conflicts, all or nothing). Each sync writes what changed since the last
 * one that was settled.
 */
import { CallFiles, type FilePlan } from '../fs/file-sync.js';
import type { FilesReport } from '../fs/fs-types.js';
import { SyncConflictError, SyncError } from '../fs/sync-errors.js';
import type { Job } from '../runtime/job-runner.js';
import type { JobFile } from '../runtime/worker-protocol.js';

/** The sync states after which the changes are settled: the next sync starts from there. */
const SETTLED = new Set(['written', 'dry-run', 'skipped']);

export class SessionFiles {
  private constructor(
    private readonly files: CallFiles,
    /** Write what is left at `close()` (`sync.mode` `auto`). */
    readonly syncAtClose: boolean,
  ) {}

  /**
   * Loads the session's files (the mounts as they are on disk now).
   *
   * @throws MountError, InvalidRequestError as for a one-shot call
   */
  static async load(plan: FilePlan): Promise<SessionFiles> {
    // `manual` means: written when `sync()` is called, never at close; each sync writes at once.
    const syncing: FilePlan = plan.mode === 'manual' ? { ...plan, mode: 'auto' } : plan;
    return new SessionFiles(await CallFiles.load(syncing), plan.mode === 'auto');
  }

  /** Files to put in the interpreter's sandbox. */
  get jobFiles(): JobFile[] {
    return this.files.files;
  }

  /** Folders to create there. */
  get dirs(): string[] {
    return this.files.dirs;
  }

  /**
   * Writes back what the session's program changed since the last settled sync, as a one-shot call
   * would after it succeeded. The job must be between calls.
   *
   * @returns the report (`sync.state` `written`, `dry-run`, `vetoed` by `beforeSync`, or `skipped` with
   *   `sync.mode` `none`)
   * @throws SyncConflictError when the disk changed since the files were loaded (nothing written);
   *   SyncError when a write failed (everything restored), a change is denied (`onDenied: 'error'`,
   *   code `SYNC_DENIED`, nothing written), `beforeSync` threw, or the changes could not be read
   */
  async sync(job: Job): Promise<FilesReport> {
    const changes = await job.fileChanges();
    const { report, error, conflictAt } = await this.files.finish(changes, true);
    if (changes === undefined) {
      throw new SyncError("The session's interpreter ended before it reported its file changes: they are lost, and nothing was written.", report.sync);
    }
    const state = report.sync.state;
    if (SETTLED.has(state) || (state === 'vetoed' && !error)) job.acceptFileChanges();
    if (!error) return report;
    if (state === 'conflict') throw new SyncConflictError(error.message, report.sync, conflictAt ?? '');
    throw new SyncError(error.message, report.sync, undefined, state === 'denied' ? 'SYNC_DENIED' : 'SYNC_FAILED');
  }
}
