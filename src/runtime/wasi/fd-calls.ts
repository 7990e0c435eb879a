/**
 * The `fd_*` calls: reads and writes, positions, descriptor and file stats, directory listings and the
 * preopen. Files are byte arrays of the {@link VirtualFS}; devices read and write byte-exactly (no text
 * decoding) and may block on the host.
 */
import { FsError, type VirtualFS, type VNode } from '../vfs/virtual-fs.js';
import { Errno, FdFlags, FileType, MAX_ADVICE, Rights, TimeFlags, whenceFor, type AbiFlavor } from './abi.js';
import { encodeDirent, fileTypeOf, writeFdstat, writeFilestat, writePrestatDir } from './abi-structs.js';
import type { Descriptor, DescriptorTable, OpenFile } from './descriptor-table.js';
import type { GuestMemory, IoVec } from './guest-memory.js';

/** Streams cannot seek or tell. */
const STREAM_RIGHTS = Rights.ALL & ~(Rights.FD_SEEK | Rights.FD_TELL);
const PREOPEN_NAME = new TextEncoder().encode('/');
const encoder = new TextEncoder();

export class FdCalls {
  constructor(
    private readonly table: DescriptorTable,
    private readonly vfs: VirtualFS,
    private readonly memory: GuestMemory,
    private readonly now: () => bigint,
  ) {}

  // --- data -------------------------------------------------------------------------------------

  read(fd: number, iovs: number, count: number, nreadOut: number): number {
    const entry = this.table.get(fd);
    if (entry.type === 'dir') return Errno.ISDIR;
    const vecs = this.memory.iovecs(iovs, count);
    this.memory.check(nreadOut, 4);
    let total = 0;
    if (entry.type === 'device') {
      const read = entry.node.device.read;
      if (!read) return Errno.BADF;
      const want = vecs.reduce((n, vec) => n + vec.len, 0);
      // A device read returns what is available (at least one byte, or none at end of input).
      if (want > 0) total = this.memory.scatter(vecs, read.call(entry.node.device, want));
    } else {
      if (!entry.readable) return Errno.BADF;
      total = this.readAt(entry, entry.offset, vecs);
      entry.offset += total;
      entry.node.atime = this.now();
    }
    this.memory.setU32(nreadOut, total);
    return Errno.SUCCESS;
  }

  pread(fd: number, iovs: number, count: number, offset: bigint, nreadOut: number): number {
    const entry = this.seekable(fd);
    if (!entry.readable) return Errno.BADF;
    const vecs = this.memory.iovecs(iovs, count);
    this.memory.check(nreadOut, 4);
    this.memory.setU32(nreadOut, this.readAt(entry, Number(offset), vecs));
    return Errno.SUCCESS;
  }

  write(fd: number, iovs: number, count: number, nwrittenOut: number): number {
    const entry = this.table.get(fd);
    if (entry.type === 'dir') return Errno.ISDIR;
    const vecs = this.memory.iovecs(iovs, count);
    this.memory.check(nwrittenOut, 4);
    const size = vecs.reduce((n, vec) => n + vec.len, 0);
    if (entry.type === 'device') {
      const write = entry.node.device.write;
      if (!write) return Errno.BADF;
      if (size > 0) {
        // One device write per call keeps a writev (a line and its newline) together.
        const joined = vecs.length === 1 ? this.memory.bytes(vecs[0].ptr, vecs[0].len) : Buffer.concat(vecs.map((vec) => this.memory.bytes(vec.ptr, vec.len)));
        const errno = write.call(entry.node.device, joined);
        if (errno !== Errno.SUCCESS) return errno;
      }
    } else {
      if (!entry.writable) return Errno.BADF;
      for (const vec of vecs) {
        if (entry.fdflags & FdFlags.APPEND) entry.offset = entry.node.size;
        this.vfs.write(entry.node, entry.offset, this.memory.bytes(vec.ptr, vec.len));
        entry.offset += vec.len;
      }
    }
    this.memory.setU32(nwrittenOut, size);
    return Errno.SUCCESS;
  }

  pwrite(fd: number, iovs: number, count: number, offset: bigint, nwrittenOut: number): number {
    const entry = this.seekable(fd);
    if (!entry.writable) return Errno.BADF;
    const vecs = this.memory.iovecs(iovs, count);
    this.memory.check(nwrittenOut, 4);
    let position = Number(offset);
    for (const vec of vecs) {
      this.vfs.write(entry.node, position, this.memory.bytes(vec.ptr, vec.len));
      position += vec.len;
    }
    this.memory.setU32(nwrittenOut, position - Number(offset));
    return Errno.SUCCESS;
  }

