/**
 * Public types of the filesystem options of a request (`files`, `mounts`, `permissions`, `sync`) and of
 * the `files` report on a result.
 */

/** An operation on a file or directory that permissions can allow or deny. */
export type FileOperation = 'read' | 'create' | 'modify' | 'delete';

/** A real directory loaded into the sandbox's virtual filesystem for one call. */
export interface MountOptions {
  /** Directory on the host. Must exist. */
  hostPath: string;
  /** Where the directory appears in the sandbox (absolute; default `/workspace`, the working directory). */
  virtualPath?: string;
  /** Globs (relative to `hostPath`) of the files to load; default: everything. */
  include?: readonly string[];
  /** Globs (relative to `hostPath`) of files and folders to leave out; they are never loaded nor written. */
  exclude?: readonly string[];
  /** Largest file loaded or written back, in bytes (default 32 MiB). A larger file is an error, not skipped. */
  maxFileBytes?: number;
  /** Largest total of the loaded files, in bytes (default 128 MiB). */
  maxTotalBytes?: number;
  /**
   * The most this mount allows, whatever `permissions` say (default: all four operations). A change whose
   * operation is not listed is denied; without `read`, no file of the folder is loaded. The HTTP adapter
   * sets it from its own policy for the folder, so that a request can never widen it.
   */
  allowedOperations?: readonly FileOperation[];
}

/**
 * One permission rule. `pattern` is a glob matched against the path relative to the mount's `virtualPath`
 * (for example `out/*.csv`), or against the absolute virtual path when it starts with `/`.
 */
export interface PermissionRule {
  /** A picomatch glob (dot files match). */
  pattern: string;
  /** Operations this rule allows on matching paths. */
  allow?: readonly FileOperation[];
  /** Operations this rule denies on matching paths. */
  deny?: readonly FileOperation[];
}

/**
 * Which changes made inside mounts may reach the disk, and which host files may be read.
 *
 * For each path and operation, the matching rules that mention the operation are compared: the most
 * specific pattern wins (more literal path segments first, then more literal characters), and at equal
 * specificity `deny` wins over `allow`. When no rule mentions the operation, `default` decides.
 * See docs/filesystem.md for worked examples.
 */
export interface PermissionOptions {
  /** The rules, in any order (precedence does not depend on it). */
  rules?: readonly PermissionRule[];
  /**
   * Decision when no rule mentions an operation. When not given, `read` is allowed and `create`,
   * `modify` and `delete` are denied; an explicit value applies to all four.
   */
  default?: 'allow' | 'deny';
}

/** What to do with changes made inside mounts once the call has succeeded. */
export interface SyncOptions {
  /**
   * `auto` (default): write the permitted changes after the call. `manual`: return them as
   * `result.files.pending`, written by `apply()`. `none`: report the changes, never write.
   */
  mode?: 'auto' | 'manual' | 'none';
  /**
   * When some changes are denied. `error` (default): write nothing and end the call with a
   * `PermissionDenied` error listing them (a call that does not succeed never writes). `skip`: write the
   * permitted ones, list the others in `sync.denied`; the call succeeds. `rollback`: the same as `error`.
   */
  onDenied?: 'error' | 'skip' | 'rollback';
  /** Report what would be written without touching the disk. */
  dryRun?: boolean;
}

/** A file or directory the call created, modified or deleted. */
export interface FileChange {
  /** Absolute path inside the sandbox. */
  virtualPath: string;
  /** Where the change goes on disk; absent outside mounts (such changes are never written). */
  hostPath?: string;
  /** A regular file or a folder. */
  kind: 'file' | 'dir';
  /** What the call did to it. */
  change: 'created' | 'modified' | 'deleted';
  /** Size in bytes after the call (files that were created or modified). */
  size?: number;
  /** Size in bytes before the call (files that were modified or deleted). */
  previousSize?: number;
  /** Contents after the call, when the request set `returnFileContents`. */
  content?: Uint8Array;
  /** Whether the permissions allow writing this change to disk. */
  permitted: boolean;
  /** Why it is not permitted, when it is not. */
  reason?: string;
}

