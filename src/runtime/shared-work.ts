/**
 * Work that several callers wait for (one build for every call of the same code), each with its own
 * deadline: a caller that gives up stops waiting at once, and the work itself is stopped when the last
 * caller has given up, so that nothing runs on that nobody waits for.
 */

/** Why shared work was stopped: every caller that waited for it gave up. */
export class WorkAbandoned extends Error {
  constructor() {
    super('Every caller stopped waiting for this work');
    this.name = 'WorkAbandoned';
  }
}

/** One piece of work and the callers waiting for it. */
export class SharedWork<T> {
  private readonly controller = new AbortController();
  /** Callers waiting with a signal. */
  private waiting = 0;
  /** A caller waits without a signal: the work is never abandoned. */
  private held = false;
  private settled = false;
  /** The work's own promise (settles whether or not anyone waits). */
  readonly done: Promise<T>;

  /**
   * Starts the work.
   *
   * @param run the work; `signal` aborts (with {@link WorkAbandoned}) when every caller has given up
   * @param onAbandoned called when the work is abandoned (a cache drops it, so that a new caller starts afresh)
   */
  constructor(
    run: (signal: AbortSignal) => Promise<T>,
    private readonly onAbandoned?: () => void,
  ) {
    this.done = Promise.resolve().then(() => run(this.controller.signal));
    this.done.then(
      () => (this.settled = true),
      () => (this.settled = true),
    );
  }

  /** Whether the work was abandoned. */
  get abandoned(): boolean {
    return this.controller.signal.aborted;
  }

  /** Whether the work has finished (either way). */
  get isSettled(): boolean {
    return this.settled;
  }

  /**
   * Waits for the work. Rejects with `signal.reason` as soon as `signal` aborts; the work goes on while
   * another caller waits. Without a signal the caller waits for as long as the work takes.
   */
  join(signal?: AbortSignal): Promise<T> {
    if (!signal) {
      this.held = true;
      return this.done;
    }
    if (signal.aborted) {
      this.abandonIfUnwanted();
      return Promise.reject(signal.reason);
    }
    this.waiting++;
    return new Promise<T>((resolve, reject) => {
      let left = false;
      const leave = (): void => {
        if (left) return;
        left = true;
        signal.removeEventListener('abort', onAbort);
        this.waiting--;
      };
      const onAbort = (): void => {
        leave();
        reject(signal.reason);
        this.abandonIfUnwanted();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.done.then(
        (value) => {
          leave();
          resolve(value);
        },
        (error: unknown) => {
          leave();
          reject(error);
        },
      );
    });
  }

  private abandonIfUnwanted(): void {
    if (this.waiting > 0 || this.held || this.settled || this.abandoned) return;
    this.controller.abort(new WorkAbandoned());
    this.onAbandoned?.();
  }
}

/** `promise`, or a rejection with `signal.reason` as soon as `signal` aborts (the promise itself goes on). */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
