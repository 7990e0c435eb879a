/**
 * The pool of sandbox workers.
 *
 * - Up to `size` workers run calls in parallel; calls beyond that wait in a bounded queue.
 * - An idle worker may hold a **pre-started instance** ("standby"): an interpreter already started with a
 *   language's proxy and blocked on its first read of standard input. A call of that language claims it,
 *   hands it the user's code and request, and skips the interpreter's start-up. Each instance serves
 *   exactly one call (full isolation); idle workers refill standbys in the background.
 * - A worker that dies (crash, timeout, cancellation) is replaced.
 * - A worker that cannot start is tried again with a growing delay; after a few attempts, the calls
 *   waiting for it fail with {@link RuntimeUnavailableError} naming the cause. The next call starts a new
 *   round of attempts: a failure never turns into a loop that starts threads without end.
 * - Size 0 starts a dedicated worker for each call, at most `dedicatedLimit` at a time; calls beyond wait
 *   in the same bounded queue.
 * - Idle workers are unreferenced, so they never keep the process alive.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { ExecutorClosedError, QueueFullError, RuntimeUnavailableError } from '../errors.js';
import type { OutputChannelId } from './output-ring.js';
import type { RuntimeAssets } from './runtime-assets.js';
import { WorkerHandle, type OutputSink, type RunningJob } from './worker-handle.js';
import type { JobSpec } from './worker-protocol.js';

/** How to start pre-started instances of one kind (a language with its default limits). */
export interface StandbyProfile {
  /** Identifies the kind: a call claims only a standby of the same key. */
  key: string;
  assets: () => Promise<RuntimeAssets>;
  /** The job, minus its id; `files` are the call-independent ones (the proxy). */
  job: Omit<JobSpec, 'jobId' | 'standby'>;
}

/** An acquisition was aborted through its signal before a worker was lent. */
export class AcquireAborted extends Error {
  constructor(readonly reason: unknown) {
    super('The wait for a sandbox worker was aborted');
  }
}

/** What {@link WorkerPool.status} reports. */
export interface PoolStatus {
  /** Configured number of workers. */
  size: number;
  /** Workers running now. */
  workers: number;
  /** Workers lent to calls. */
  busy: number;
  /** Calls waiting for a worker. */
  queued: number;
  /** Pre-started instances by kind. */
  standbys: Record<string, number>;
}

/** A pre-started instance. */
export interface Standby {
  readonly key: string;
  /** Resolves with the running job once it has been started on the worker (undefined if it was cancelled). */
  readonly started: Promise<RunningJob | undefined>;
  /** Sends the instance's output (including anything written before the claim) to `sink`. */
  attach(sink: OutputSink): void;
}

/** A worker lent to one call. */
export interface Lease {
  readonly worker: WorkerHandle;
  /** Set when the call got a pre-started instance of its key: claim it instead of starting a job. */
  readonly standby?: Standby;
}

export interface WorkerPoolOptions {
  /** Number of workers; 0 starts a dedicated worker for each call. */
  size: number;
  /** Calls allowed to wait for a worker; more reject with {@link QueueFullError}. */
  maxQueue: number;
  /** With size 0: dedicated workers running at once (default 1). */
  dedicatedLimit?: number;
}

interface StandbyRecord extends Standby {
  cancelled: boolean;
  running?: RunningJob;
  buffered: [OutputChannelId, Uint8Array][];
  sink?: OutputSink;
}

/** A started worker of the pool (slots are added once their worker is ready). */
interface Slot {
  worker: WorkerHandle;
  leased: boolean;
  standby?: StandbyRecord;
}

interface Waiter {
  standbyKey: string | undefined;
  resolve: (lease: Lease) => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

/** A standby that ends before it is claimed this many times in a row disables its kind. */
const MAX_STANDBY_FAILURES = 3;
/** Attempts to start one worker before the calls waiting for it fail. */
const MAX_START_ATTEMPTS = 3;
/** Delay before the second attempt; each later one waits four times longer. */
const START_RETRY_MS = 100;
let nextStandbyJobId = -1;

export class WorkerPool {
  private readonly slots = new Set<Slot>();
  private readonly waiters: Waiter[] = [];
  private readonly targets = new Map<string, { profile: StandbyProfile; count: number; failures: number }>();
  private closed = false;
  /** Workers being started for the pool (each resolves with its failure, if it failed). */
  private readonly startups = new Set<Promise<RuntimeUnavailableError | undefined>>();
  /** Dedicated workers (size 0) lent to calls. */
  private readonly dedicated = new Set<WorkerHandle>();
  /** Dedicated workers being started or lent (size 0). */
  private dedicatedCount = 0;

