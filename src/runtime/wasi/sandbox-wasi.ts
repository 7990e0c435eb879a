/**
 * The WASI system interface of one sandboxed program.
 *
 * Extends `@runno/wasi` (which provides arguments and environment handling) and replaces the parts the
 * sandbox needs to be exact or bounded:
 * - filesystem calls work on a {@link VirtualFS} tree with real directories, copy-on-write files and a
 *   byte cap, and paths can never leave it;
 * - standard streams and special files are devices whose reads and writes are byte-exact (no per-chunk
 *   text decoding) and may block on the host;
 * - clocks have nanosecond resolution, `random_get` accepts any length, and `poll_oneoff` sleeps without
 *   spinning a core.
 *
 * Both import namespaces are served: `wasi_snapshot_preview1` and the older `wasi_unstable` (used by the
 * clang toolchain), which differ in the layout of file stats and the numbering of `whence`.
 */
import { WASI } from '@runno/wasi';
import { Errno, EventType, FdFlags, FileType, OpenFlags, Rights, SUBSCRIPTION_CLOCK_ABSTIME, TimeFlags, type AbiFlavor, whenceFor, ClockId } from './abi.js';
import { FsError, joinPath, type VDevice, type VDir, type VFile, type VirtualFS } from '../vfs/virtual-fs.js';

/** Thrown by `proc_exit` to unwind the program. */
export class ProcessExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

/** Time and randomness sources, replaceable for deterministic runs. */
export interface SandboxClock {
  /** Wall-clock time in nanoseconds since the epoch. */
  realtimeNs(): bigint;
  /** Monotonic time in nanoseconds. */
  monotonicNs(): bigint;
  /** Blocks the calling thread for `ns` nanoseconds (or returns at once for a virtual clock). */
  sleepNs(ns: bigint): void;
  /** Fills `target` with random bytes. */
  fillRandom(target: Uint8Array): void;
}

/** What a {@link SandboxWASI} is built from. */
export interface SandboxWASIOptions {
  args: string[];
  env: Record<string, string>;
  fs: VirtualFS;
  /** Device nodes behind file descriptors 0, 1 and 2. */
  stdio: [VDevice, VDevice, VDevice];
  clock: SandboxClock;
}

type OpenFile = { type: 'file'; node: VFile; path: string; offset: number; fdflags: number; readable: boolean; writable: boolean };
type OpenDir = { type: 'dir'; node: VDir; path: string };
type OpenDevice = { type: 'device'; node: VDevice; path: string; fdflags: number };
type OpenEntry = OpenFile | OpenDir | OpenDevice;

const PREOPEN_FD = 3;
const STREAM_RIGHTS = Rights.ALL & ~((1n << 2n) | (1n << 5n)); // no FD_SEEK / FD_TELL on streams
const MAX_FDS = 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/** WASI implementation of one sandboxed program. */
export class SandboxWASI extends WASI {
  private readonly vfs: VirtualFS;
  private readonly clock: SandboxClock;
  private readonly fds = new Map<number, OpenEntry>();
  private readonly startNs: bigint;

  constructor(options: SandboxWASIOptions) {
    super({ args: options.args, env: options.env, fs: {} });
    this.vfs = options.fs;
    this.clock = options.clock;
    this.startNs = options.clock.monotonicNs();
    options.stdio.forEach((node, fd) =>
      this.fds.set(fd, { type: 'device', node, path: `/dev/${['stdin', 'stdout', 'stderr'][fd]}`, fdflags: fd === 0 ? 0 : FdFlags.APPEND }),
    );
    this.fds.set(PREOPEN_FD, { type: 'dir', node: this.vfs.root, path: '/' });
  }

  /** Imports for both WASI namespaces (replaces `getImportObject` of the base class). */
  sandboxImports(): { wasi_snapshot_preview1: WebAssembly.ModuleImports; wasi_unstable: WebAssembly.ModuleImports } {
    return { wasi_snapshot_preview1: this.imports('preview1'), wasi_unstable: this.imports('unstable') };
  }

