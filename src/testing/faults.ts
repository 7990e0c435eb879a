/**
 * Fault injection for the reliability tests. Not part of the public API: tests import this module
 * directly and set a field; the code paths below read it. Every field is off by default.
 */
export const faults: {
  /** Fail the n-th step of the next disk syncs (1-based; 0 = off). */
  failDiskSyncOnStep: number;
  /** Terminate the worker this many ms after a call starts running, as if the thread died. */
  killWorkerAfterMs: number | undefined;
  /** Read proxy templates from this folder instead of the package's `templates/`. */
  templatesDir: string | undefined;
  /** Called after each file a disk sync writes or deletes, before the sync checks its work. */
  afterDiskWrite: ((hostPath: string) => void | Promise<void>) | undefined;
} = {
  failDiskSyncOnStep: 0,
  killWorkerAfterMs: undefined,
  templatesDir: undefined,
  afterDiskWrite: undefined,
};