  // --- position ---------------------------------------------------------------------------------

  seek(fd: number, offset: bigint, whence: number, newOffsetOut: number, flavor: AbiFlavor): number {
    const entry = this.table.get(fd);
    if (entry.type === 'device') return Errno.SPIPE;
    if (entry.type === 'dir') return Errno.BADF;
    const from = whenceFor(flavor, whence);
    if (from === undefined) return Errno.INVAL;
    const base = { set: 0, cur: entry.offset, end: entry.node.size }[from];
    const target = BigInt(base) + offset;
    if (target < 0n) return Errno.INVAL;
    entry.offset = Number(target);
    this.memory.setU64(newOffsetOut, target);
    return Errno.SUCCESS;
  }

  tell(fd: number, offsetOut: number): number {
    const entry = this.table.get(fd);
    if (entry.type === 'device') return Errno.SPIPE;
    if (entry.type === 'dir') return Errno.BADF;
    this.memory.setU64(offsetOut, BigInt(entry.offset));
    return Errno.SUCCESS;
  }

  // --- descriptors --------------------------------------------------------------------------------

  close(fd: number): number {
    this.table.close(fd);
    return Errno.SUCCESS;
  }

  renumber(from: number, to: number): number {
    this.table.renumber(from, to);
    return Errno.SUCCESS;
  }

  /** `fd_sync`, `fd_datasync`: nothing to flush in memory. */
  sync(fd: number): number {
    this.table.get(fd);
    return Errno.SUCCESS;
  }

  /** Advice is accepted and ignored; an unknown advice is EINVAL. */
  advise(fd: number, advice: number): number {
    this.table.get(fd);
    return advice >= 0 && advice <= MAX_ADVICE ? Errno.SUCCESS : Errno.INVAL;
  }

  allocate(fd: number, offset: bigint, len: bigint): number {
    const entry = this.table.get(fd);
    if (entry.type !== 'file' || !entry.writable) return Errno.BADF;
    const end = Number(offset + len);
    if (end > entry.node.size) this.vfs.resize(entry.node, end);
    return Errno.SUCCESS;
  }

  fdstatGet(fd: number, statOut: number): number {
    const entry = this.table.get(fd);
    if (entry.type === 'dir') {
      writeFdstat(this.memory, statOut, FileType.DIRECTORY, 0, Rights.ALL, Rights.ALL);
    } else if (entry.type === 'device') {
      writeFdstat(this.memory, statOut, FileType.CHARACTER_DEVICE, entry.fdflags, STREAM_RIGHTS, STREAM_RIGHTS);
    } else {
      let rights: bigint = Rights.ALL;
      if (!entry.readable) rights &= ~Rights.FD_READ;
      if (!entry.writable) rights &= ~Rights.FD_WRITE;
      writeFdstat(this.memory, statOut, FileType.REGULAR_FILE, entry.fdflags, rights, rights);
    }
    return Errno.SUCCESS;
  }

  fdstatSetFlags(fd: number, flags: number): number {
    const entry = this.table.get(fd);
    if (entry.type !== 'dir') entry.fdflags = flags;
    return Errno.SUCCESS;
  }

  /** Rights can only be dropped; dropping read or write makes those calls fail with EBADF. */
  fdstatSetRights(fd: number, rightsBase: bigint): number {
    const entry = this.table.get(fd);
    if (entry.type !== 'file') return Errno.SUCCESS;
    if ((rightsBase & Rights.FD_READ && !entry.readable) || (rightsBase & Rights.FD_WRITE && !entry.writable)) return Errno.NOTCAPABLE;
    entry.readable = (rightsBase & Rights.FD_READ) !== 0n;
    entry.writable = (rightsBase & Rights.FD_WRITE) !== 0n;
    return Errno.SUCCESS;
  }

  filestatGet(fd: number, statOut: number, flavor: AbiFlavor): number {
    writeFilestat(this.memory, statOut, this.table.get(fd).node, flavor);
    return Errno.SUCCESS;
  }

