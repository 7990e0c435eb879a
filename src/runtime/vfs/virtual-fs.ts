/**
 * The in-memory filesystem a sandboxed program sees.
 *
 * A tree of directories, regular files and devices. File contents are copy-on-write: a file whose buffer
 * is shared (with the cached base filesystem of an interpreter, or with a snapshot taken before the run)
 * is copied on its first write, so one run can never change what another run or the snapshot sees.
 * Total file bytes and the number of nodes are capped, and so is the length of a path: going past a cap
 * fails with ENOSPC (ENAMETOOLONG for paths) instead of exhausting host memory. Files placed by the host
 * (the runtime's, the call's) count against the caps like the ones the program writes.
 */
import { Errno } from '../wasi/abi.js';

/** Nanoseconds since the epoch. */
export type Nanos = bigint;

interface NodeTimes {
  atime: Nanos;
  mtime: Nanos;
  ctime: Nanos;
}

/** A regular file. `data` may be longer than `size` (spare capacity). */
export interface VFile extends NodeTimes {
  kind: 'file';
  ino: number;
  data: Uint8Array;
  size: number;
  /** The buffer is shared with someone else and must be copied before it is changed. */
  shared: boolean;
  /** Part of a read-only layer (a package): never written, moved or removed (EROFS). */
  readonly?: true;
}

/** A directory. */
export interface VDir extends NodeTimes {
  kind: 'dir';
  ino: number;
  entries: Map<string, VNode>;
  /**
   * Part of a read-only layer (a package): shared by every run that uses the layer, never changed (EROFS),
   * never cloned, and left out of snapshots and change reports.
   */
  readonly?: true;
}

/** A character device, such as standard input or the result channel. */
export interface VDevice extends NodeTimes {
  kind: 'device';
  ino: number;
  device: Device;
}

/** Any node of the tree. */
export type VNode = VFile | VDir | VDevice;

/** Behaviour of a device node. */
export interface Device {
  /** Called when the device is opened; returns an errno to refuse. */
  open?(): number;
  /** Reads up to `max` bytes; an empty array means end of input. */
  read?(max: number): Uint8Array;
  /** Writes bytes; returns an errno (0 on success). */
  write?(bytes: Uint8Array): number;
}

/** Thrown by filesystem operations; carries a WASI errno. */
export class FsError extends Error {
  constructor(readonly errno: number) {
    super(`WASI errno ${errno}`);
  }
}

/** A file or directory as it was at snapshot time. */
export interface SnapshotEntry {
  kind: 'file' | 'dir';
  node: VFile | VDir;
  /** Contents at snapshot time (files only); never mutated afterwards. */
  data?: Uint8Array;
}

/** One difference between a snapshot and the current tree. */
export interface FsChange {
  path: string;
  change: 'created' | 'modified' | 'deleted';
  kind: 'file' | 'dir';
  /** Current contents, for created and modified files. */
  data?: Uint8Array;
  /** Size in bytes before the run (modified and deleted files). */
  previousSize?: number;
}

/**
 * Longest absolute path of a node, in bytes (Linux's PATH_MAX). It bounds how deep a tree can grow, and so
 * the size of a change report: a chain of folders 20,000 deep would otherwise report paths totalling
 * hundreds of megabytes.
 */
export const MAX_PATH_BYTES = 4096;

/**
 * Most bytes of all the nodes' paths together: what a change report listing every node costs the host.
 * Without it, 100,000 files with 4 KB paths would make a report of 400 MB; 32 MiB leaves an average of
 * 335 bytes for each of 100,000 paths.
 */
export const MAX_TOTAL_PATH_BYTES = 32 * 1024 * 1024;

/** Default cap on the number of files, folders and devices of one run's filesystem. */
export const DEFAULT_MAX_FILES = 100_000;

let nextIno = 1;
const now = (): Nanos => BigInt(Date.now()) * 1_000_000n;

/** Splits an absolute or relative path into components, resolving `.` and `..` lexically. */
export function splitPath(path: string): string[] {
  const out: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return out;
}

/** Joins a base directory path and a relative path into a normalized absolute path. */
export function joinPath(base: string, relative: string): string {
  const parts = relative.startsWith('/') ? splitPath(relative) : splitPath(`${base}/${relative}`);
  return `/${parts.join('/')}`;
}

