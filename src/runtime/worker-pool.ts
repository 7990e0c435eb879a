/**
 * The pool of sandbox workers.
 *
 * - Up to `size` workers run calls in parallel; calls beyond that wait in a bounded queue.
 * - An idle worker may hold a **prestarted instance**: an interpreter already started with a
 *   language's proxy and blocked on its first read of standard input. A call of that language claims it,
 *   hands it the user's code and request, and skips the interpreter's start-up. Each instance serves
 *   exactly one call (full isolation). The worker starts the next one by itself as soon as that call
 *   ends, so a worker keeps one ready however busy the host is; idle workers start new ones in the
 *   background, and a call that waited for a worker starts one there and claims it at once.
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
import { nextJobId } from './job-ids.js';
import type { JobSpec, LayerData } from './worker-protocol.js';

/** How to start prestarted instances of one kind (a language with its default limits). */
export interface PrestartProfile {
  /** Identifies the kind: a call claims only a prestarted instance of the same key. */
  key: string;
  assets: () => Promise<RuntimeAssets>;
  /** The job, minus its id; `files` are the call-independent ones (the proxy). */
  job: Omit<JobSpec, 'jobId' | 'prestart'>;
  /** Read-only layers (packages) the job attaches. */
  layers?: readonly LayerData[];
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
  /** Prestarted instances by kind. */
  prestarted: Record<string, number>;
}

/** A prestarted instance. */
export interface PrestartedInstance {
  readonly key: string;
  /** Resolves with the running job once it has been started on the worker (undefined if it was cancelled). */
  readonly started: Promise<RunningJob | undefined>;
  /** Sends the instance's output (including anything written before the claim) to `sink`. */
  attach(sink: OutputSink): void;
}

/** A worker lent to one call. */
export interface Lease {
  readonly worker: WorkerHandle;
  /** Set when the call got a prestarted instance of its key: claim it instead of starting a job. */
  readonly prestarted?: PrestartedInstance;
  /** The instance was started for this call, when it got its worker (it saves the call nothing). */
  readonly startedForCall?: boolean;
}

export interface WorkerPoolOptions {
  /** Number of workers; 0 starts a dedicated worker for each call. */
  size: number;
  /** Calls allowed to wait for a worker; more reject with {@link QueueFullError}. */
  maxQueue: number;
  /** With size 0: dedicated workers running at once (default 1). */
  dedicatedLimit?: number;
}

interface PrestartedRecord extends PrestartedInstance {
  cancelled: boolean;
  /** It has reached its first read: a claim is served at once. */
  ready: boolean;
  running?: RunningJob;
  buffered: [OutputChannelId, Uint8Array][];
  sink?: OutputSink;
}

/** A started worker of the pool (slots are added once their worker is ready). */
interface Slot {
  worker: WorkerHandle;
  leased: boolean;
  prestarted?: PrestartedRecord;
  /** While a call runs on a prestarted instance of this key: the worker starts the next one when it ends. */
  restarting?: string;
}

interface Waiter {
  prestartKey: string | undefined;
  resolve: (lease: Lease) => void;
  reject: (error: unknown) => void;
  cleanup: () => void;
}

/** A prestarted instance that ends before it is claimed this many times in a row disables its kind. */
const MAX_PRESTART_FAILURES = 3;
/** Attempts to start one worker before the calls waiting for it fail. */
const MAX_START_ATTEMPTS = 3;
/** Delay before the second attempt; each later one waits four times longer. */
const START_RETRY_MS = 100;

export class WorkerPool {
  private readonly slots = new Set<Slot>();
  private readonly waiters: Waiter[] = [];
  private readonly targets = new Map<string, { profile: PrestartProfile; count: number; failures: number }>();
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
    const prestarted: Record<string, number> = {};
    let busy = 0;
    let workers = 0;
    for (const slot of this.slots) {
      if (!slot.worker.isAlive) continue;
      workers++;
      if (slot.leased) busy++;
      if (slot.prestarted && !slot.prestarted.cancelled) prestarted[slot.prestarted.key] = (prestarted[slot.prestarted.key] ?? 0) + 1;
    }
    // Size 0: each call's dedicated worker is running and busy.
    workers += this.dedicated.size;
    busy += this.dedicated.size;
    return { size: this.options.size, workers, busy, queued: this.waiters.length, prestarted };
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
   * Keeps `count` prestarted instances of a profile on idle workers (0 stops refilling; existing ones
   * stay until a call needs their worker).
   */
  setPrestartTarget(profile: PrestartProfile, count: number): void {
    if (this.options.size === 0) return;
    const existing = this.targets.get(profile.key);
    this.targets.set(profile.key, { profile, count: Math.min(count, this.options.size), failures: existing?.failures ?? 0 });
    this.ensureWorkers();
    this.refill();
  }