  constructor(private readonly options: WorkerPoolOptions) {}

  /** A snapshot of the pool for monitoring. */
  status(): PoolStatus {
    const standbys: Record<string, number> = {};
    let busy = 0;
    let workers = 0;
    for (const slot of this.slots) {
      if (!slot.worker.isAlive) continue;
      workers++;
      if (slot.leased) busy++;
      if (slot.standby && !slot.standby.cancelled) standbys[slot.standby.key] = (standbys[slot.standby.key] ?? 0) + 1;
    }
    // Size 0: each call's dedicated worker is running and busy.
    workers += this.dedicated.size;
    busy += this.dedicated.size;
    return { size: this.options.size, workers, busy, queued: this.waiters.length, standbys };
  }

  /** Starts the pool's workers now instead of on first use; resolves when they are ready. */
  async fill(): Promise<void> {
    this.ensureWorkers();
    const failure = (await Promise.all([...this.startups])).find((f) => f !== undefined);
    if (failure) throw failure;
  }

  /** Workers that are started (for sending them runtimes ahead of calls). */
  readyWorkers(): WorkerHandle[] {
    return [...this.slots].filter((s) => s.worker.isAlive).map((s) => s.worker);
  }

  /**
   * Keeps `count` pre-started instances of a profile on idle workers (0 stops refilling; existing ones
   * stay until a call needs their worker).
   */
  setStandbyTarget(profile: StandbyProfile, count: number): void {
    if (this.options.size === 0) return;
    const existing = this.targets.get(profile.key);
    this.targets.set(profile.key, { profile, count: Math.min(count, this.options.size), failures: existing?.failures ?? 0 });
    this.ensureWorkers();
    this.refill();
  }

  /** Resolves when every wanted standby has been started and reached its first read. */
  async standbysReady(): Promise<void> {
    const pending = [...this.slots].map((s) => s.standby).filter((s): s is StandbyRecord => s !== undefined);
    await Promise.all(
      pending.map(async (standby) => {
        const running = await standby.started;
        await running?.standby;
      }),
    );
  }