/** The in-memory filesystem of one run. */
export class VirtualFS {
  readonly root: VDir;
  /** Bytes held by regular files. */
  totalBytes = 0;
  /** Cap on `totalBytes`; writes that would exceed it fail with ENOSPC. */
  maxBytes: number;
  /** Files, folders and devices in the tree (the root not counted). */
  nodeCount = 0;
  /** Cap on `nodeCount`; creating a node past it fails with ENOSPC. */
  maxNodes: number;
  /** Bytes of the absolute paths of every node, together (capped at {@link MAX_TOTAL_PATH_BYTES}). */
  pathBytes = 0;
  /** Bytes written through file descriptors during the run (for usage reports). */
  bytesWritten = 0;
  /** Regular files written through file descriptors during the run (for usage reports). */
  private readonly writtenFiles = new Set<VFile>();

  constructor(maxBytes = Number.POSITIVE_INFINITY, root?: VDir, maxNodes = DEFAULT_MAX_FILES) {
    this.maxBytes = maxBytes;
    this.maxNodes = maxNodes;
    this.root = root ?? newDir();
    if (root) {
      const size = measure(root, '');
      this.totalBytes = size.bytes;
      this.nodeCount = size.nodes;
      this.pathBytes = size.pathBytes;
    }
  }

  /** A copy of this tree whose files share buffers copy-on-write with this one. */
  clone(maxBytes = this.maxBytes, maxNodes = this.maxNodes): VirtualFS {
    return new VirtualFS(maxBytes, cloneDir(this.root), maxNodes);
  }

  /** Finds the node at an absolute path. */
  lookup(path: string): VNode | undefined {
    let node: VNode = this.root;
    for (const part of splitPath(path)) {
      if (node.kind !== 'dir') return undefined;
      const child = node.entries.get(part);
      if (!child) return undefined;
      node = child;
    }
    return node;
  }