  /**
   * Stops keeping prestarted instances of `key` and dismisses those that wait on idle workers (a template
   * was redefined: they were started from its old definition).
   */
  removePrestartTarget(key: string): void {
    this.targets.delete(key);
    for (const slot of this.slots) {
      const instance = slot.prestarted;
      if (!instance || slot.leased || instance.key !== key || instance.cancelled) continue;
      instance.cancelled = true;
      void instance.started.then((running) => {
        if (slot.prestarted !== instance || slot.leased) return;
        if (running) slot.worker.dismissPrestarted();
        else {
          slot.prestarted = undefined;
          this.refill();
        }
      });
    }
  }

  /** Resolves when every wanted prestarted instance has been started and reached its first read. */
  async prestartedReady(): Promise<void> {
    const pending = [...this.slots].map((s) => s.prestarted).filter((s): s is PrestartedRecord => s !== undefined);
    await Promise.all(
      pending.map(async (instance) => {
        const running = await instance.started;
        await running?.prestarted;
      }),
    );
  }

  /** Borrows a worker for a call, preferring one that holds a prestarted instance of `prestartKey`. */
  acquire(options: { prestartKey?: string; signal?: AbortSignal } = {}): Promise<Lease> {
    if (this.closed) return Promise.reject(new ExecutorClosedError());
    if (options.signal?.aborted) return Promise.reject(new AcquireAborted(options.signal.reason));
    if (this.options.size === 0) {
      if (this.waiters.length === 0 && this.dedicatedCount < this.dedicatedLimit) return this.dedicatedWorker();
    } else {
      const slot = this.pick(options.prestartKey);
      if (slot) return this.lease(slot, options.prestartKey);
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
        prestartKey: options.prestartKey,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /**
   * Starts a worker outside the pool for a job that keeps it for its whole life (a session's), with the
   * same retries as the pool's own workers. The caller terminates it.
   */
  startDetached(): Promise<WorkerHandle> {
    if (this.closed) return Promise.reject(new ExecutorClosedError());
    return this.startWorker();
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
    // The call has ended: the worker's next instance, if it started one, is the slot's by now.
    slot.restarting = undefined;
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

  /**
   * The best free slot for a call: its own prestarted instance (one that is ready before one still
   * starting), then a plain worker, then one whose instance can go.
   */
  private pick(prestartKey: string | undefined): Slot | undefined {
    let starting: Slot | undefined;
    let plain: Slot | undefined;
    let evictable: Slot | undefined;
    for (const slot of this.slots) {
      if (slot.leased || !slot.worker.isAlive) continue;
      if (slot.prestarted) {
        if (prestartKey !== undefined && slot.prestarted.key === prestartKey && !slot.prestarted.cancelled) {
          if (slot.prestarted.ready) return slot;
          starting ??= slot;
        } else {
          evictable ??= slot;
        }
      } else {
        plain ??= slot;
      }
    }
    return starting ?? plain ?? evictable;
  }

  private async lease(slot: Slot, prestartKey: string | undefined): Promise<Lease> {
    slot.leased = true;
    slot.worker.ref();
    const instance = slot.prestarted;
    slot.prestarted = undefined;
    if (instance && instance.key === prestartKey && !instance.cancelled) return this.handOver(slot, instance);
    if (instance) await this.evict(instance, slot.worker);
    // No instance to claim: start one and claim it at once (the claim waits for its first read). It costs
    // what a plain start does, and from then on the worker keeps one ready by itself.
    const target = prestartKey === undefined ? undefined : this.wanting(prestartKey);
    if (target && slot.worker.isAlive && !slot.worker.isBusy && !this.closed) {
      const started = this.startPrestarted(slot, target.profile);
      slot.prestarted = undefined;
      return { ...this.handOver(slot, started), startedForCall: true };
    }
    return { worker: slot.worker };
  }

  /** Lends a slot with its prestarted instance, which its worker replaces once the call ends. */
  private handOver(slot: Slot, instance: PrestartedRecord): Lease {
    slot.restarting = instance.key;
    return { worker: slot.worker, prestarted: instance };
  }

  /**
   * The target of `key` if it wants one more prestarted instance than it has, counting those that
   * workers will start after the calls they serve.
   */
  private wanting(key: string): { profile: PrestartProfile; count: number } | undefined {
    const target = this.targets.get(key);
    if (!target || target.failures >= MAX_PRESTART_FAILURES) return undefined;
    return this.prestartedOf(key) < target.count ? target : undefined;
  }

  /** Prestarted instances of `key`: held by slots, or to be started by workers after their calls. */
  private prestartedOf(key: string): number {
    let have = 0;
    for (const slot of this.slots) {
      if ((slot.prestarted?.key === key && !slot.prestarted.cancelled) || slot.restarting === key) have++;
    }
    return have;
  }

  private async evict(instance: PrestartedRecord, worker: WorkerHandle): Promise<void> {
    instance.cancelled = true;
    const running = await instance.started;
    if (running) {
      worker.dismissPrestarted();
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

  /** Hands free workers to waiting calls (oldest first), then refills prestarted. */
  private dispatch(): void {
    while (this.waiters.length > 0) {
      if (this.options.size === 0) {
        if (this.closed || this.dedicatedCount >= this.dedicatedLimit) break;
        const waiter = this.waiters.shift()!;
        waiter.cleanup();
        this.dedicatedWorker().then(waiter.resolve, waiter.reject);
        continue;
      }
      const slot = this.pick(this.waiters[0].prestartKey);
      if (!slot) break;
      const waiter = this.waiters.shift()!;
      waiter.cleanup();
      this.lease(slot, waiter.prestartKey).then(waiter.resolve, waiter.reject);
    }
    this.refill();
  }

  // --- prestarted -------------------------------------------------------------------------------

  private refill(): void {
    if (this.closed || this.waiters.length > 0) return;
    for (const slot of this.slots) {
      if (slot.leased || slot.prestarted || !slot.worker.isAlive) continue;
      const target = this.neediestTarget();
      if (!target) return;
      this.startPrestarted(slot, target.profile);
    }
  }

  private neediestTarget(): { profile: PrestartProfile } | undefined {
    let best: { profile: PrestartProfile; deficit: number } | undefined;
    for (const { profile, count, failures } of this.targets.values()) {
      if (failures >= MAX_PRESTART_FAILURES) continue;
      const deficit = count - this.prestartedOf(profile.key);
      if (deficit > 0 && (!best || deficit > best.deficit)) best = { profile, deficit };
    }
    return best;
  }

  private startPrestarted(slot: Slot, profile: PrestartProfile): PrestartedRecord {
    const worker = slot.worker;
    const record = this.prestartedRecord(profile.key);
    (record as { started: Promise<RunningJob | undefined> }).started = profile.assets().then(
      (assets) => {
        if (record.cancelled || !worker.isAlive || worker.isBusy) return undefined;
        worker.loadRuntime(assets);
        worker.loadLayers(profile.layers);
        // Booting is work in progress (someone may be awaiting it, like warmup); waiting for a claim is not.
        worker.ref();
        return this.follow(slot, record, worker.run({ ...profile.job, jobId: nextJobId(), prestart: true }, record.output));
      },
      () => undefined,
    );
    slot.prestarted = record;
    return record;
  }

  /**
   * A prestarted instance its worker started by itself, after the call on `slot` ended: the slot's. If
   * its kind no longer wants it, it is dismissed at once, but stays the slot's until it has ended, so that
   * a call lent this worker meanwhile waits for it (see `lease`) instead of finding the worker busy.
   */
  private adoptStandby(slot: Slot, running: RunningJob): OutputSink {
    const key = slot.restarting ?? '';
    slot.restarting = undefined;
    const wanted = !this.closed && slot.worker.isAlive && this.wanting(key) !== undefined;
    const record = this.prestartedRecord(key);
    (record as { started: Promise<RunningJob | undefined> }).started = Promise.resolve(this.follow(slot, record, running));
    slot.prestarted = record;
    if (!wanted) {
      record.cancelled = true;
      slot.worker.dismissPrestarted();
    }
    return record.output;
  }

  /** A record for a prestarted instance of `key`; its output is kept until a call attaches to it. */
  private prestartedRecord(key: string): PrestartedRecord & { output: OutputSink } {
    const record: PrestartedRecord & { output: OutputSink } = {
      key,
      cancelled: false,
      ready: false,
      buffered: [],
      started: undefined as unknown as Promise<RunningJob | undefined>,
      attach(sink: OutputSink): void {
        record.sink = sink;
        for (const [channel, bytes] of record.buffered.splice(0)) sink(channel, bytes);
      },
      output(channel, bytes) {
        if (record.sink) record.sink(channel, bytes);
        else record.buffered.push([channel, bytes]);
      },
    };
    return record;
  }

  /** Follows a prestarted instance that runs: ready at its first read, and its end. */
  private follow(slot: Slot, record: PrestartedRecord, running: RunningJob): RunningJob {
    record.running = running;
    void running.prestarted.then(() => {
      record.ready = true;
      if (slot.prestarted === record && !slot.leased) slot.worker.unref();
    });
    void running.done.then((outcome) => this.prestartedEnded(slot, record, outcome.type === 'done' && outcome.end.kind === 'released'));
    return running;
  }

  /** A prestarted instance ended: claimed and finished (nothing to do), released, or died before any claim. */
  private prestartedEnded(slot: Slot, record: PrestartedRecord, released: boolean): void {
    if (slot.prestarted !== record) return; // claimed: the call owns the outcome
    slot.prestarted = undefined;
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
    worker.onStandby = (running) => this.adoptStandby(slot, running);
    worker.onExit = () => {
      if (!slot.leased) {
        this.slots.delete(slot);
        if (slot.prestarted) slot.prestarted.cancelled = true;
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