  /** Runs the program's `_start` and returns its exit code. Traps and other errors propagate. */
  run(instance: WebAssembly.Instance, memory: WebAssembly.Memory): number {
    this.instance = instance;
    this.memory = memory;
    const start = instance.exports._start;
    if (typeof start !== 'function') throw new Error('The module does not export _start');
    try {
      (start as () => void)();
      return 0;
    } catch (error) {
      if (error instanceof ProcessExit) return error.code;
      throw error;
    }
  }

  private imports(flavor: AbiFlavor): WebAssembly.ModuleImports {
    const enosys = () => Errno.NOSYS;
    const table: Record<string, (...a: never[]) => number | void> = {
      args_get: (a: number, b: number) => this.args_get(a, b),
      args_sizes_get: (a: number, b: number) => this.args_sizes_get(a, b),
      environ_get: (a: number, b: number) => this.environ_get(a, b),
      environ_sizes_get: (a: number, b: number) => this.environ_sizes_get(a, b),
      clock_res_get: (id: number, out: number) => this.clockResGet(id, out),
      clock_time_get: (id: number, _precision: bigint, out: number) => this.clockTimeGet(id, out),
      proc_exit: (code: number) => {
        throw new ProcessExit(code);
      },
      proc_raise: enosys,
      random_get: (ptr: number, len: number) => this.randomGet(ptr, len),
      sched_yield: () => Errno.SUCCESS,
      fd_advise: (fd: number) => (this.fds.has(fd) ? Errno.SUCCESS : Errno.BADF),
      fd_allocate: (fd: number, offset: bigint, len: bigint) => this.fdAllocate(fd, offset, len),
      fd_close: (fd: number) => this.fdClose(fd),
      fd_datasync: (fd: number) => (this.fds.has(fd) ? Errno.SUCCESS : Errno.BADF),
      fd_sync: (fd: number) => (this.fds.has(fd) ? Errno.SUCCESS : Errno.BADF),
      fd_fdstat_get: (fd: number, out: number) => this.fdFdstatGet(fd, out),
      fd_fdstat_set_flags: (fd: number, flags: number) => this.fdFdstatSetFlags(fd, flags),
      fd_fdstat_set_rights: (fd: number) => (this.fds.has(fd) ? Errno.SUCCESS : Errno.BADF),
      fd_filestat_get: (fd: number, out: number) => this.fdFilestatGet(fd, out, flavor),
      fd_filestat_set_size: (fd: number, size: bigint) => this.fdFilestatSetSize(fd, size),
      fd_filestat_set_times: (fd: number, atim: bigint, mtim: bigint, flags: number) => this.fdFilestatSetTimes(fd, atim, mtim, flags),
      fd_pread: (fd: number, iovs: number, n: number, offset: bigint, out: number) => this.fdPread(fd, iovs, n, offset, out),
      fd_pwrite: (fd: number, iovs: number, n: number, offset: bigint, out: number) => this.fdPwrite(fd, iovs, n, offset, out),
      fd_prestat_get: (fd: number, out: number) => this.fdPrestatGet(fd, out),
      fd_prestat_dir_name: (fd: number, ptr: number, len: number) => this.fdPrestatDirName(fd, ptr, len),
      fd_read: (fd: number, iovs: number, n: number, out: number) => this.fdRead(fd, iovs, n, out),
      fd_readdir: (fd: number, buf: number, len: number, cookie: bigint, out: number) => this.fdReaddir(fd, buf, len, cookie, out),
      fd_renumber: (from: number, to: number) => this.fdRenumber(from, to),
      fd_seek: (fd: number, offset: bigint, whence: number, out: number) => this.fdSeek(fd, offset, whence, out, flavor),
      fd_tell: (fd: number, out: number) => this.fdTell(fd, out),
      fd_write: (fd: number, iovs: number, n: number, out: number) => this.fdWrite(fd, iovs, n, out),
      path_create_directory: (fd: number, ptr: number, len: number) => this.pathOp(fd, ptr, len, (p) => void this.vfs.mkdir(p)),
      path_filestat_get: (fd: number, _flags: number, ptr: number, len: number, out: number) => this.pathFilestatGet(fd, ptr, len, out, flavor),
      path_filestat_set_times: (fd: number, _flags: number, ptr: number, len: number, atim: bigint, mtim: bigint, flags: number) =>
        this.pathFilestatSetTimes(fd, ptr, len, atim, mtim, flags),
      path_link: () => Errno.NOTSUP,
      path_open: (fd: number, _dirflags: number, ptr: number, len: number, oflags: number, rights: bigint, _inh: bigint, fdflags: number, out: number) =>
        this.pathOpen(fd, ptr, len, oflags, rights, fdflags, out),
      path_readlink: (fd: number, ptr: number, len: number) =>
        this.pathOp(fd, ptr, len, (p) => {
          throw new FsError(this.vfs.lookup(p) ? Errno.INVAL : Errno.NOENT);
        }),
      path_remove_directory: (fd: number, ptr: number, len: number) => this.pathOp(fd, ptr, len, (p) => this.vfs.rmdir(p)),
      path_rename: (fd: number, ptr: number, len: number, fd2: number, ptr2: number, len2: number) => this.pathRename(fd, ptr, len, fd2, ptr2, len2),
      path_symlink: () => Errno.NOTSUP,
      path_unlink_file: (fd: number, ptr: number, len: number) => this.pathOp(fd, ptr, len, (p) => this.vfs.unlink(p)),
      poll_oneoff: (input: number, output: number, n: number, out: number) => this.pollOneoff(input, output, n, out, flavor),
    };
    for (const name of [
      'sock_accept',
      'sock_recv',
      'sock_send',
      'sock_shutdown',
      'sock_open',
      'sock_listen',
      'sock_connect',
      'sock_setsockopt',
      'sock_bind',
      'sock_getlocaladdr',
      'sock_getpeeraddr',
      'sock_getaddrinfo',
    ]) {
      table[name] = enosys;
    }
    // Filesystem errors surface as errnos; anything else (exit, limits, host failures) unwinds the program.
    const wrapped: WebAssembly.ModuleImports = {};
    for (const [name, fn] of Object.entries(table)) {
      wrapped[name] = (...args: never[]) => {
        try {
          return fn(...args);
        } catch (error) {
          if (error instanceof FsError) return error.errno;
          throw error;
        }
      };
    }
    return wrapped;
  }

