/**
 * The filesystem stage of a call: before it, checks the options and loads mounts and extra files; after
 * it, turns the sandbox's changes into the `files` report, decides what the permissions allow, and
 * writes it to disk according to the sync mode (auto, manual, dry run), with the hooks.
 */
import { InvalidRequestError } from '../errors.js';
import { SyncConflictError, SyncError } from './sync-errors.js';
import type { ExecutionErrorInfo } from '../protocol/result-frame.js';
import type { FsChange } from '../runtime/vfs/virtual-fs.js';
import type { JobFile } from '../runtime/worker-protocol.js';
import { applyDiskChanges, DiskSyncFailure, type DiskChange, type DiskSyncFaults } from './disk-sync.js';
import type { AfterSyncHook, BeforeSyncHook, FileChange, FilesReport, MountOptions, PendingChanges, SyncOptions, SyncReport } from './fs-types.js';
import { loadMounts, type LoadedMounts, type ResolvedMount } from './mounts.js';
import { PermissionResolver } from './permissions.js';
import { ancestors, isSafeName, isWithin } from './virtual-path.js';

type Mode = NonNullable<SyncOptions['mode']>;
type OnDenied = NonNullable<SyncOptions['onDenied']>;

/** What the filesystem of one call may hold (the executor's `maxFsBytes` and `maxFiles`). */
export interface FsLimits {
  maxBytes: number;
  maxFiles: number;
}

/** Checked filesystem options, ready to load. */
export interface FilePlan {
  limits: FsLimits;
  extraFiles: JobFile[];
  mountOptions: MountOptions[];
  permissions: PermissionResolver;
  mode: Mode;
  onDenied: OnDenied;
  dryRun: boolean;
  returnContents: boolean;
  beforeSync?: BeforeSyncHook;
  afterSync?: AfterSyncHook;
  /** Faults the reliability tests inject into the sync (never set in production). */
  faults?: DiskSyncFaults;
}

/** A change as the sync sees it: the public record plus what writing it needs. */
interface PlannedChange {
  record: FileChange;
  disk?: DiskChange;
}

/** A call's filesystem: what goes into the sandbox, and how to finish afterwards. */
export class CallFiles {
  private constructor(
    private readonly plan: FilePlan,
    private readonly mounts: LoadedMounts,
  ) {}

  /**
   * Loads the mounts of a plan, within what the request's own files leave of the filesystem limits.
   *
   * @throws MountError; InvalidRequestError when a file of the request collides with a mounted folder
   */
  static async load(plan: FilePlan): Promise<CallFiles> {
    const extraBytes = plan.extraFiles.reduce((sum, file) => sum + file.data.byteLength, 0);
    const budget = { maxBytes: plan.limits.maxBytes - extraBytes, maxFiles: plan.limits.maxFiles - plan.extraFiles.length };
    const mounts = await loadMounts(plan.mountOptions, plan.permissions, budget);
    const folders = new Set(mounts.dirs);
    for (const { path } of plan.extraFiles) {
      const field = `files[${JSON.stringify(path)}]`;
      if (folders.has(path)) throw new InvalidRequestError(field, `${path} is a folder of a mount; a file of the request cannot replace it.`);
      const mountInside = mounts.mounts.find((m) => isWithin(m.virtualPath, path));
      if (mountInside) throw new InvalidRequestError(field, `${path} cannot be a file: ${mountInside.virtualPath} is mounted inside it.`);
      const fileAbove = ancestors(path).find((folder) => mounts.loaded.has(folder));
      if (fileAbove) throw new InvalidRequestError(field, `${path} cannot be created: ${fileAbove} is a mounted file, not a folder.`);
    }
    return new CallFiles(plan, mounts);
  }

  /** Files to put in the sandbox (mounted files first, then the request's `files`, which win). */
  get files(): JobFile[] {
    return [...this.mounts.files, ...this.plan.extraFiles];
  }

  /** Folders to create, including empty ones. */
  get dirs(): string[] {
    return this.mounts.dirs;
  }

