/**
 * The filesystem stage of a call: before it, checks the options and loads mounts and extra files; after
 * it, turns the sandbox's changes into the `files` report, decides what the permissions allow, and
 * writes it to disk according to the sync mode (auto, manual, dry run), with the hooks.
 */
import { InvalidRequestError, SyncError } from '../errors.js';
import type { ExecutionErrorInfo, ExecutionRequest } from '../types.js';
import type { FsChange } from './virtual-fs.js';
import type { JobFile } from '../runtime/worker-protocol.js';
import { applyDiskChanges, DiskSyncFailure, type DiskChange } from './disk-sync.js';
import type {
  AfterSyncHook,
  BeforeSyncHook,
  FileChange,
  FilesReport,
  PendingChanges,
  SyncOptions,
  SyncReport,
} from './fs-types.js';
import { checkMountOptions, loadMounts, type LoadedMounts, type ResolvedMount } from './mounts.js';
import { PermissionResolver } from './permissions.js';
import { isSafeName, isWithin, virtualPathOf } from './virtual-path.js';

/** The filesystem options of a request. */
export type FileOptions = Pick<ExecutionRequest, 'files' | 'mounts' | 'permissions' | 'sync' | 'returnFileContents' | 'beforeSync' | 'afterSync'>;

type Mode = NonNullable<SyncOptions['mode']>;
type OnDenied = NonNullable<SyncOptions['onDenied']>;

/** Checked filesystem options, ready to load. */
export interface FilePlan {
  extraFiles: JobFile[];
  mountOptions: ReturnType<typeof checkMountOptions>;
  permissions: PermissionResolver;
  mode: Mode;
  onDenied: OnDenied;
  dryRun: boolean;
  returnContents: boolean;
  beforeSync?: BeforeSyncHook;
  afterSync?: AfterSyncHook;
}

/** A change as the sync sees it: the public record plus what writing it needs. */
interface PlannedChange {
  record: FileChange;
  disk?: DiskChange;
}

const encoder = new TextEncoder();

/**
 * Checks the filesystem options of a request, without touching the disk. Undefined when the request has none.
 *
 * @throws InvalidRequestError
 */
export function planFiles(options: FileOptions): FilePlan | undefined {
  const { files, mounts, permissions, sync, returnFileContents, beforeSync, afterSync } = options;
  if (files === undefined && mounts === undefined && permissions === undefined && sync === undefined && !returnFileContents) return undefined;
  const extraFiles: JobFile[] = [];
  if (files !== undefined) {
    if (files === null || typeof files !== 'object' || Array.isArray(files)) throw new InvalidRequestError('files', 'files must be an object mapping paths to contents.');
    for (const [path, content] of Object.entries(files)) {
      const virtualPath = virtualPathOf(path, `files[${JSON.stringify(path)}]`);
      if (typeof content === 'string') extraFiles.push({ path: virtualPath, data: encoder.encode(content) });
      else if (content instanceof Uint8Array) extraFiles.push({ path: virtualPath, data: content });
      else throw new InvalidRequestError(`files[${JSON.stringify(path)}]`, 'A file content must be a string or a Uint8Array.');
    }
  }
  if (sync !== undefined && (sync === null || typeof sync !== 'object')) throw new InvalidRequestError('sync', 'sync must be an object.');
  const mode = sync?.mode ?? 'auto';
  if (!['auto', 'manual', 'none'].includes(mode)) throw new InvalidRequestError('sync.mode', `sync.mode must be 'auto', 'manual' or 'none', got ${JSON.stringify(mode)}.`);
  const onDenied = sync?.onDenied ?? 'error';
  if (!['error', 'skip', 'rollback'].includes(onDenied)) throw new InvalidRequestError('sync.onDenied', `sync.onDenied must be 'error', 'skip' or 'rollback', got ${JSON.stringify(onDenied)}.`);
  for (const [name, hook] of [['beforeSync', beforeSync], ['afterSync', afterSync]] as const) {
    if (hook !== undefined && typeof hook !== 'function') throw new InvalidRequestError(name, `${name} must be a function.`);
  }
  return {
    extraFiles,
    mountOptions: checkMountOptions(mounts),
    permissions: new PermissionResolver(permissions),
    mode,
    onDenied,
    dryRun: sync?.dryRun === true,
    returnContents: returnFileContents === true,
    beforeSync,
    afterSync,
  };
}

