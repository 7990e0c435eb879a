/**
 * A fixed set of sandbox workers. A call borrows an idle worker and gives it back; calls beyond the pool
 * size wait in a bounded queue. A worker that dies (crash, timeout, termination) is replaced.
 */
import { ExecutorClosedError } from '../errors.js';
import { WorkerHandle } from './worker-handle.js';

interface Waiter {
  resolve: (handle: WorkerHandle) => void;
  reject: (error: unknown) => void;
}

export interface WorkerPoolOptions {
  /** Number of workers. */
  size: number;
}

export class WorkerPool {
  private readonly workers = new Set<WorkerHandle>();
  private readonly idle: WorkerHandle[] = [];
  private readonly waiters: Waiter[] = [];
  private closed = false;

  constructor(private readonly options: WorkerPoolOptions) {}

  /** Number of workers currently running. */
  get workerCount(): number {
    return this.workers.size;
  }

  /** Starts workers up to the pool size (they start in parallel). */
  async fill(): Promise<void> {
    const starting: Promise<void>[] = [];
    while (this.workers.size < this.options.size && !this.closed) starting.push(this.spawn());
    await Promise.all(starting);
  }

  /** Borrows an idle worker, starting or waiting for one as needed. */
  async acquire(): Promise<WorkerHandle> {
    if (this.closed) throw new ExecutorClosedError();
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.workers.size < this.options.size) {
      void this.spawn().catch(() => undefined);
    }
    return new Promise<WorkerHandle>((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** Gives a worker back. A dead worker is dropped and replaced. */
  release(handle: WorkerHandle): void {
    if (!handle.isAlive || this.closed) {
      this.workers.delete(handle);
      if (!this.closed) this.replenish();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) waiter.resolve(handle);
    else this.idle.push(handle);
  }

  /** Stops every worker; pending acquisitions reject with {@link ExecutorClosedError}. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter.reject(new ExecutorClosedError());
    this.idle.length = 0;
    await Promise.all([...this.workers].map((w) => w.terminate()));
    this.workers.clear();
  }

  private replenish(): void {
    if (this.waiters.length > 0 && this.workers.size < this.options.size) void this.spawn().catch(() => undefined);
  }

  private async spawn(): Promise<void> {
    const handle = new WorkerHandle();
    this.workers.add(handle);
    handle.onExit = (dead) => {
      this.workers.delete(dead);
      const at = this.idle.indexOf(dead);
      if (at >= 0) this.idle.splice(at, 1);
      if (!this.closed) this.replenish();
    };
    try {
      await handle.ready;
    } catch (error) {
      this.workers.delete(handle);
      const waiter = this.waiters.shift();
      waiter?.reject(error);
      throw error;
    }
    this.release(handle);
  }
}