  // --- memory helpers -------------------------------------------------------------------------

  private view(): DataView {
    return new DataView(this.memory.buffer);
  }

  private bytes(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, len);
  }

  private iovecs(ptr: number, count: number): Uint8Array[] {
    const view = this.view();
    const out: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const base = view.getUint32(ptr + i * 8, true);
      const len = view.getUint32(ptr + i * 8 + 4, true);
      out.push(new Uint8Array(this.memory.buffer, base, len));
    }
    return out;
  }

  private readPath(ptr: number, len: number): string {
    const raw = this.bytes(ptr, len);
    if (raw.includes(0)) throw new FsError(Errno.INVAL);
    try {
      return decoder.decode(raw);
    } catch {
      throw new FsError(Errno.INVAL);
    }
  }

  /** Resolves a path relative to a directory descriptor into a normalized absolute path. */
  private resolve(fd: number, ptr: number, len: number): string {
    const dir = this.fds.get(fd);
    if (!dir) throw new FsError(Errno.BADF);
    if (dir.type !== 'dir') throw new FsError(Errno.NOTDIR);
    const relative = this.readPath(ptr, len);
    if (relative === '') throw new FsError(Errno.NOENT);
    return joinPath(dir.path, relative);
  }

  private pathOp(fd: number, ptr: number, len: number, op: (path: string) => void): number {
    op(this.resolve(fd, ptr, len));
    return Errno.SUCCESS;
  }

  private allocateFd(entry: OpenEntry): number {
    for (let fd = PREOPEN_FD + 1; fd < MAX_FDS; fd++) {
      if (!this.fds.has(fd)) {
        this.fds.set(fd, entry);
        return fd;
      }
    }
    throw new FsError(Errno.MFILE);
  }

  // --- clocks and randomness ------------------------------------------------------------------

  private clockResGet(id: number, out: number): number {
    if (id < 0 || id > 3) return Errno.INVAL;
    this.view().setBigUint64(out, 1000n, true);
    return Errno.SUCCESS;
  }

  private clockTimeGet(id: number, out: number): number {
    let value: bigint;
    switch (id) {
      case ClockId.REALTIME:
        value = this.clock.realtimeNs();
        break;
      case ClockId.MONOTONIC:
        value = this.clock.monotonicNs();
        break;
      case ClockId.PROCESS_CPUTIME:
      case ClockId.THREAD_CPUTIME:
        value = this.clock.monotonicNs() - this.startNs;
        break;
      default:
        return Errno.INVAL;
    }
    this.view().setBigUint64(out, value, true);
    return Errno.SUCCESS;
  }

  private randomGet(ptr: number, len: number): number {
    this.clock.fillRandom(this.bytes(ptr, len));
    return Errno.SUCCESS;
  }

  // --- descriptors ----------------------------------------------------------------------------

  private fdClose(fd: number): number {
    if (!this.fds.delete(fd)) return Errno.BADF;
    return Errno.SUCCESS;
  }

  private fdRenumber(from: number, to: number): number {
    const entry = this.fds.get(from);
    if (!entry || !this.fds.has(to)) return Errno.BADF;
    if (from !== to) {
      this.fds.set(to, entry);
      this.fds.delete(from);
    }
    return Errno.SUCCESS;
  }

  private fdFdstatGet(fd: number, out: number): number {
    const entry = this.fds.get(fd);
    if (!entry) return Errno.BADF;
    const view = this.view();
    let type: number = FileType.DIRECTORY;
    let flags = 0;
    let rights: bigint = Rights.ALL;
    if (entry.type === 'file') {
      type = FileType.REGULAR_FILE;
      flags = entry.fdflags;
      if (!entry.readable) rights &= ~Rights.FD_READ;
      if (!entry.writable) rights &= ~Rights.FD_WRITE;
    } else if (entry.type === 'device') {
      type = FileType.CHARACTER_DEVICE;
      flags = entry.fdflags;
      rights = STREAM_RIGHTS;
    }
    view.setUint8(out, type);
    view.setUint16(out + 2, flags, true);
    view.setBigUint64(out + 8, rights, true);
    view.setBigUint64(out + 16, rights, true);
    return Errno.SUCCESS;
  }

  private fdFdstatSetFlags(fd: number, flags: number): number {
    const entry = this.fds.get(fd);
    if (!entry) return Errno.BADF;
    if (entry.type !== 'dir') entry.fdflags = flags;
    return Errno.SUCCESS;
  }

  private fdFilestatGet(fd: number, out: number, flavor: AbiFlavor): number {
    const entry = this.fds.get(fd);
    if (!entry) return Errno.BADF;
    this.writeFilestat(out, entry.node, flavor);
    return Errno.SUCCESS;
  }

  private writeFilestat(out: number, node: VFile | VDir | VDevice, flavor: AbiFlavor): void {
    const view = this.view();
    const type = node.kind === 'file' ? FileType.REGULAR_FILE : node.kind === 'dir' ? FileType.DIRECTORY : FileType.CHARACTER_DEVICE;
    const size = BigInt(node.kind === 'file' ? node.size : 0);
    view.setBigUint64(out, 0n, true);
    view.setBigUint64(out + 8, BigInt(node.ino), true);
    if (flavor === 'preview1') {
      view.setBigUint64(out + 16, 0n, true);
      view.setUint8(out + 16, type);
      view.setBigUint64(out + 24, 1n, true);
      view.setBigUint64(out + 32, size, true);
      view.setBigUint64(out + 40, node.atime, true);
      view.setBigUint64(out + 48, node.mtime, true);
      view.setBigUint64(out + 56, node.ctime, true);
    } else {
      view.setBigUint64(out + 16, 0n, true);
      view.setUint8(out + 16, type);
      view.setUint32(out + 20, 1, true);
      view.setBigUint64(out + 24, size, true);
      view.setBigUint64(out + 32, node.atime, true);
      view.setBigUint64(out + 40, node.mtime, true);
      view.setBigUint64(out + 48, node.ctime, true);
    }
  }

  private fdFilestatSetSize(fd: number, size: bigint): number {
    const entry = this.fds.get(fd);
    if (!entry) return Errno.BADF;
    if (entry.type !== 'file') return entry.type === 'dir' ? Errno.ISDIR : Errno.INVAL;
    if (!entry.writable) return Errno.BADF;
    this.vfs.resize(entry.node, Number(size));
    return Errno.SUCCESS;
  }

  private fdFilestatSetTimes(fd: number, atim: bigint, mtim: bigint, flags: number): number {
    const entry = this.fds.get(fd);
    if (!entry) return Errno.BADF;
    this.setTimes(entry.node, atim, mtim, flags);
    return Errno.SUCCESS;
  }

  private setTimes(node: VFile | VDir | VDevice, atim: bigint, mtim: bigint, flags: number): void {
    const current = this.clock.realtimeNs();
    if (flags & TimeFlags.ATIM) node.atime = atim;
    if (flags & TimeFlags.ATIM_NOW) node.atime = current;
    if (flags & TimeFlags.MTIM) node.mtime = mtim;
    if (flags & TimeFlags.MTIM_NOW) node.mtime = current;
  }

  private fdAllocate(fd: number, offset: bigint, len: bigint): number {
    const entry = this.fds.get(fd);
    if (!entry) return Errno.BADF;
    if (entry.type !== 'file' || !entry.writable) return Errno.BADF;
    const end = Number(offset + len);
    if (end > entry.node.size) this.vfs.resize(entry.node, end);
    return Errno.SUCCESS;
  }

  private fdPrestatGet(fd: number, out: number): number {
    if (fd !== PREOPEN_FD || this.fds.get(fd)?.type !== 'dir') return Errno.BADF;
    const view = this.view();
    view.setUint32(out, 0, true);
    view.setUint32(out + 4, 1, true);
    return Errno.SUCCESS;
  }

  private fdPrestatDirName(fd: number, ptr: number, len: number): number {
    if (fd !== PREOPEN_FD) return Errno.BADF;
    if (len < 1) return Errno.NAMETOOLONG;
    this.bytes(ptr, 1)[0] = 0x2f; // "/"
    return Errno.SUCCESS;
  }

  private fdRead(fd: number, iovs: number, count: number, out: number): number {
    const entry = this.fds.get(fd);
    if (!entry) return Errno.BADF;
    const buffers = this.iovecs(iovs, count);
    let total = 0;
    if (entry.type === 'dir') return Errno.ISDIR;
    if (entry.type === 'device') {
      const read = entry.node.device.read;
      if (!read) return Errno.BADF;
      const want = buffers.reduce((n, b) => n + b.byteLength, 0);
      // A device read returns what is available (at least one byte, or none at end of input).
      const chunk = want === 0 ? new Uint8Array(0) : read.call(entry.node.device, want);
      let offset = 0;
      for (const buffer of buffers) {
        if (offset >= chunk.byteLength) break;
        const part = chunk.subarray(offset, offset + buffer.byteLength);
        // The wasm memory may have grown during a blocking read; re-derive the view.
        new Uint8Array(this.memory.buffer, buffer.byteOffset, part.byteLength).set(part);
        offset += part.byteLength;
      }
      total = offset;
    } else {
      if (!entry.readable) return Errno.BADF;
      for (const buffer of buffers) {
        const chunk = this.vfs.read(entry.node, entry.offset, buffer.byteLength);
        buffer.set(chunk);
        entry.offset += chunk.byteLength;
        total += chunk.byteLength;
        if (chunk.byteLength < buffer.byteLength) break;
      }
      entry.node.atime = this.clock.realtimeNs();
    }
    this.view().setUint32(out, total, true);
    return Errno.SUCCESS;
  }

  private fdPread(fd: number, iovs: number, count: number, offset: bigint, out: number): number {
    const entry = this.fds.get(fd);
    if (!entry) return Errno.BADF;
    if (entry.type === 'dir') return Errno.ISDIR;
    if (entry.type === 'device') return Errno.SPIPE;
    if (!entry.readable) return Errno.BADF;
    let position = Number(offset);
    let total = 0;
    for (const buffer of this.iovecs(iovs, count)) {
      const chunk = this.vfs.read(entry.node, position, buffer.byteLength);
      buffer.set(chunk);
      position += chunk.byteLength;
      total += chunk.byteLength;
      if (chunk.byteLength < buffer.byteLength) break;
    }
    this.view().setUint32(out, total, true);
    return Errno.SUCCESS;
  }

  private fdWrite(fd: number, iovs: number, count: number, out: number): number {
    const entry = this.fds.get(fd);
    if (!entry) return Errno.BADF;
    if (entry.type === 'dir') return Errno.ISDIR;
    const buffers = this.iovecs(iovs, count);
    let total = 0;
    if (entry.type === 'device') {
      const write = entry.node.device.write;
      if (!write) return Errno.BADF;
      const size = buffers.reduce((n, b) => n + b.byteLength, 0);
      if (size > 0) {
        // One device write per call keeps a writev (e.g. a line and its newline) together.
        const joined = buffers.length === 1 ? buffers[0] : Buffer.concat(buffers);
        const errno = write.call(entry.node.device, joined);
        if (errno !== Errno.SUCCESS) return errno;
      }
      total = size;
    } else {
      if (!entry.writable) return Errno.BADF;
      for (const buffer of buffers) {
        if (entry.fdflags & FdFlags.APPEND) entry.offset = entry.node.size;
        this.vfs.write(entry.node, entry.offset, buffer);
        entry.offset += buffer.byteLength;
        total += buffer.byteLength;
      }
    }
    this.view().setUint32(out, total, true);
    return Errno.SUCCESS;
  }

  private fdPwrite(fd: number, iovs: number, count: number, offset: bigint, out: number): number {
    const entry = this.fds.get(fd);
    if (!entry) return Errno.BADF;
    if (entry.type === 'dir') return Errno.ISDIR;
    if (entry.type === 'device') return Errno.SPIPE;
    if (!entry.writable) return Errno.BADF;
    let position = Number(offset);
    let total = 0;
    for (const buffer of this.iovecs(iovs, count)) {
      this.vfs.write(entry.node, position, buffer);
      position += buffer.byteLength;
      total += buffer.byteLength;
    }
    this.view().setUint32(out, total, true);
    return Errno.SUCCESS;
  }

  private fdSeek(fd: number, offset: bigint, whence: number, out: number, flavor: AbiFlavor): number {
    const entry = this.fds.get(fd);
    if (!entry) return Errno.BADF;
    if (entry.type === 'device') return Errno.SPIPE;
    if (entry.type === 'dir') return Errno.BADF;
    const base = { set: 0, cur: entry.offset, end: entry.node.size }[whenceFor(flavor, whence) ?? 'set'];
    if (whenceFor(flavor, whence) === undefined) return Errno.INVAL;
    const target = BigInt(base) + offset;
    if (target < 0n) return Errno.INVAL;
    entry.offset = Number(target);
    this.view().setBigUint64(out, target, true);
    return Errno.SUCCESS;
  }

  private fdTell(fd: number, out: number): number {
    const entry = this.fds.get(fd);
    if (!entry) return Errno.BADF;
    if (entry.type !== 'file') return Errno.SPIPE;
    this.view().setBigUint64(out, BigInt(entry.offset), true);
    return Errno.SUCCESS;
  }

  private fdReaddir(fd: number, buf: number, len: number, cookie: bigint, out: number): number {
    const entry = this.fds.get(fd);
    if (!entry) return Errno.BADF;
    if (entry.type !== 'dir') return Errno.NOTDIR;
    const listing: [string, number, number][] = [
      ['.', entry.node.ino, FileType.DIRECTORY],
      ['..', entry.node.ino, FileType.DIRECTORY],
    ];
    for (const [name, node] of entry.node.entries) {
      const type = node.kind === 'file' ? FileType.REGULAR_FILE : node.kind === 'dir' ? FileType.DIRECTORY : FileType.CHARACTER_DEVICE;
      listing.push([name, node.ino, type]);
    }
    const target = this.bytes(buf, len);
    let used = 0;
    for (let i = Number(cookie); i < listing.length && used < len; i++) {
      const [name, ino, type] = listing[i];
      const nameBytes = encoder.encode(name);
      const record = new Uint8Array(24 + nameBytes.byteLength);
      const view = new DataView(record.buffer);
      view.setBigUint64(0, BigInt(i + 1), true);
      view.setBigUint64(8, BigInt(ino), true);
      view.setUint32(16, nameBytes.byteLength, true);
      view.setUint8(20, type);
      record.set(nameBytes, 24);
      // A record that does not fit is truncated; the caller sees a full buffer and asks again.
      const take = Math.min(record.byteLength, len - used);
      target.set(record.subarray(0, take), used);
      used += take;
    }
    this.view().setUint32(out, used, true);
    return Errno.SUCCESS;
  }

  // --- paths ----------------------------------------------------------------------------------

  private pathFilestatGet(fd: number, ptr: number, len: number, out: number, flavor: AbiFlavor): number {
    const node = this.vfs.lookup(this.resolve(fd, ptr, len));
    if (!node) return Errno.NOENT;
    this.writeFilestat(out, node, flavor);
    return Errno.SUCCESS;
  }

  private pathFilestatSetTimes(fd: number, ptr: number, len: number, atim: bigint, mtim: bigint, flags: number): number {
    const node = this.vfs.lookup(this.resolve(fd, ptr, len));
    if (!node) return Errno.NOENT;
    this.setTimes(node, atim, mtim, flags);
    return Errno.SUCCESS;
  }

  private pathRename(fd: number, ptr: number, len: number, fd2: number, ptr2: number, len2: number): number {
    this.vfs.rename(this.resolve(fd, ptr, len), this.resolve(fd2, ptr2, len2));
    return Errno.SUCCESS;
  }

  private pathOpen(fd: number, ptr: number, len: number, oflags: number, rights: bigint, fdflags: number, out: number): number {
    const path = this.resolve(fd, ptr, len);
    let node = this.vfs.lookup(path);
    if (node && oflags & OpenFlags.CREAT && oflags & OpenFlags.EXCL) return Errno.EXIST;
    if (!node) {
      if (!(oflags & OpenFlags.CREAT)) return Errno.NOENT;
      if (oflags & OpenFlags.DIRECTORY) return Errno.INVAL;
      node = this.vfs.createFile(path);
    }
    let entry: OpenEntry;
    if (node.kind === 'dir') {
      if (rights & Rights.FD_WRITE && oflags & OpenFlags.TRUNC) return Errno.ISDIR;
      entry = { type: 'dir', node, path };
    } else if (oflags & OpenFlags.DIRECTORY) {
      return Errno.NOTDIR;
    } else if (node.kind === 'device') {
      const errno = node.device.open?.() ?? Errno.SUCCESS;
      if (errno !== Errno.SUCCESS) return errno;
      entry = { type: 'device', node, path, fdflags };
    } else {
      const readable = (rights & Rights.FD_READ) !== 0n;
      const writable = (rights & Rights.FD_WRITE) !== 0n;
      if (oflags & OpenFlags.TRUNC) {
        if (!writable) return Errno.ACCES;
        this.vfs.resize(node, 0);
      }
      entry = { type: 'file', node, path, offset: 0, fdflags, readable, writable };
    }
    this.view().setUint32(out, this.allocateFd(entry), true);
    return Errno.SUCCESS;
  }

  // --- polling --------------------------------------------------------------------------------

  /**
   * Waits for the first of the subscribed events. Descriptors other than a device that would block are
   * always ready; clock subscriptions sleep on the host (no busy loop).
   */
  private pollOneoff(input: number, output: number, count: number, out: number, flavor: AbiFlavor): number {
    if (count === 0) return Errno.INVAL;
    const view = this.view();
    // wasi_unstable clock subscriptions carry an extra 8-byte identifier before the clock id.
    const size = flavor === 'preview1' ? 48 : 56;
    const clockAt = flavor === 'preview1' ? 16 : 24;
    type Sub = { userdata: bigint; type: number; fd?: number; deadline?: bigint };
    const subs: Sub[] = [];
    const nowNs = this.clock.monotonicNs();
    for (let i = 0; i < count; i++) {
      const at = input + i * size;
      const userdata = view.getBigUint64(at, true);
      const type = view.getUint8(at + 8);
      if (type === EventType.CLOCK) {
        const clockId = view.getUint32(at + clockAt, true);
        const timeout = view.getBigUint64(at + clockAt + 8, true);
        const flags = view.getUint16(at + clockAt + 24, true);
        let deadline = nowNs + timeout;
        if (flags & SUBSCRIPTION_CLOCK_ABSTIME) {
          deadline = clockId === ClockId.REALTIME ? nowNs + (timeout - this.clock.realtimeNs()) : timeout;
        }
        subs.push({ userdata, type, deadline });
      } else {
        subs.push({ userdata, type, fd: view.getUint32(at + 16, true) });
      }
    }

    const ready: { sub: Sub; errno: number; nbytes: bigint }[] = [];
    for (const sub of subs) {
      if (sub.type === EventType.CLOCK) continue;
      const entry = this.fds.get(sub.fd ?? -1);
      if (!entry) ready.push({ sub, errno: Errno.BADF, nbytes: 0n });
      else if (entry.type === 'file') ready.push({ sub, errno: Errno.SUCCESS, nbytes: BigInt(Math.max(0, entry.node.size - entry.offset)) });
      else ready.push({ sub, errno: Errno.SUCCESS, nbytes: 1n });
    }
    if (ready.length === 0) {
      const clocks = subs.filter((s) => s.type === EventType.CLOCK);
      const deadline = clocks.reduce((min, s) => (s.deadline! < min ? s.deadline! : min), clocks[0].deadline!);
      const wait = deadline - this.clock.monotonicNs();
      if (wait > 0n) this.clock.sleepNs(wait);
      for (const sub of clocks) if (sub.deadline! <= deadline) ready.push({ sub, errno: Errno.SUCCESS, nbytes: 0n });
    }

    const events = this.view();
    ready.forEach(({ sub, errno, nbytes }, i) => {
      const at = output + i * 32;
      events.setBigUint64(at, sub.userdata, true);
      events.setUint16(at + 8, errno, true);
      events.setUint8(at + 10, sub.type);
      events.setBigUint64(at + 16, nbytes, true);
      events.setUint16(at + 24, 0, true);
    });
    events.setUint32(out, ready.length, true);
    return Errno.SUCCESS;
  }
}