/** A call's filesystem: what goes into the sandbox, and how to finish afterwards. */
export class CallFiles {
  private constructor(
    private readonly plan: FilePlan,
    private readonly mounts: LoadedMounts,
  ) {}

  /** Loads the mounts of a plan. @throws MountError */
  static async load(plan: FilePlan): Promise<CallFiles> {
    return new CallFiles(plan, await loadMounts(plan.mountOptions, plan.permissions));
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
   * @returns the report, and the error to give the call when the sync went wrong
   */
  async finish(changes: FsChange[] | undefined, succeeded: boolean): Promise<{ report: FilesReport; error?: ExecutionErrorInfo }> {
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
      report.sync.message = changes === undefined ? 'The call did not finish; its changes are unknown and nothing was written.' : 'The call did not succeed; nothing was written.';
      return { report };
    }
    if (this.plan.mode === 'none') {
      report.sync.message = 'sync.mode is none: changes are reported, never written.';
      return { report };
    }
    const deniedError = denied.length > 0 && this.plan.onDenied !== 'skip' ? permissionDenied(denied) : undefined;
    if (deniedError && this.plan.onDenied === 'rollback') {
      report.sync.state = 'denied';
      report.sync.message = 'Some changes are denied (onDenied: rollback): nothing was written.';
      await this.after(report.sync);
      return { report, error: deniedError };
    }
    if (this.plan.dryRun) {
      report.sync.state = 'dry-run';
      report.sync.written = writable.map((p) => p.record.hostPath!);
      await this.after(report.sync);
      return { report, error: deniedError };
    }
    if (this.plan.mode === 'manual') {
      report.sync.state = 'pending';
      report.pending = new PendingChangeSet(writable, this, report.sync);
      return { report, error: deniedError };
    }
    const outcome = await this.write(writable, report.sync);
    return { report, error: outcome ?? deniedError };
  }

  /** Runs `beforeSync`, writes, fills `sync`, runs `afterSync`. Returns the error of a failed write. */
  async write(writable: readonly PlannedChange[], sync: SyncReport): Promise<ExecutionErrorInfo | undefined> {
    let chosen = writable;
    if (this.plan.beforeSync && writable.length > 0) {
      let verdict: Awaited<ReturnType<BeforeSyncHook>>;
      try {
        verdict = await this.plan.beforeSync(writable.map((p) => p.record));
      } catch (error) {
        sync.state = 'vetoed';
        sync.message = `beforeSync threw: ${(error as Error)?.message ?? String(error)}`;
        await this.after(sync);
        return { type: 'SyncHookError', message: sync.message };
      }
      if (verdict === false) {
        sync.state = 'vetoed';
        sync.message = 'beforeSync refused the changes: nothing was written.';
        await this.after(sync);
        return undefined;
      }
      if (Array.isArray(verdict)) {
        const keep = new Set(verdict as FileChange[]);
        chosen = writable.filter((p) => keep.has(p.record));
      }
    }
    try {
      sync.written = await applyDiskChanges(chosen.map((p) => p.disk!));
      sync.state = 'written';
    } catch (error) {
      const failure = error as DiskSyncFailure;
      sync.state = 'failed';
      sync.written = [];
      sync.message = `${failure.message}. Every file the sync had written was restored${failure.undoFailures?.length ? `, except: ${failure.undoFailures.join('; ')}` : ''}.`;
    }
    await this.after(sync);
    return sync.state === 'failed' ? { type: 'SyncError', message: sync.message! } : undefined;
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
    const decision = this.plan.permissions.decide(operation, relativePath, change.path);
    if (!decision.allowed) return deny(`${operation} denied by ${decision.by === 'default' ? 'the default' : `rule ${JSON.stringify(decision.by)}`}`);
    record.permitted = true;
    return {
      record,
      disk: { hostRoot: mount.hostRoot, relativePath, kind: change.kind, operation, data: change.data, expected: loadedState },
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
    const error = await this.owner.write(this.writable, this.sync);
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

function permissionDenied(denied: readonly FileChange[]): ExecutionErrorInfo {
  const list = denied.slice(0, 10).map((c) => `${c.change} ${c.virtualPath} (${c.reason})`).join('; ');
  return {
    type: 'PermissionDenied',
    message: `${denied.length} change${denied.length === 1 ? ' is' : 's are'} not permitted and ${denied.length === 1 ? 'was' : 'were'} not written: ${list}${denied.length > 10 ? '; …' : ''}.`,
  };
}