  /** The directory that holds `path` and the last component of `path`. */
  parentOf(path: string): { dir: VDir; name: string } {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) throw new FsError(Errno.INVAL);
    let node: VNode = this.root;
    for (const part of parts) {
      if (node.kind !== 'dir') throw new FsError(Errno.NOTDIR);
      const child = node.entries.get(part);
      if (!child) throw new FsError(Errno.NOENT);
      node = child;
    }
    if (node.kind !== 'dir') throw new FsError(Errno.NOTDIR);
    return { dir: node, name };
  }

  /** Creates an empty regular file at `path`; the parent directory must exist. */
  createFile(path: string): VFile {
    const { dir, name } = this.parentOf(path);
    if (dir.entries.has(name)) throw new FsError(Errno.EXIST);
    refuseReadOnly(dir);
    this.admit(path);
    const file = newFile(new Uint8Array(0), false);
    dir.entries.set(name, file);
    touch(dir);
    return file;
  }

  /** Creates a directory; the parent must exist. */
  mkdir(path: string): VDir {
    const { dir, name } = this.parentOf(path);
    if (dir.entries.has(name)) throw new FsError(Errno.EXIST);
    refuseReadOnly(dir);
    this.admit(path);
    const created = newDir();
    dir.entries.set(name, created);
    touch(dir);
    return created;
  }

  /** Creates a directory and any missing parents; returns the directory. */
  mkdirp(path: string): VDir {
    let node: VDir = this.root;
    const parts = splitPath(path);
    for (const [index, part] of parts.entries()) {
      let child = node.entries.get(part);
      if (!child) {
        refuseReadOnly(node);
        this.admit(`/${parts.slice(0, index + 1).join('/')}`);
        child = newDir();
        node.entries.set(part, child);
      } else if (child.kind !== 'dir') {
        throw new FsError(Errno.NOTDIR);
      }
      node = child;
    }
    return node;
  }

  /** Places a file with the given contents at `path`, creating parent directories. */
  writeFile(path: string, data: Uint8Array, options: { shared?: boolean; mtime?: Nanos } = {}): VFile {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) throw new FsError(Errno.ISDIR);
    const dir = this.mkdirp(`/${parts.join('/')}`);
    const existing = dir.entries.get(name);
    if (existing?.kind === 'dir') throw new FsError(Errno.ISDIR);
    refuseReadOnly(dir);
    const freed = existing?.kind === 'file' ? existing.size : 0;
    if (this.totalBytes - freed + data.byteLength > this.maxBytes) throw new FsError(Errno.NOSPC);
    if (!existing) this.admit(path);
    this.totalBytes += data.byteLength - freed;
    const file = newFile(data, options.shared ?? false);
    if (options.mtime !== undefined) file.mtime = file.ctime = file.atime = options.mtime;
    dir.entries.set(name, file);
    return file;
  }

  /** Places a device node at `path`, creating parent directories. */
  addDevice(path: string, device: Device): VDevice {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) throw new FsError(Errno.INVAL);
    const dir = this.mkdirp(`/${parts.join('/')}`);
    if (!dir.entries.has(name)) this.admit(path);
    const t = now();
    const node: VDevice = { kind: 'device', ino: nextIno++, device, atime: t, mtime: t, ctime: t };
    dir.entries.set(name, node);
    return node;
  }

  /** Removes a file or device. */
  unlink(path: string): void {
    const { dir, name } = this.parentOf(path);
    const node = dir.entries.get(name);
    if (!node) throw new FsError(Errno.NOENT);
    if (node.kind === 'dir') throw new FsError(Errno.ISDIR);
    refuseReadOnly(dir);
    if (node.kind === 'file') this.totalBytes -= node.size;
    dir.entries.delete(name);
    this.forget(path);
    touch(dir);
  }

  /** Removes an empty directory. */
  rmdir(path: string): void {
    const { dir, name } = this.parentOf(path);
    const node = dir.entries.get(name);
    if (!node) throw new FsError(Errno.NOENT);
    if (node.kind !== 'dir') throw new FsError(Errno.NOTDIR);
    refuseReadOnly(dir);
    refuseReadOnly(node);
    if (node.entries.size > 0) throw new FsError(Errno.NOTEMPTY);
    dir.entries.delete(name);
    this.forget(path);
    touch(dir);
  }

  /** Renames with POSIX semantics: an existing file target is replaced, an empty directory target too. */
  rename(from: string, to: string): void {
    const source = this.parentOf(from);
    const node = source.dir.entries.get(source.name);
    if (!node) throw new FsError(Errno.NOENT);
    const target = this.parentOf(to);
    const existing = target.dir.entries.get(target.name);
    if (existing === node) return;
    // A layer's folder (its mount point included) never moves, and nothing moves into or out of one.
    refuseReadOnly(source.dir);
    refuseReadOnly(target.dir);
    refuseReadOnly(node);
    if (existing) refuseReadOnly(existing);
    if (node.kind === 'dir') {
      const fromParts = splitPath(from);
      const toParts = splitPath(to);
      if (toParts.length > fromParts.length && fromParts.every((p, i) => toParts[i] === p)) throw new FsError(Errno.INVAL);
    }
    // Moving a folder moves everything under it: its deepest path must still fit, and every path in it
    // changes length.
    const fromBytes = pathBytes(normalize(from));
    const toBytes = pathBytes(normalize(to));
    const below = node.kind === 'dir' ? measure(node, '') : { nodes: 0, deepest: 0 };
    if (toBytes + below.deepest > MAX_PATH_BYTES) throw new FsError(Errno.NAMETOOLONG);
    const growth = (toBytes - fromBytes) * (1 + below.nodes) - (existing ? toBytes : 0);
    if (growth > 0 && this.pathBytes + growth > MAX_TOTAL_PATH_BYTES) throw new FsError(Errno.NOSPC);
    if (existing) {
      if (existing.kind === 'dir') {
        if (node.kind !== 'dir') throw new FsError(Errno.ISDIR);
        if (existing.entries.size > 0) throw new FsError(Errno.NOTEMPTY);
      } else if (node.kind === 'dir') {
        throw new FsError(Errno.NOTDIR);
      } else if (existing.kind === 'file') {
        this.totalBytes -= existing.size;
      }
      this.nodeCount -= 1;
    }
    this.pathBytes += growth;
    source.dir.entries.delete(source.name);
    target.dir.entries.set(target.name, node);
    touch(source.dir);
    touch(target.dir);
  }

  /** Reads up to `length` bytes of a file from `offset`. */
  read(file: VFile, offset: number, length: number): Uint8Array {
    if (offset >= file.size) return new Uint8Array(0);
    return file.data.subarray(offset, Math.min(file.size, offset + length));
  }

  /** Writes bytes into a file at `offset`, growing it as needed. */
  write(file: VFile, offset: number, bytes: Uint8Array): void {
    refuseReadOnly(file);
    const end = offset + bytes.byteLength;
    if (end > file.size) this.resize(file, end);
    else this.own(file);
    file.data.set(bytes, offset);
    file.mtime = file.ctime = now();
    this.bytesWritten += bytes.byteLength;
    this.writtenFiles.add(file);
  }

  /** How many distinct files were written through {@link write} since the start (or {@link resetUsage}). */
  get filesWritten(): number {
    return this.writtenFiles.size;
  }

  /** Starts counting written bytes and files afresh (when a prestarted instance gets its call). */
  resetUsage(): void {
    this.bytesWritten = 0;
    this.writtenFiles.clear();
  }

  /** Changes the size of a file; new bytes are zero. */
  resize(file: VFile, size: number): void {
    refuseReadOnly(file);
    if (size === file.size) return;
    const grow = size - file.size;
    if (grow > 0) this.reserve(grow);
    this.own(file, Math.max(size, 0));
    if (size > file.data.byteLength) {
      const capacity = Math.max(size, Math.min(file.data.byteLength * 2, size + 64 * 1024 * 1024), 1024);
      const bigger = new Uint8Array(capacity);
      bigger.set(file.data.subarray(0, file.size));
      file.data = bigger;
    } else if (size > file.size) {
      file.data.fill(0, file.size, size);
    }
    this.totalBytes += grow;
    file.size = size;
    file.mtime = file.ctime = now();
  }

  /**
   * Remembers every file and directory as it is now. Buffers are marked shared, so later writes copy them
   * and the snapshot keeps the old contents.
   */
  snapshot(exclude: (path: string) => boolean = () => false): Map<string, SnapshotEntry> {
    const entries = new Map<string, SnapshotEntry>();
    walk(this.root, '', (path, node) => {
      if (exclude(path) || isReadOnly(node)) return false;
      if (node.kind === 'file') {
        node.shared = true;
        entries.set(path, { kind: 'file', node, data: node.data.subarray(0, node.size) });
      } else if (node.kind === 'dir') {
        entries.set(path, { kind: 'dir', node });
      }
      return true;
    });
    return entries;
  }

  /** Lists what changed since `before` (a {@link snapshot}), skipping excluded paths. */
  diff(before: Map<string, SnapshotEntry>, exclude: (path: string) => boolean = () => false): FsChange[] {
    const changes: FsChange[] = [];
    const seen = new Set<string>();
    walk(this.root, '', (path, node) => {
      if (exclude(path) || isReadOnly(node)) return false;
      if (node.kind === 'device') return true;
      seen.add(path);
      const old = before.get(path);
      if (node.kind === 'dir') {
        if (!old) changes.push({ path, change: 'created', kind: 'dir' });
        else if (old.kind === 'file') {
          changes.push({ path, change: 'deleted', kind: 'file', previousSize: old.data?.byteLength ?? 0 });
          changes.push({ path, change: 'created', kind: 'dir' });
        }
        return true;
      }
      const data = node.data.subarray(0, node.size);
      if (!old) changes.push({ path, change: 'created', kind: 'file', data });
      else if (old.kind === 'dir') {
        changes.push({ path, change: 'deleted', kind: 'dir' });
        changes.push({ path, change: 'created', kind: 'file', data });
      } else if (!sameBytes(old.data ?? new Uint8Array(0), data)) {
        changes.push({ path, change: 'modified', kind: 'file', data, previousSize: old.data?.byteLength ?? 0 });
      }
      return true;
    });
    for (const [path, old] of before) {
      if (seen.has(path) || exclude(path)) continue;
      changes.push({ path, change: 'deleted', kind: old.kind, previousSize: old.data?.byteLength });
    }
    return changes;
  }

  /**
   * Places a read-only layer (see {@link buildReadOnlyTree}) at `path`, creating its parents. The layer's
   * nodes are shared, not copied, and count against neither the byte nor the node budget: they are the
   * same memory for every run that uses them.
   */
  attachReadOnly(path: string, layer: VDir): void {
    const parts = splitPath(path);
    const name = parts.pop();
    if (name === undefined) throw new FsError(Errno.INVAL);
    const dir = this.mkdirp(`/${parts.join('/')}`);
    if (dir.entries.has(name)) throw new FsError(Errno.EXIST);
    dir.entries.set(name, layer);
  }

  private reserve(bytes: number): void {
    if (this.totalBytes + bytes > this.maxBytes) throw new FsError(Errno.NOSPC);
  }

  /** Counts a node about to be created at `path`, within the caps on nodes and path lengths. */
  private admit(path: string): void {
    const bytes = pathBytes(normalize(path));
    if (bytes > MAX_PATH_BYTES) throw new FsError(Errno.NAMETOOLONG);
    if (this.nodeCount >= this.maxNodes || this.pathBytes + bytes > MAX_TOTAL_PATH_BYTES) throw new FsError(Errno.NOSPC);
    this.nodeCount += 1;
    this.pathBytes += bytes;
  }

  /** Uncounts a node removed from `path`. */
  private forget(path: string): void {
    this.nodeCount -= 1;
    this.pathBytes -= pathBytes(normalize(path));
  }

  /** Makes the file's buffer private before a write. */
  private own(file: VFile, minCapacity = file.size): void {
    if (!file.shared) return;
    const copy = new Uint8Array(Math.max(minCapacity, file.size));
    copy.set(file.data.subarray(0, file.size));
    file.data = copy;
    file.shared = false;
  }
}

