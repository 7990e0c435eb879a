/**
 * Numbers of the WASI ABI (snapshot preview1, plus the older `wasi_unstable` where it differs).
 * Only what the sandbox uses is listed.
 */

/** WASI error numbers. */
export const Errno = {
  SUCCESS: 0,
  TOOBIG: 1,
  ACCES: 2,
  AGAIN: 6,
  BADF: 8,
  EXIST: 20,
  FAULT: 21,
  FBIG: 22,
  INVAL: 28,
  IO: 29,
  ISDIR: 31,
  LOOP: 32,
  MFILE: 33,
  NAMETOOLONG: 37,
  NOENT: 44,
  NOMEM: 48,
  NOSPC: 51,
  NOSYS: 52,
  NOTDIR: 54,
  NOTEMPTY: 55,
  NOTSUP: 58,
  NOTTY: 59,
  PERM: 63,
  PIPE: 64,
  ROFS: 69,
  SPIPE: 70,
  XDEV: 75,
  NOTCAPABLE: 76,
} as const;

/** File types as WASI reports them. */
export const FileType = {
  UNKNOWN: 0,
  CHARACTER_DEVICE: 2,
  DIRECTORY: 3,
  REGULAR_FILE: 4,
  SYMBOLIC_LINK: 7,
} as const;

/** `oflags` of `path_open`. */
export const OpenFlags = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 } as const;

/** `fdflags`. */
export const FdFlags = { APPEND: 1, DSYNC: 2, NONBLOCK: 4, RSYNC: 8, SYNC: 16 } as const;

/** Rights bits the sandbox looks at. */
export const Rights = {
  FD_READ: 1n << 1n,
  FD_SEEK: 1n << 2n,
  FD_TELL: 1n << 5n,
  FD_WRITE: 1n << 6n,
  ALL: 0x1fffffffn,
} as const;

/** Largest `advice` value of `fd_advise` (`noreuse`). */
export const MAX_ADVICE = 5;

/** `preopentype` of a preopened directory. */
export const PREOPEN_TYPE_DIR = 0;

/** `fstflags` of the set-times calls. */
export const TimeFlags = { ATIM: 1, ATIM_NOW: 2, MTIM: 4, MTIM_NOW: 8 } as const;

/** Clock identifiers. */
export const ClockId = { REALTIME: 0, MONOTONIC: 1, PROCESS_CPUTIME: 2, THREAD_CPUTIME: 3 } as const;

/** Subscription / event types of `poll_oneoff`. */
export const EventType = { CLOCK: 0, FD_READ: 1, FD_WRITE: 2 } as const;

/** Flag of a clock subscription whose timeout is an absolute time. */
export const SUBSCRIPTION_CLOCK_ABSTIME = 1;

/** Which import namespace a syscall was called through; the two differ in a few struct layouts. */
export type AbiFlavor = 'preview1' | 'unstable';

/** Preview1 and unstable disagree on the numbering of `whence`. */
export function whenceFor(flavor: AbiFlavor, whence: number): 'set' | 'cur' | 'end' | undefined {
  const order = flavor === 'preview1' ? (['set', 'cur', 'end'] as const) : (['cur', 'end', 'set'] as const);
  return order[whence];
}
