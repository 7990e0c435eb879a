/**
 * Admission of calls to the HTTP adapter: at most `maxRunning` run at once and at most `maxWaiting` wait
 * for their turn. A call beyond both is refused when it is submitted (503), never accepted and failed
 * later, so a client that asked for a background run (`?wait=false`) knows at once.
 */
import { HttpError } from './http-error.js';

/** A place taken by one call. */
export interface JobTicket {
  /** Resolves when the call may run; rejects with the signal's reason if it is aborted while waiting. */
  readonly ready: Promise<void>;
  /** Gives the place back (after the call, or when it is given up). Idempotent. */
  release(): void;
}

export class JobSlots {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly maxRunning: number,
    readonly maxWaiting: number,
  ) {}

  /** Takes a place now. @throws HttpError 503 when every place is taken */
  admit(signal: AbortSignal): JobTicket {
    let state: 'waiting' | 'running' | 'released' = 'running';
    if (this.running < this.maxRunning) {
      this.running += 1;
      return {
        ready: Promise.resolve(),
        release: () => {
          if (state === 'released') return;
          state = 'released';
          this.handOver();
        },
      };
    }
    if (this.waiting.length >= this.maxWaiting) {
      throw new HttpError(
        503,
        'SERVER_BUSY',
        `The server is running ${this.maxRunning} calls and ${this.waiting.length} more are waiting (maxConcurrentJobs, maxPendingJobs); try again later.`,
        { 'retry-after': '1' },
      );
    }
    state = 'waiting';
    let wake!: () => void;
    let fail!: (reason: unknown) => void;
    const ready = new Promise<void>((resolve, reject) => {
      wake = resolve;
      fail = reject;
    });
    ready.catch(() => undefined);
    const turn = (): void => {
      signal.removeEventListener('abort', leave);
      state = 'running';
      wake();
    };
    // Leaving the queue before its turn: the place it waited for was never taken.
    const leave = (): void => {
      if (state !== 'waiting') return;
      state = 'released';
      this.waiting.splice(this.waiting.indexOf(turn), 1);
      fail(signal.reason);
    };
    signal.addEventListener('abort', leave, { once: true });
    this.waiting.push(turn);
    return {
      ready,
      release: () => {
        if (state === 'waiting') return leave();
        if (state === 'released') return;
        state = 'released';
        this.handOver();
      },
    };
  }

  /** A place is free: the next waiting call takes it, or it becomes free. */
  private handOver(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running -= 1;
  }
}
