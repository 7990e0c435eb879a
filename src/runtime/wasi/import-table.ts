/**
 * The import object of one WASI namespace: every function of {@link WasiImports}, each forwarding to the
 * part of the system interface that implements it. The table `satisfies` the typed interface, so a missing,
 * misspelled or extra name, or a parameter of the wrong type, fails to compile.
 *
 * Errors the calls throw as {@link FsError} (from the filesystem, the descriptor table or a bad pointer)
 * become the call's errno; anything else (exit, limits, host failures) unwinds the program.
 */
import { FsError } from '../vfs/virtual-fs.js';
import { Errno, type AbiFlavor } from './abi.js';
import type { ClockCalls } from './clock-calls.js';
import type { FdCalls } from './fd-calls.js';
import type { PathCalls } from './path-calls.js';
import type { WasiImports } from './preview1.js';
import type { ProcessCalls } from './process-calls.js';

/** The parts of the system interface of one program. */
export interface SystemCalls {
  process: ProcessCalls;
  clocks: ClockCalls;
  fds: FdCalls;
  paths: PathCalls;
}

const nosys = (): number => Errno.NOSYS;

/** The functions of one namespace; `flavor` selects the struct layouts and `whence` numbering. */
export function importTable({ process, clocks, fds, paths }: SystemCalls, flavor: AbiFlavor): WasiImports {
  return {
    args_get: (argv, argvBuf) => process.argsGet(argv, argvBuf),
    args_sizes_get: (argcOut, bufSizeOut) => process.argsSizesGet(argcOut, bufSizeOut),
    environ_get: (environ, environBuf) => process.environGet(environ, environBuf),
    environ_sizes_get: (countOut, bufSizeOut) => process.environSizesGet(countOut, bufSizeOut),

    clock_res_get: (id, resolutionOut) => clocks.resGet(id, resolutionOut),
    clock_time_get: (id, _precision, timeOut) => clocks.timeGet(id, timeOut),
    random_get: (buf, bufLen) => clocks.random(buf, bufLen),
    poll_oneoff: (subscriptions, events, count, neventsOut) => clocks.poll(subscriptions, events, count, neventsOut, flavor),
    sched_yield: () => clocks.yield(),
    proc_exit: (code) => process.exit(code),
    proc_raise: () => process.raise(),

    fd_advise: (fd, _offset, _len, advice) => fds.advise(fd, advice),
    fd_allocate: (fd, offset, len) => fds.allocate(fd, offset, len),
    fd_close: (fd) => fds.close(fd),
    fd_datasync: (fd) => fds.sync(fd),
    fd_fdstat_get: (fd, statOut) => fds.fdstatGet(fd, statOut),
    fd_fdstat_set_flags: (fd, flags) => fds.fdstatSetFlags(fd, flags),
    fd_fdstat_set_rights: (fd, rightsBase) => fds.fdstatSetRights(fd, rightsBase),
    fd_filestat_get: (fd, statOut) => fds.filestatGet(fd, statOut, flavor),
    fd_filestat_set_size: (fd, size) => fds.filestatSetSize(fd, size),
    fd_filestat_set_times: (fd, atim, mtim, fstFlags) => fds.filestatSetTimes(fd, atim, mtim, fstFlags),
    fd_pread: (fd, iovs, iovsLen, offset, nreadOut) => fds.pread(fd, iovs, iovsLen, offset, nreadOut),
    fd_prestat_get: (fd, prestatOut) => fds.prestatGet(fd, prestatOut),
    fd_prestat_dir_name: (fd, path, pathLen) => fds.prestatDirName(fd, path, pathLen),
    fd_pwrite: (fd, iovs, iovsLen, offset, nwrittenOut) => fds.pwrite(fd, iovs, iovsLen, offset, nwrittenOut),
    fd_read: (fd, iovs, iovsLen, nreadOut) => fds.read(fd, iovs, iovsLen, nreadOut),
    fd_readdir: (fd, buf, bufLen, cookie, bufusedOut) => fds.readdir(fd, buf, bufLen, cookie, bufusedOut),
    fd_renumber: (fd, to) => fds.renumber(fd, to),
    fd_seek: (fd, offset, whence, newOffsetOut) => fds.seek(fd, offset, whence, newOffsetOut, flavor),
    fd_sync: (fd) => fds.sync(fd),
    fd_tell: (fd, offsetOut) => fds.tell(fd, offsetOut),
    fd_write: (fd, iovs, iovsLen, nwrittenOut) => fds.write(fd, iovs, iovsLen, nwrittenOut),

    path_create_directory: (fd, path, pathLen) => paths.createDirectory(fd, path, pathLen),
    path_filestat_get: (fd, _flags, path, pathLen, statOut) => paths.filestatGet(fd, path, pathLen, statOut, flavor),
    path_filestat_set_times: (fd, _flags, path, pathLen, atim, mtim, fstFlags) => paths.filestatSetTimes(fd, path, pathLen, atim, mtim, fstFlags),
    path_link: (oldFd, _oldFlags, oldPath, oldPathLen, newFd, newPath, newPathLen) => paths.link(oldFd, oldPath, oldPathLen, newFd, newPath, newPathLen),
    path_open: (fd, _dirflags, path, pathLen, oflags, rightsBase, _rightsInheriting, fdflags, fdOut) =>
      paths.open(fd, path, pathLen, oflags, rightsBase, fdflags, fdOut),
    path_readlink: (fd, path, pathLen) => paths.readlink(fd, path, pathLen),
    path_remove_directory: (fd, path, pathLen) => paths.removeDirectory(fd, path, pathLen),
    path_rename: (fd, oldPath, oldPathLen, newFd, newPath, newPathLen) => paths.rename(fd, oldPath, oldPathLen, newFd, newPath, newPathLen),
    path_symlink: (oldPath, oldPathLen, fd, newPath, newPathLen) => paths.symlink(oldPath, oldPathLen, fd, newPath, newPathLen),
    path_unlink_file: (fd, path, pathLen) => paths.unlinkFile(fd, path, pathLen),

    sock_accept: nosys,
    sock_recv: nosys,
    sock_send: nosys,
    sock_shutdown: nosys,
    sock_open: nosys,
    sock_bind: nosys,
    sock_listen: nosys,
    sock_connect: nosys,
    sock_setsockopt: nosys,
    sock_getlocaladdr: nosys,
    sock_getpeeraddr: nosys,
    sock_getaddrinfo: nosys,
  } satisfies WasiImports;
}

/** The import object WebAssembly receives: each function returns the errno of an {@link FsError}. */
export function guardErrnos(table: WasiImports): WebAssembly.ModuleImports {
  const guarded: WebAssembly.ModuleImports = {};
  for (const [name, call] of Object.entries(table) as [string, (...args: unknown[]) => number][]) {
    guarded[name] = (...args: unknown[]) => {
      try {
        return call(...args);
      } catch (error) {
        if (error instanceof FsError) return error.errno;
        throw error;
      }
    };
  }
  return guarded;
}