/** What happened to the changes on disk. */
export interface SyncReport {
  /** The sync mode of the request. */
  mode: 'auto' | 'manual' | 'none';
  /** Whether it was a dry run (nothing written). */
  dryRun: boolean;
  /**
   * `written`: the permitted changes are on disk. `dry-run`: nothing written, `written` lists what would be.
   * `pending`: waiting for `apply()`/`discard()`. `discarded`. `vetoed`: `beforeSync` refused.
   * `denied`: nothing written because of denied changes (`onDenied: 'error'` or `'rollback'`). `failed`: a
   * write failed and everything was restored. `conflict`: the disk changed since the files were loaded
   * (another call or process wrote there), nothing was written. `skipped`: not attempted (mode `none`, or
   * the call did not succeed).
   */
  state: 'written' | 'dry-run' | 'pending' | 'discarded' | 'vetoed' | 'denied' | 'failed' | 'conflict' | 'skipped';
  /** Host paths written, created or deleted (or that would be, in a dry run). */
  written: string[];
  /** Changes inside mounts that the permissions refused. */
  denied: FileChange[];
  /** Why the sync failed or was not attempted. */
  message?: string;
}

/** The `files` report of a call that had filesystem options. */
export interface FilesReport {
  /** Files and folders the call created. */
  created: FileChange[];
  /** Files whose contents the call changed. */
  modified: FileChange[];
  /** Files and folders the call deleted. */
  deleted: FileChange[];
  /** What happened on disk. */
  sync: SyncReport;
  /** With `sync.mode: 'manual'`, the changes waiting to be applied or discarded. */
  pending?: PendingChanges;
}

/** Changes held back by `sync.mode: 'manual'`. */
export interface PendingChanges {
  /** The permitted changes that `apply()` would write. */
  readonly changes: readonly FileChange[];
  /** `pending` until `apply()` or `discard()` is called. */
  readonly state: 'pending' | 'applied' | 'discarded' | 'failed';
  /**
   * Writes the changes (all of them or, when a write fails, none: disk is restored).
   *
   * @throws SyncConflictError when the disk changed since the files were loaded (nothing is written)
   * @throws SyncError when a write fails (the disk is left as it was) or when called twice
   */
  apply(): Promise<SyncReport>;
  /** Drops the changes. */
  discard(): void;
}

/**
 * Called before changes are written. Return `false` to write nothing, an array to write only those changes
 * (a subset of the ones given), or nothing to go on.
 */
export type BeforeSyncHook = (changes: readonly FileChange[]) => boolean | readonly FileChange[] | void | Promise<boolean | readonly FileChange[] | void>;

/** Called after a sync attempt with its report. */
export type AfterSyncHook = (report: SyncReport) => void | Promise<void>;

/** The filesystem options of a request: what the sandbox holds besides the code, and what reaches the disk. */
export interface FileOptions {
  /**
   * Extra files for this call, by sandbox path (relative paths are under `/workspace`, the working
   * directory). They exist only in the sandbox and are never written to disk by themselves.
   */
  files?: Readonly<Record<string, string | Uint8Array>>;
  /** Real folders loaded into the sandbox; changes inside them can be written back (see `permissions`, `sync`). */
  mounts?: readonly MountOptions[];
  /** Which host files may be read and which changes may be written back. Default: read only. */
  permissions?: PermissionOptions;
  /** How changes inside mounts reach the disk (default: `auto`, `onDenied: 'error'`). */
  sync?: SyncOptions;
  /** Put the contents of created and modified files in `result.files` (default false). */
  returnFileContents?: boolean;
  /** Sees the changes about to be written; may refuse them all or keep a subset. */
  beforeSync?: BeforeSyncHook;
  /** Sees the report of each sync attempt. */
  afterSync?: AfterSyncHook;
}

/** A folder under which requests may mount directories, and what they may do there. */
export interface MountRoot {
  /** The host folder. */
  path: string;
  /**
   * What calls may do in it (default `['read']`: read-only). Permission rules of a request apply within
   * this, never beyond it.
   */
  operations?: readonly FileOperation[];
}