function newFile(data: Uint8Array, shared: boolean): VFile {
  const t = now();
  return { kind: 'file', ino: nextIno++, data, size: data.byteLength, shared, atime: t, mtime: t, ctime: t };
}

function newDir(): VDir {
  const t = now();
  return { kind: 'dir', ino: nextIno++, entries: new Map(), atime: t, mtime: t, ctime: t };
}

function touch(dir: VDir): void {
  dir.mtime = dir.ctime = now();
}

function isReadOnly(node: VNode): boolean {
  return node.kind !== 'device' && node.readonly === true;
}

function refuseReadOnly(node: VNode): void {
  if (isReadOnly(node)) throw new FsError(Errno.ROFS);
}

/**
 * A read-only tree of files (a package layer), built once per worker and attached to every run that uses
 * it ({@link VirtualFS.attachReadOnly}). File buffers are used as given (they may live in shared memory).
 */
export function buildReadOnlyTree(files: readonly { path: string; data: Uint8Array; mtimeMs?: number }[], dirs: readonly string[] = []): VDir {
  const root = newDir();
  const dirAt = (parts: string[]): VDir => {
    let node = root;
    for (const part of parts) {
      let child = node.entries.get(part);
      if (!child) {
        child = newDir();
        node.entries.set(part, child);
      }
      if (child.kind !== 'dir') throw new FsError(Errno.NOTDIR);
      node = child;
    }
    return node;
  };
  for (const dir of dirs) dirAt(splitPath(dir));
  for (const file of files) {
    const parts = splitPath(file.path);
    const name = parts.pop();
    if (name === undefined) continue;
    const node = newFile(file.data, true);
    if (file.mtimeMs !== undefined) node.mtime = node.ctime = node.atime = BigInt(Math.round(file.mtimeMs * 1e6));
    node.readonly = true;
    dirAt(parts).entries.set(name, node);
  }
  walk(root, '', (_path, node) => {
    if (node.kind === 'dir') node.readonly = true;
    return true;
  });
  root.readonly = true;
  return root;
}

