/**
 * The `path_*` calls. A path is resolved against a directory descriptor into a normalized absolute path of
 * the {@link VirtualFS}: `..` is resolved lexically and stops at the root (as `/..` is `/`), so no path
 * reaches anything outside the virtual tree. There are no links: `path_link` and `path_symlink` fail with
 * ENOTSUP, and `path_readlink` says that nothing is a link (EINVAL).
 */
import { FsError, joinPath, splitPath, type VirtualFS, type VNode } from '../vfs/virtual-fs.js';
import { Errno, OpenFlags, Rights, type AbiFlavor } from './abi.js';
import { writeFilestat } from './abi-structs.js';
import type { Descriptor, DescriptorTable } from './descriptor-table.js';
import { setTimes } from './fd-calls.js';
import type { GuestMemory } from './guest-memory.js';

/** A path named by the program, resolved. */
interface ResolvedPath {
  /** Normalized absolute path in the virtual filesystem. */
  path: string;
  /** Written with a trailing slash: it must name a directory (ENOTDIR otherwise). */
  mustBeDir: boolean;
}

export class PathCalls {
  constructor(
    private readonly table: DescriptorTable,
    private readonly vfs: VirtualFS,
    private readonly memory: GuestMemory,
    private readonly now: () => bigint,
  ) {}

  open(fd: number, pathPtr: number, pathLen: number, oflags: number, rightsBase: bigint, fdflags: number, fdOut: number): number {
    const { path, mustBeDir } = this.resolve(fd, pathPtr, pathLen);
    this.memory.check(fdOut, 4);
    let node = this.find(path, mustBeDir);
    if (node && oflags & OpenFlags.CREAT && oflags & OpenFlags.EXCL) return Errno.EXIST;
    if (!node) {
      if (!(oflags & OpenFlags.CREAT)) return Errno.NOENT;
      if (oflags & OpenFlags.DIRECTORY) return Errno.INVAL;
      if (mustBeDir) return Errno.ISDIR;
      node = this.vfs.createFile(path);
    }
    const writable = (rightsBase & Rights.FD_WRITE) !== 0n;
    let entry: Descriptor;
    if (node.kind === 'dir') {
      // A directory opens for reading only: asking to write, create or truncate it is EISDIR.
      if (writable || oflags & (OpenFlags.CREAT | OpenFlags.TRUNC)) return Errno.ISDIR;
      entry = { type: 'dir', node, path, preopen: false };
    } else if (oflags & OpenFlags.DIRECTORY) {
      return Errno.NOTDIR;
    } else if (node.kind === 'device') {
      const errno = node.device.open?.() ?? Errno.SUCCESS;
      if (errno !== Errno.SUCCESS) return errno;
      entry = { type: 'device', node, path, fdflags };
    } else {
      // A package's file opens for reading only.
      if (node.readonly && (writable || oflags & OpenFlags.TRUNC)) return Errno.ROFS;
      if (oflags & OpenFlags.TRUNC) {
        if (!writable) return Errno.ACCES;
        this.vfs.resize(node, 0);
      }
      entry = { type: 'file', node, path, offset: 0, fdflags, readable: (rightsBase & Rights.FD_READ) !== 0n, writable };
    }
    this.memory.setU32(fdOut, this.table.open(entry));
    return Errno.SUCCESS;
  }

  createDirectory(fd: number, pathPtr: number, pathLen: number): number {
    const { path } = this.resolve(fd, pathPtr, pathLen);
    if (path === '/') return Errno.EXIST;
    this.vfs.mkdir(path);
    return Errno.SUCCESS;
  }

  removeDirectory(fd: number, pathPtr: number, pathLen: number): number {
    const { path, mustBeDir } = this.resolve(fd, pathPtr, pathLen);
    this.find(path, mustBeDir);
    this.vfs.rmdir(path);
    return Errno.SUCCESS;
  }

  unlinkFile(fd: number, pathPtr: number, pathLen: number): number {
    const { path, mustBeDir } = this.resolve(fd, pathPtr, pathLen);
    const node = this.find(path, mustBeDir);
    if (node?.kind === 'dir') return Errno.ISDIR;
    this.vfs.unlink(path);
    return Errno.SUCCESS;
  }

  rename(fd: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number): number {
    const from = this.resolve(fd, oldPtr, oldLen);
    const to = this.resolve(newFd, newPtr, newLen);
    const node = this.find(from.path, from.mustBeDir);
    if (node && node.kind !== 'dir' && to.mustBeDir) return Errno.NOTDIR;
    this.vfs.rename(from.path, to.path);
    return Errno.SUCCESS;
  }

  filestatGet(fd: number, pathPtr: number, pathLen: number, statOut: number, flavor: AbiFlavor): number {
    const { path, mustBeDir } = this.resolve(fd, pathPtr, pathLen);
    const node = this.find(path, mustBeDir);
    if (!node) return Errno.NOENT;
    writeFilestat(this.memory, statOut, node, flavor);
    return Errno.SUCCESS;
  }

  filestatSetTimes(fd: number, pathPtr: number, pathLen: number, atim: bigint, mtim: bigint, flags: number): number {
    const { path, mustBeDir } = this.resolve(fd, pathPtr, pathLen);
    const node = this.find(path, mustBeDir);
    if (!node) return Errno.NOENT;
    return setTimes(node, atim, mtim, flags, this.now);
  }

  /** Nothing is a symbolic link: EINVAL for what exists, ENOENT for what does not. */
  readlink(fd: number, pathPtr: number, pathLen: number): number {
    const { path, mustBeDir } = this.resolve(fd, pathPtr, pathLen);
    return this.find(path, mustBeDir) ? Errno.INVAL : Errno.NOENT;
  }

  /** Links are not supported; the descriptors and paths are still checked first. */
  link(oldFd: number, oldPtr: number, oldLen: number, newFd: number, newPtr: number, newLen: number): number {
    this.resolve(oldFd, oldPtr, oldLen);
    this.resolve(newFd, newPtr, newLen);
    return Errno.NOTSUP;
  }

  symlink(oldPtr: number, oldLen: number, fd: number, newPtr: number, newLen: number): number {
    this.memory.string(oldPtr, oldLen);
    this.resolve(fd, newPtr, newLen);
    return Errno.NOTSUP;
  }

  /** Resolves a path relative to a directory descriptor (EBADF, ENOTDIR, ENOENT for an empty path). */
  private resolve(fd: number, pathPtr: number, pathLen: number): ResolvedPath {
    const dir = this.table.directory(fd);
    const relative = this.memory.string(pathPtr, pathLen);
    if (relative === '') throw new FsError(Errno.NOENT);
    return { path: joinPath(this.table.pathOf(dir), relative), mustBeDir: relative.endsWith('/') };
  }

  /**
   * The node at `path`, or undefined when its last component does not exist. A missing parent is ENOENT,
   * a parent that is not a directory ENOTDIR (as is a non-directory named with a trailing slash).
   */
  private find(path: string, mustBeDir: boolean): VNode | undefined {
    const parts = splitPath(path);
    let node: VNode = this.vfs.root;
    for (const [index, part] of parts.entries()) {
      if (node.kind !== 'dir') throw new FsError(Errno.NOTDIR);
      const child = node.entries.get(part);
      if (!child) {
        if (index < parts.length - 1) throw new FsError(Errno.NOENT);
        return undefined;
      }
      node = child;
    }
    if (mustBeDir && node.kind !== 'dir') throw new FsError(Errno.NOTDIR);
    return node;
  }
}
