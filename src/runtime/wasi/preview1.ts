/**
 * The WASI snapshot preview1 system interface as TypeScript types: every function a module may import
 * from `wasi_snapshot_preview1`, with its parameters as they arrive from WebAssembly (i32 → `number`,
 * i64 → `bigint`), named and ordered as in the specification (`wasi_snapshot_preview1.witx`).
 *
 * The import table is checked against it with `satisfies` (see import-table.ts): a missing, misspelled or
 * extra import, or an i64 parameter taken as a number, fails to compile. The older `wasi_unstable`
 * (snapshot 0) has the same functions and signatures; it differs only in a few struct layouts and in the
 * numbering of `whence` (see abi.ts), which the implementation handles.
 */

/** An address in the program's linear memory (wasm32: an i32, read unsigned). */
type Ptr = number;
/** A u32 length or count. */
type Size = number;
/** A file descriptor (u32). */
type Fd = number;
/** Every call but `proc_exit` returns an errno (u16). */
type Errno = number;
type Timestamp = bigint;
type FileSize = bigint;
type FileDelta = bigint;
type DirCookie = bigint;
type Rights = bigint;
type ClockId = number;
type ExitCode = number;
type Signal = number;
type Whence = number;
type Advice = number;
type FdFlags = number;
type OFlags = number;
type LookupFlags = number;
type FstFlags = number;
type RiFlags = number;
type SiFlags = number;
type SdFlags = number;

/** The functions of `wasi_snapshot_preview1`. */
export interface WasiPreview1 {
  // Arguments and environment
  args_get: (argv: Ptr, argvBuf: Ptr) => Errno;
  args_sizes_get: (argcOut: Ptr, argvBufSizeOut: Ptr) => Errno;
  environ_get: (environ: Ptr, environBuf: Ptr) => Errno;
  environ_sizes_get: (countOut: Ptr, bufSizeOut: Ptr) => Errno;

  // Clocks, randomness, scheduling, process
  clock_res_get: (id: ClockId, resolutionOut: Ptr) => Errno;
  clock_time_get: (id: ClockId, precision: Timestamp, timeOut: Ptr) => Errno;
  random_get: (buf: Ptr, bufLen: Size) => Errno;
  poll_oneoff: (subscriptions: Ptr, events: Ptr, nsubscriptions: Size, neventsOut: Ptr) => Errno;
  sched_yield: () => Errno;
  proc_exit: (rval: ExitCode) => never;
  proc_raise: (sig: Signal) => Errno;

  // File descriptors
  fd_advise: (fd: Fd, offset: FileSize, len: FileSize, advice: Advice) => Errno;
  fd_allocate: (fd: Fd, offset: FileSize, len: FileSize) => Errno;
  fd_close: (fd: Fd) => Errno;
  fd_datasync: (fd: Fd) => Errno;
  fd_fdstat_get: (fd: Fd, statOut: Ptr) => Errno;
  fd_fdstat_set_flags: (fd: Fd, flags: FdFlags) => Errno;
  fd_fdstat_set_rights: (fd: Fd, rightsBase: Rights, rightsInheriting: Rights) => Errno;
  fd_filestat_get: (fd: Fd, statOut: Ptr) => Errno;
  fd_filestat_set_size: (fd: Fd, size: FileSize) => Errno;
  fd_filestat_set_times: (fd: Fd, atim: Timestamp, mtim: Timestamp, fstFlags: FstFlags) => Errno;
  fd_pread: (fd: Fd, iovs: Ptr, iovsLen: Size, offset: FileSize, nreadOut: Ptr) => Errno;
  fd_prestat_get: (fd: Fd, prestatOut: Ptr) => Errno;
  fd_prestat_dir_name: (fd: Fd, path: Ptr, pathLen: Size) => Errno;
  fd_pwrite: (fd: Fd, iovs: Ptr, iovsLen: Size, offset: FileSize, nwrittenOut: Ptr) => Errno;
  fd_read: (fd: Fd, iovs: Ptr, iovsLen: Size, nreadOut: Ptr) => Errno;
  fd_readdir: (fd: Fd, buf: Ptr, bufLen: Size, cookie: DirCookie, bufusedOut: Ptr) => Errno;
  fd_renumber: (fd: Fd, to: Fd) => Errno;
  fd_seek: (fd: Fd, offset: FileDelta, whence: Whence, newOffsetOut: Ptr) => Errno;
  fd_sync: (fd: Fd) => Errno;
  fd_tell: (fd: Fd, offsetOut: Ptr) => Errno;
  fd_write: (fd: Fd, iovs: Ptr, iovsLen: Size, nwrittenOut: Ptr) => Errno;

  // Paths
  path_create_directory: (fd: Fd, path: Ptr, pathLen: Size) => Errno;
  path_filestat_get: (fd: Fd, flags: LookupFlags, path: Ptr, pathLen: Size, statOut: Ptr) => Errno;
  path_filestat_set_times: (fd: Fd, flags: LookupFlags, path: Ptr, pathLen: Size, atim: Timestamp, mtim: Timestamp, fstFlags: FstFlags) => Errno;
  path_link: (oldFd: Fd, oldFlags: LookupFlags, oldPath: Ptr, oldPathLen: Size, newFd: Fd, newPath: Ptr, newPathLen: Size) => Errno;
  path_open: (
    fd: Fd,
    dirflags: LookupFlags,
    path: Ptr,
    pathLen: Size,
    oflags: OFlags,
    rightsBase: Rights,
    rightsInheriting: Rights,
    fdflags: FdFlags,
    fdOut: Ptr,
  ) => Errno;
  path_readlink: (fd: Fd, path: Ptr, pathLen: Size, buf: Ptr, bufLen: Size, bufusedOut: Ptr) => Errno;
  path_remove_directory: (fd: Fd, path: Ptr, pathLen: Size) => Errno;
  path_rename: (fd: Fd, oldPath: Ptr, oldPathLen: Size, newFd: Fd, newPath: Ptr, newPathLen: Size) => Errno;
  path_symlink: (oldPath: Ptr, oldPathLen: Size, fd: Fd, newPath: Ptr, newPathLen: Size) => Errno;
  path_unlink_file: (fd: Fd, path: Ptr, pathLen: Size) => Errno;

  // Sockets (preview1 has no way to create one)
  sock_accept: (fd: Fd, flags: FdFlags, fdOut: Ptr) => Errno;
  sock_recv: (fd: Fd, riData: Ptr, riDataLen: Size, riFlags: RiFlags, roDataLenOut: Ptr, roFlagsOut: Ptr) => Errno;
  sock_send: (fd: Fd, siData: Ptr, siDataLen: Size, siFlags: SiFlags, soDataLenOut: Ptr) => Errno;
  sock_shutdown: (fd: Fd, how: SdFlags) => Errno;
}

/**
 * Socket calls that WasmEdge adds to the preview1 namespace; the QuickJS build imports them, so they must
 * exist for it to instantiate. The sandbox has no network: all of them fail with ENOSYS.
 */
export interface WasmEdgeSocketExtensions {
  sock_open: (...args: never[]) => Errno;
  sock_bind: (...args: never[]) => Errno;
  sock_listen: (...args: never[]) => Errno;
  sock_connect: (...args: never[]) => Errno;
  sock_setsockopt: (...args: never[]) => Errno;
  sock_getlocaladdr: (...args: never[]) => Errno;
  sock_getpeeraddr: (...args: never[]) => Errno;
  sock_getaddrinfo: (...args: never[]) => Errno;
}

/** Everything a sandboxed module may import from a WASI namespace. */
export type WasiImports = WasiPreview1 & WasmEdgeSocketExtensions;