function cloneDir(dir: VDir): VDir {
  const copy: VDir = { ...dir, ino: nextIno++, entries: new Map() };
  for (const [name, node] of dir.entries) {
    if (isReadOnly(node)) copy.entries.set(name, node);
    else if (node.kind === 'dir') copy.entries.set(name, cloneDir(node));
    else if (node.kind === 'file') {
      node.shared = true;
      copy.entries.set(name, { ...node, ino: nextIno++, shared: true });
    } else copy.entries.set(name, { ...node });
  }
  return copy;
}

/**
 * What is below a directory whose path is `prefix`: bytes held by files, number of nodes, bytes of their
 * paths together, and the longest of their paths relative to the directory (with its leading slash).
 */
function measure(dir: VDir, prefix: string): { bytes: number; nodes: number; pathBytes: number; deepest: number } {
  const size = { bytes: 0, nodes: 0, pathBytes: 0, deepest: 0 };
  const base = pathBytes(prefix);
  walk(dir, '', (path, node) => {
    const bytes = pathBytes(path);
    size.nodes += 1;
    size.pathBytes += base + bytes;
    size.deepest = Math.max(size.deepest, bytes);
    if (node.kind === 'file') size.bytes += node.size;
    return true;
  });
  return size;
}

function pathBytes(path: string): number {
  return Buffer.byteLength(path);
}

/** The normalized absolute form of a path. */
function normalize(path: string): string {
  return `/${splitPath(path).join('/')}`;
}

/** Visits nodes depth-first; the visitor returns false to skip a directory's contents. */
function walk(dir: VDir, prefix: string, visit: (path: string, node: VNode) => boolean): void {
  for (const [name, node] of dir.entries) {
    const path = `${prefix}/${name}`;
    if (!visit(path, node)) continue;
    if (node.kind === 'dir') walk(node, path, visit);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  return Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}