  /**
   * Reports the changes and syncs them.
   *
   * @param changes what the run changed; undefined when it never finished (timeout, crash)
   * @param succeeded whether the call succeeded (changes of a failed call are reported, never written)
   * @returns the report, and the error to give the call when the sync went wrong (`crashed` when the
   *   program returned but its changes never reached the host: the call cannot count as a success)
   */
  async finish(
    changes: FsChange[] | undefined,
    succeeded: boolean,
  ): Promise<{ report: FilesReport; error?: ExecutionErrorInfo; crashed?: boolean; conflictAt?: string }> {
    const planned = (changes ?? []).map((change) => this.classify(change));
    const report: FilesReport = {
      created: planned.filter((p) => p.record.change === 'created').map((p) => p.record),
      modified: planned.filter((p) => p.record.change === 'modified').map((p) => p.record),
      deleted: planned.filter((p) => p.record.change === 'deleted').map((p) => p.record),
      sync: { mode: this.plan.mode, dryRun: this.plan.dryRun, state: 'skipped', written: [], denied: [] },
    };
    const inMounts = planned.filter((p) => p.record.hostPath !== undefined);
    const denied = inMounts.filter((p) => !p.record.permitted).map((p) => p.record);
    const writable = inMounts.filter((p) => p.record.permitted && p.disk);
    report.sync.denied = denied;

    if (!succeeded) {
      report.sync.message =
        changes === undefined ? 'The call did not finish; its changes are unknown and nothing was written.' : 'The call did not succeed; nothing was written.';
      return { report };
    }
    if (changes === undefined) {
      // The function returned, then the sandbox died before it reported what it changed (say, a worker
      // lost while listing a huge tree): whatever was written in it is unknown, so this is no success.
      report.sync.message = "The sandbox ended before it reported the call's file changes; they are unknown and nothing was written.";
      return {
        report,
        crashed: true,
        error: {
          type: 'WorkerLost',
          message: `The sandbox worker ended after the function returned, before it reported the call's file changes; nothing was written.`,
        },
      };
    }
    if (this.plan.mode === 'none') {
      report.sync.message = 'sync.mode is none: changes are reported, never written.';
      return { report };
    }
    // A call with denied changes ends with an error, and a call that does not succeed writes nothing.
    if (denied.length > 0 && this.plan.onDenied !== 'skip') {
      report.sync.state = 'denied';
      report.sync.message = `Some changes are denied (onDenied: ${this.plan.onDenied}): nothing was written. With onDenied 'skip' the permitted changes are written and the call succeeds.`;
      await this.after(report.sync);
      return { report, error: permissionDenied(denied) };
    }
    if (this.plan.dryRun) {
      report.sync.state = 'dry-run';
      report.sync.written = writable.map((p) => p.record.hostPath!);
      await this.after(report.sync);
      return { report };
    }
    if (this.plan.mode === 'manual') {
      report.sync.state = 'pending';
      report.pending = new PendingChangeSet(writable, this, report.sync);
      return { report };
    }
    const outcome = await this.write(writable, report.sync);
    return { report, error: outcome.error, conflictAt: outcome.conflictAt };
  }

  /**
   * Runs `beforeSync`, writes, fills `sync`, runs `afterSync`. Returns the error of a failed write, and
   * the host file of a conflict.
   */
  async write(writable: readonly PlannedChange[], sync: SyncReport): Promise<{ error?: ExecutionErrorInfo; conflictAt?: string }> {
    let chosen = writable;
    if (this.plan.beforeSync && writable.length > 0) {
      let verdict: Awaited<ReturnType<BeforeSyncHook>>;
      try {
        verdict = await this.plan.beforeSync(writable.map((p) => p.record));
      } catch (error) {
        sync.state = 'vetoed';
        sync.message = `beforeSync threw: ${(error as Error)?.message ?? String(error)}`;
        await this.after(sync);
        return { error: { type: 'SyncHookError', message: sync.message } };
      }
      if (verdict === false) {
        sync.state = 'vetoed';
        sync.message = 'beforeSync refused the changes: nothing was written.';
        await this.after(sync);
        return {};
      }
      if (Array.isArray(verdict)) {
        const keep = new Set(verdict as FileChange[]);
        chosen = writable.filter((p) => keep.has(p.record));
      }
    }
    let conflictAt: string | undefined;
    try {
      sync.written = await applyDiskChanges(
        chosen.map((p) => p.disk!),
        this.plan.faults,
      );
      sync.state = 'written';
      this.remember(chosen);
    } catch (error) {
      if (!(error instanceof DiskSyncFailure)) throw error;
      sync.written = [];
      if (error.conflict) {
        sync.state = 'conflict';
        conflictAt = error.hostPath;
        const note = restoreNote(error);
        sync.message = `${error.message}. Another call or process changed the disk after the files were loaded; run the call again on the new contents.${note ? ` Every file the sync had written was restored${note}.` : ''}`;
      } else {
        sync.state = 'failed';
        sync.message = `${error.message}. Every file the sync had written was restored${restoreNote(error)}.`;
      }
    }
    await this.after(sync);
    if (sync.state === 'conflict') return { error: { type: 'SyncConflictError', message: sync.message! }, conflictAt };
    return sync.state === 'failed' ? { error: { type: 'SyncError', message: sync.message! } } : {};
  }

  /**
   * Takes written changes as the disk's state, as if loaded from it: a later sync of the same sandbox
   * (a session's) then expects what was written, and a file it created is one it may modify.
   */
  private remember(written: readonly PlannedChange[]): void {
    for (const { record, disk } of written) {
      if (!disk || disk.kind !== 'file') continue;
      if (disk.operation === 'delete') this.mounts.loaded.delete(record.virtualPath);
      else if (disk.data) this.mounts.loaded.set(record.virtualPath, { size: disk.data.byteLength, mtimeMs: Date.now(), data: disk.data });
    }
  }