  /** Borrows a worker for a call, preferring one that holds a standby of `standbyKey`. */
  acquire(options: { standbyKey?: string; signal?: AbortSignal } = {}): Promise<Lease> {
    if (this.closed) return Promise.reject(new ExecutorClosedError());
    if (options.signal?.aborted) return Promise.reject(new AcquireAborted(options.signal.reason));
    if (this.options.size === 0) {
      if (this.waiters.length === 0 && this.dedicatedCount < this.dedicatedLimit) return this.dedicatedWorker();
    } else {
      const slot = this.pick(options.standbyKey);
      if (slot) return this.lease(slot, options.standbyKey);
    }
    if (this.waiters.length >= this.options.maxQueue) return Promise.reject(new QueueFullError(this.options.maxQueue));
    this.ensureWorkers();
    return new Promise<Lease>((resolve, reject) => {
      const signal = options.signal;
      const onAbort = (): void => {
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        reject(new AcquireAborted(signal?.reason));
      };
      const waiter: Waiter = {
        standbyKey: options.standbyKey,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Gives a worker back after a call. A dead worker is dropped and replaced. */
  release(lease: Lease): void {
    if (this.options.size === 0) {
      if (this.dedicated.delete(lease.worker)) this.dedicatedCount--;
      void lease.worker.terminate();
      this.dispatch();
      return;
    }
    const slot = this.slotOf(lease.worker);
    if (!slot) return;
    slot.leased = false;
    if (!slot.worker.isAlive) {
      this.slots.delete(slot);
      this.ensureWorkers();
      return;
    }
    slot.worker.unref();
    this.dispatch();
  }

  /** Stops every worker; waiting calls reject with {@link ExecutorClosedError}. */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) {
      waiter.cleanup();
      waiter.reject(new ExecutorClosedError());
    }
    this.targets.clear();
    const workers = [...this.slots].map((s) => s.worker).concat([...this.dedicated]);
    this.slots.clear();
    await Promise.all(workers.map((w) => w.terminate()));
  }

  // --- choosing and lending -------------------------------------------------------------------

  /** The best free slot for a call: its own standby, then a plain worker, then one whose standby can go. */
  private pick(standbyKey: string | undefined): Slot | undefined {
    let plain: Slot | undefined;
    let evictable: Slot | undefined;
    for (const slot of this.slots) {
      if (slot.leased || !slot.worker.isAlive) continue;
      if (slot.standby) {
        if (standbyKey !== undefined && slot.standby.key === standbyKey && !slot.standby.cancelled) return slot;
        evictable ??= slot;
      } else {
        plain ??= slot;
      }
    }
    return plain ?? evictable;
  }

  private async lease(slot: Slot, standbyKey: string | undefined): Promise<Lease> {
    slot.leased = true;
    slot.worker.ref();
    const standby = slot.standby;
    slot.standby = undefined;
    if (standby && standby.key === standbyKey && !standby.cancelled) return { worker: slot.worker, standby };
    if (standby) await this.evict(standby, slot.worker);
    return { worker: slot.worker };
  }

  private async evict(standby: StandbyRecord, worker: WorkerHandle): Promise<void> {
    standby.cancelled = true;
    const running = await standby.started;
    if (running) {
      worker.dismissStandby();
      await running.done;
    }
  }

  private get dedicatedLimit(): number {
    return Math.max(1, this.options.dedicatedLimit ?? 1);
  }

  private async dedicatedWorker(): Promise<Lease> {
    this.dedicatedCount++;
    let worker: WorkerHandle;
    try {
      worker = await this.startWorker();
    } catch (error) {
      this.dedicatedCount--;
      this.failWaiters(error as RuntimeUnavailableError);
      throw error;
    }
    if (this.closed) {
      this.dedicatedCount--;
      void worker.terminate();
      throw new ExecutorClosedError();
    }
    this.dedicated.add(worker);
    return { worker };
  }

  /** Hands free workers to waiting calls (oldest first), then refills standbys. */
  private dispatch(): void {
    while (this.waiters.length > 0) {
      if (this.options.size === 0) {
        if (this.closed || this.dedicatedCount >= this.dedicatedLimit) break;
        const waiter = this.waiters.shift()!;
        waiter.cleanup();
        this.dedicatedWorker().then(waiter.resolve, waiter.reject);
        continue;
      }
      const slot = this.pick(this.waiters[0].standbyKey);
      if (!slot) break;
      const waiter = this.waiters.shift()!;
      waiter.cleanup();
      this.lease(slot, waiter.standbyKey).then(waiter.resolve, waiter.reject);
    }
    this.refill();
  }

  // --- standbys -------------------------------------------------------------------------------

  private refill(): void {
    if (this.closed || this.waiters.length > 0) return;
    for (const slot of this.slots) {
      if (slot.leased || slot.standby || !slot.worker.isAlive) continue;
      const target = this.neediestTarget();
      if (!target) return;
      this.startStandby(slot, target.profile);
    }
  }

  private neediestTarget(): { profile: StandbyProfile } | undefined {
    let best: { profile: StandbyProfile; deficit: number } | undefined;
    for (const { profile, count, failures } of this.targets.values()) {
      if (failures >= MAX_STANDBY_FAILURES) continue;
      let have = 0;
      for (const slot of this.slots) if (slot.standby?.key === profile.key && !slot.standby.cancelled) have++;
      const deficit = count - have;
      if (deficit > 0 && (!best || deficit > best.deficit)) best = { profile, deficit };
    }
    return best;
  }

  private startStandby(slot: Slot, profile: StandbyProfile): void {
    const worker = slot.worker;
    const record: StandbyRecord = {
      key: profile.key,
      cancelled: false,
      buffered: [],
      started: undefined as unknown as Promise<RunningJob | undefined>,
      attach(sink: OutputSink): void {
        record.sink = sink;
        for (const [channel, bytes] of record.buffered.splice(0)) sink(channel, bytes);
      },
    };
    const sink: OutputSink = (channel, bytes) => {
      if (record.sink) record.sink(channel, bytes);
      else record.buffered.push([channel, bytes]);
    };
    (record as { started: Promise<RunningJob | undefined> }).started = profile.assets().then(
      (assets) => {
        if (record.cancelled || !worker.isAlive || worker.isBusy) return undefined;
        worker.loadRuntime(assets);
        // Booting is work in progress (someone may be awaiting it, like warmup); waiting for a claim is not.
        worker.ref();
        const running = worker.run({ ...profile.job, jobId: nextStandbyJobId--, standby: true }, sink);
        record.running = running;
        void running.standby.then(() => {
          if (slot.standby === record && !slot.leased) worker.unref();
        });
        void running.done.then((outcome) => this.standbyEnded(slot, record, outcome.type === 'done' && outcome.end.kind === 'released'));
        return running;
      },
      () => undefined,
    );
    slot.standby = record;
  }

  /** A standby ended: claimed and finished (nothing to do), released, or died before any claim. */
  private standbyEnded(slot: Slot, record: StandbyRecord, released: boolean): void {
    if (slot.standby !== record) return; // claimed: the call owns the outcome
    slot.standby = undefined;
    const target = this.targets.get(record.key);
    if (target && !released && !record.cancelled) target.failures++;
    if (!slot.worker.isAlive) this.slots.delete(slot);
    this.ensureWorkers();
    this.dispatch();
  }

  // --- workers --------------------------------------------------------------------------------

  private slotOf(worker: WorkerHandle): Slot | undefined {
    for (const slot of this.slots) if (slot.worker === worker) return slot;
    return undefined;
  }

  private ensureWorkers(): void {
    if (this.closed || this.options.size === 0) return;
    for (const slot of this.slots) if (!slot.worker.isAlive && !slot.leased) this.slots.delete(slot);
    while (this.slots.size + this.startups.size < this.options.size) {
      const startup = this.startSlot();
      this.startups.add(startup);
      void startup.then(() => this.startups.delete(startup));
    }
  }

  /** Starts one worker of the pool; resolves with the failure (already reported to waiting calls), if any. */
  private async startSlot(): Promise<RuntimeUnavailableError | undefined> {
    let worker: WorkerHandle;
    try {
      worker = await this.startWorker();
    } catch (error) {
      if (error instanceof ExecutorClosedError) return undefined;
      const failure = error as RuntimeUnavailableError;
      this.failWaiters(failure);
      return failure;
    }
    if (this.closed) {
      void worker.terminate();
      return undefined;
    }
    const slot: Slot = { worker, leased: false };
    this.slots.add(slot);
    worker.onExit = () => {
      if (!slot.leased) {
        this.slots.delete(slot);
        if (slot.standby) slot.standby.cancelled = true;
        this.ensureWorkers();
        this.dispatch();
      }
    };
    worker.unref();
    this.dispatch();
    return undefined;
  }

  /** Nothing will start for the calls waiting now: fail them. A later call starts a new round of attempts. */
  private failWaiters(failure: unknown): void {
    for (const waiter of this.waiters.splice(0)) {
      waiter.cleanup();
      waiter.reject(failure);
    }
  }

  /**
   * Starts a worker and waits until it is ready, trying again after a growing delay when it cannot
   * start; the last failure names its cause.
   */
  private async startWorker(): Promise<WorkerHandle> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= MAX_START_ATTEMPTS; attempt++) {
      if (attempt > 1) await delay(START_RETRY_MS * 4 ** (attempt - 2));
      if (this.closed) throw new ExecutorClosedError();
      let worker: WorkerHandle | undefined;
      try {
        worker = new WorkerHandle();
        await worker.ready;
        return worker;
      } catch (error) {
        lastError = error;
        void worker?.terminate();
      }
    }
    const cause = (lastError as Error)?.message ?? String(lastError);
    throw new RuntimeUnavailableError(`Cannot start a sandbox worker (${MAX_START_ATTEMPTS} attempts): ${cause}`, { cause: lastError });
  }
}
