/**
 * The file descriptors of one program: 0–2 are the standard stream devices, 3 is the preopened root
 * directory (the only one: the whole virtual filesystem), and every `path_open` takes the lowest free
 * number above it. Lookups fail with the errno the calls return (EBADF, ENOTDIR).
 */
import { FsError, type VDevice, type VDir, type VFile, type VNode, type VirtualFS } from '../vfs/virtual-fs.js';
import { Errno, FdFlags } from './abi.js';

/** A regular file opened through `path_open`. */
export interface OpenFile {
  type: 'file';
  node: VFile;
  path: string;
  offset: number;
  fdflags: number;
  readable: boolean;
  writable: boolean;
}

/** A directory: the preopened root, or one opened through `path_open`. */
export interface OpenDir {
  type: 'dir';
  node: VDir;
  /** Its path when last seen (see {@link DescriptorTable.pathOf}). */
  path: string;
  /** The preopened root, which `fd_prestat_get` reports. */
  preopen: boolean;
}

/** A device: a standard stream or a node such as `/dev/null`. */
export interface OpenDevice {
  type: 'device';
  node: VDevice;
  path: string;
  fdflags: number;
}

/** What a file descriptor refers to. */
export type Descriptor = OpenFile | OpenDir | OpenDevice;

/** The descriptor of the preopened root directory. */
const PREOPEN_FD = 3;
/** Most descriptors open at once (EMFILE beyond). */
const MAX_FDS = 1024;

const STDIO_NAMES = ['stdin', 'stdout', 'stderr'];

export class DescriptorTable {
  private readonly entries = new Map<number, Descriptor>();

  constructor(
    private readonly vfs: VirtualFS,
    stdio: [VDevice, VDevice, VDevice],
  ) {
    stdio.forEach((node, fd) => this.entries.set(fd, { type: 'device', node, path: `/dev/${STDIO_NAMES[fd]}`, fdflags: fd === 0 ? 0 : FdFlags.APPEND }));
    this.entries.set(PREOPEN_FD, { type: 'dir', node: vfs.root, path: '/', preopen: true });
  }

  /** The descriptor `fd`, or undefined when it is not open. */
  find(fd: number): Descriptor | undefined {
    return this.entries.get(fd);
  }

  /** The descriptor `fd` (EBADF when it is not open). */
  get(fd: number): Descriptor {
    const entry = this.entries.get(fd);
    if (!entry) throw new FsError(Errno.BADF);
    return entry;
  }

  /** The directory `fd`, as the base of a path (EBADF, ENOTDIR). */
  directory(fd: number): OpenDir {
    const entry = this.get(fd);
    if (entry.type !== 'dir') throw new FsError(Errno.NOTDIR);
    return entry;
  }

  /** Opens a new descriptor on the lowest free number after the preopen (EMFILE when all are taken). */
  open(entry: Descriptor): number {
    for (let fd = PREOPEN_FD + 1; fd < MAX_FDS; fd++) {
      if (!this.entries.has(fd)) {
        this.entries.set(fd, entry);
        return fd;
      }
    }
    throw new FsError(Errno.MFILE);
  }

  close(fd: number): void {
    if (!this.entries.delete(fd)) throw new FsError(Errno.BADF);
  }

  /** Moves `from` onto `to`, closing what `to` was; both must be open (EBADF). */
  renumber(from: number, to: number): void {
    const entry = this.get(from);
    this.get(to);
    if (from === to) return;
    this.entries.set(to, entry);
    this.entries.delete(from);
  }

  /**
   * The current path of an open directory. A descriptor refers to the directory itself, not to its name:
   * after the directory (or a parent) is renamed, paths relative to it resolve in its new place. ENOENT
   * once it has been removed.
   */
  pathOf(dir: OpenDir): string {
    if (this.vfs.lookup(dir.path) === dir.node) return dir.path;
    const found = findPath(this.vfs.root, dir.node, '');
    if (found === undefined) throw new FsError(Errno.NOENT);
    dir.path = found || '/';
    return dir.path;
  }
}

/** Where `target` is under `dir` (whose path is `prefix`), searched depth-first. */
function findPath(dir: VDir, target: VNode, prefix: string): string | undefined {
  if (dir === target) return prefix;
  for (const [name, node] of dir.entries) {
    if (node.kind !== 'dir') continue;
    const found = findPath(node, target, `${prefix}/${name}`);
    if (found !== undefined) return found;
  }
  return undefined;
}