  private async after(sync: SyncReport): Promise<void> {
    try {
      await this.plan.afterSync?.(sync);
    } catch {
      // The sync is over; a failing observer cannot change it.
    }
  }

  private classify(change: FsChange): PlannedChange {
    const record: FileChange = { virtualPath: change.path, kind: change.kind, change: change.change, permitted: false };
    if (change.kind === 'file' && change.data) record.size = change.data.byteLength;
    if (change.previousSize !== undefined) record.previousSize = change.previousSize;
    if (this.plan.returnContents && change.data) record.content = change.data;

    const deny = (reason: string): PlannedChange => {
      record.reason = reason;
      return { record };
    };
    const mount = this.mountOf(change.path);
    if (!mount) return deny('outside every mount');
    const loadedState = this.mounts.loaded.get(change.path);
    // A file the sandbox deleted but that was never loaded from disk (one of the request's `files`) has
    // nothing to delete there: like a change outside the mounts, it has no host path and is not refused.
    if (change.kind === 'file' && change.change === 'deleted' && !loadedState) return deny('not on disk');
    const relativePath = change.path.slice(mount.virtualPath.length + 1);
    record.hostPath = `${mount.hostRoot}/${relativePath}`;
    // A file modified but not loaded from disk is new to the disk: modifying it creates it.
    const operation: DiskChange['operation'] =
      change.change === 'created' ? 'create' : change.change === 'deleted' ? 'delete' : change.kind === 'file' && !loadedState ? 'create' : 'modify';
    if (!relativePath.split('/').every(isSafeName)) return deny('unsafe file name');
    if (mount.excluded(relativePath)) return deny('excluded by the mount');
    if (change.kind === 'file' && (change.data?.byteLength ?? 0) > mount.maxFileBytes) return deny(`larger than maxFileBytes (${mount.maxFileBytes})`);
    if (!mount.allowedOperations.has(operation)) return deny(`${operation} not allowed on this mount (allowedOperations)`);
    const decision = this.plan.permissions.decide(operation, relativePath, change.path);
    if (!decision.allowed) return deny(`${operation} denied by ${decision.by === 'default' ? 'the default' : `rule ${JSON.stringify(decision.by)}`}`);
    record.permitted = true;
    return {
      record,
      disk: {
        hostRoot: mount.hostRoot,
        relativePath,
        kind: change.kind,
        operation,
        data: change.data,
        expected: loadedState,
        unloaded: this.mounts.unloaded.has(change.path),
      },
    };
  }

  private mountOf(path: string): ResolvedMount | undefined {
    // The mount point itself is not a change that can be written (it is the host folder).
    return this.mounts.mounts.find((m) => path !== m.virtualPath && isWithin(path, m.virtualPath));
  }
}

class PendingChangeSet implements PendingChanges {
  private current: PendingChanges['state'] = 'pending';

  constructor(
    private readonly writable: readonly PlannedChange[],
    private readonly owner: CallFiles,
    private readonly sync: SyncReport,
  ) {}

  get changes(): readonly FileChange[] {
    return this.writable.map((p) => p.record);
  }

  get state(): PendingChanges['state'] {
    return this.current;
  }

  async apply(): Promise<SyncReport> {
    if (this.current !== 'pending') throw new SyncError(`These changes were already ${this.current}.`, this.sync);
    this.current = 'applied';
    const { error, conflictAt } = await this.owner.write(this.writable, this.sync);
    if (error && this.sync.state === 'conflict') {
      this.current = 'failed';
      throw new SyncConflictError(error.message, this.sync, conflictAt!);
    }
    if (error && this.sync.state === 'failed') {
      this.current = 'failed';
      throw new SyncError(error.message, this.sync);
    }
    return this.sync;
  }

  discard(): void {
    if (this.current !== 'pending') return;
    this.current = 'discarded';
    this.sync.state = 'discarded';
  }
}

/** The undo steps that failed, if any, for a sync message. */
function restoreNote(failure: DiskSyncFailure): string {
  return failure.undoFailures.length ? `, except: ${failure.undoFailures.join('; ')}` : '';
}

function permissionDenied(denied: readonly FileChange[]): ExecutionErrorInfo {
  const list = denied
    .slice(0, 10)
    .map((c) => `${c.change} ${c.virtualPath} (${c.reason})`)
    .join('; ');
  return {
    type: 'PermissionDenied',
    message: `${denied.length} change${denied.length === 1 ? ' is' : 's are'} not permitted and ${denied.length === 1 ? 'was' : 'were'} not written: ${list}${denied.length > 10 ? '; …' : ''}.`,
  };
}