  filestatSetSize(fd: number, size: bigint): number {
    const entry = this.table.get(fd);
    if (entry.type !== 'file') return entry.type === 'dir' ? Errno.ISDIR : Errno.INVAL;
    if (!entry.writable) return Errno.BADF;
    this.vfs.resize(entry.node, Number(size));
    return Errno.SUCCESS;
  }

  filestatSetTimes(fd: number, atim: bigint, mtim: bigint, flags: number): number {
    return setTimes(this.table.get(fd).node, atim, mtim, flags, this.now);
  }

  // --- directories ------------------------------------------------------------------------------

  /**
   * Lists a directory: `.`, `..`, then its entries. The cookie of an entry is its index plus one; a
   * record that does not fit is cut short, which tells the caller to read again from its cookie.
   */
  readdir(fd: number, buf: number, bufLen: number, cookie: bigint, bufusedOut: number): number {
    const entry = this.table.get(fd);
    if (entry.type !== 'dir') return Errno.NOTDIR;
    const path = this.table.pathOf(entry);
    const parent = path === '/' ? entry.node : (this.vfs.lookup(path.slice(0, path.lastIndexOf('/')) || '/') ?? entry.node);
    const listing: [string, VNode][] = [['.', entry.node], ['..', parent], ...entry.node.entries];
    const target = this.memory.bytes(buf, bufLen);
    let used = 0;
    for (let i = Number(cookie); i < listing.length && used < target.byteLength; i++) {
      const [name, node] = listing[i];
      const record = encodeDirent(BigInt(i + 1), node.ino, encoder.encode(name), fileTypeOf(node));
      const take = Math.min(record.byteLength, target.byteLength - used);
      target.set(record.subarray(0, take), used);
      used += take;
    }
    this.memory.setU32(bufusedOut, used);
    return Errno.SUCCESS;
  }

  prestatGet(fd: number, prestatOut: number): number {
    const entry = this.table.find(fd);
    if (entry?.type !== 'dir' || !entry.preopen) return Errno.BADF;
    writePrestatDir(this.memory, prestatOut, PREOPEN_NAME.byteLength);
    return Errno.SUCCESS;
  }

  prestatDirName(fd: number, path: number, pathLen: number): number {
    const entry = this.table.find(fd);
    if (entry?.type !== 'dir' || !entry.preopen) return Errno.BADF;
    if (pathLen >>> 0 < PREOPEN_NAME.byteLength) return Errno.NAMETOOLONG;
    this.memory.write(path, PREOPEN_NAME);
    return Errno.SUCCESS;
  }

  // --- helpers ----------------------------------------------------------------------------------

  /** A regular file for the positional calls (ISDIR for directories, SPIPE for devices). */
  private seekable(fd: number): OpenFile {
    const entry: Descriptor = this.table.get(fd);
    if (entry.type === 'dir') throw new FsError(Errno.ISDIR);
    if (entry.type === 'device') throw new FsError(Errno.SPIPE);
    return entry;
  }

  private readAt(entry: OpenFile, offset: number, vecs: IoVec[]): number {
    let position = offset;
    for (const vec of vecs) {
      const chunk = this.vfs.read(entry.node, position, vec.len);
      this.memory.write(vec.ptr, chunk);
      position += chunk.byteLength;
      if (chunk.byteLength < vec.len) break;
    }
    return position - offset;
  }
}

/**
 * Sets a node's access and modification times. Setting a time both to a value and to "now" is EINVAL.
 * Shared by `fd_filestat_set_times` and `path_filestat_set_times`.
 */
export function setTimes(node: VNode, atim: bigint, mtim: bigint, flags: number, now: () => bigint): number {
  if ((flags & TimeFlags.ATIM && flags & TimeFlags.ATIM_NOW) || (flags & TimeFlags.MTIM && flags & TimeFlags.MTIM_NOW)) return Errno.INVAL;
  if (node.kind !== 'device' && node.readonly) return Errno.ROFS;
  const current = flags & (TimeFlags.ATIM_NOW | TimeFlags.MTIM_NOW) ? now() : 0n;
  if (flags & TimeFlags.ATIM) node.atime = atim;
  if (flags & TimeFlags.ATIM_NOW) node.atime = current;
  if (flags & TimeFlags.MTIM) node.mtime = mtim;
  if (flags & TimeFlags.MTIM_NOW) node.mtime = current;
  return Errno.SUCCESS;
}
