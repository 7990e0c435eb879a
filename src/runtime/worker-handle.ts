/**
 * Host side of one sandbox worker thread: starts it, sends it runtimes and jobs, feeds standard input,
 * pumps its output ring, and notices when it dies.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { createOutputRing, DEFAULT_RING_BYTES, OutputRingReader, type OutputChannelId } from './output-ring.js';
import { workerScriptPath } from './package-paths.js';
import { isProgramRuntime, type RuntimeAssets } from './runtime-assets.js';
import type { FsChange } from './vfs/virtual-fs.js';
import {
  SIGNAL_CONTROL,
  type ClaimSpec,
  type ControlMessage,
  type HostMessage,
  type JobSpec,
  type LayerData,
  type RuntimeId,
  type WorkerBootData,
  type WorkerMessage,
} from './worker-protocol.js';

/** How a job ended, as the host sees it. */
export type JobOutcome =
  | Extract<WorkerMessage, { type: 'done' }>
  /** The worker died or was terminated before the job finished. */
  | { type: 'lost'; reason: string };

/** Receives the output of a running job. */
export type OutputSink = (channel: OutputChannelId, bytes: Uint8Array) => void;

/** A job started on a worker. */
export interface RunningJob {
  /** Resolves when a prestarted instance (a `prestart` job) is waiting for its claim. */
  readonly prestarted: Promise<void>;
  /** Resolves when the job has ended (never rejects). */
  readonly done: Promise<JobOutcome>;
}

let nextWorkerId = 1;

/**
 * Most output bytes the host takes from a worker's ring in one turn of its event loop. A program that
 * streams (a flood of output, a large result frame) is read a slice at a time, with the event loop's
 * timers and I/O served in between: the host never freezes, and the call's time limit can fire.
 */
const PUMP_SLICE_BYTES = DEFAULT_RING_BYTES;

export class WorkerHandle {
  readonly id = nextWorkerId++;
  private readonly worker: Worker;
  private readonly control: MessagePort;
  private readonly signal: Int32Array;
  private readonly ring: OutputRingReader;
  private readonly loaded = new Set<RuntimeId>();
  private sink: OutputSink | undefined;
  private current: { resolveDone: (o: JobOutcome) => void; resolvePrestarted: () => void } | undefined;
  /** Id the running job answers to on the control port (changes when a prestarted job is claimed). */
  private currentJobId = 0;
  private alive = true;
  /** Resolves when the worker has started and can take jobs. */
  readonly ready: Promise<void>;
  /** Called each time the running program has read a whole persistent (`P`) request frame. */
  onFrameRead: (() => void) | undefined;
  /** Called when the running program asks for its next request after answering a persistent call. */
  onAwaitingFrame: (() => void) | undefined;
  /** Called once when the worker dies for any reason. */
  onExit: ((handle: WorkerHandle) => void) | undefined;
  /** Answers to {@link requestChanges} not yet received, oldest first. */
  private changeRequests: ((changes: FsChange[] | undefined) => void)[] = [];
  /**
   * Called when the worker has started a prestarted instance on its own, right after the one that served
   * a call ended (see `JobSpec.prestart`), before that call's end is reported: returns where the new
   * instance's output goes. Without it, the instance is released at once.
   */
  onStandby: ((standby: RunningJob) => OutputSink) | undefined;

  constructor(options: { resourceLimits?: { maxOldGenerationSizeMb?: number } } = {}) {
    const { port1, port2 } = new MessageChannel();
    const signal = new SharedArrayBuffer(16);
    const ring = createOutputRing();
    this.control = port1;
    this.signal = new Int32Array(signal);
    this.ring = new OutputRingReader(ring);
    const boot: WorkerBootData = { control: port2, signal, ring };
    this.worker = startWorker(workerScriptPath(), {
      workerData: boot,
      transferList: [port2],
      resourceLimits: options.resourceLimits,
    });
    this.ready = new Promise((resolve, reject) => {
      const onMessage = (message: WorkerMessage): void => {
        if (message.type === 'ready') {
          this.worker.off('message', onMessage);
          resolve();
        }
      };
      this.worker.on('message', onMessage);
      // An error thrown while the worker starts (a preloaded module failing in threads, say) comes before
      // its exit: keep it, so that the failure names its cause.
      let failure: Error | undefined;
      this.worker.once('error', (error) => (failure ??= error));
      this.worker.once('exit', (code) => reject(failure ?? new Error(`The sandbox worker exited during start-up (code ${code})`)));
    });
    this.ready.catch(() => undefined);
    this.worker.on('message', (message: WorkerMessage) => this.onMessage(message));
    this.worker.on('error', (error) => this.die(`The sandbox worker failed: ${error.message}`));
    this.worker.on('exit', (code) => this.die(`The sandbox worker exited (code ${code})`));
    void this.pump();
  }

  /** Whether the worker is still running. */
  get isAlive(): boolean {
    return this.alive;
  }

  /** Whether a job is running (or waiting as a prestarted instance) on this worker. */
  get isBusy(): boolean {
    return this.current !== undefined;
  }

  /** Keeps the process alive while this worker works. */
  ref(): void {
    if (this.alive) this.worker.ref();
  }

  /** Lets the process exit while this worker is idle (or holds a prestarted instance). */
  unref(): void {
    if (this.alive) this.worker.unref();
  }

  /** Whether a runtime has been sent to this worker. */
  hasRuntime(id: RuntimeId): boolean {
    return this.loaded.has(id);
  }

  /** Sends a runtime's module and base filesystem, once per worker. */
  loadRuntime(assets: RuntimeAssets): void {
    // A compiled program is sent with every run (the worker keeps only a few); posting a Module shares its
    // compiled code rather than copying it.
    if (isProgramRuntime(assets.id)) {
      this.post({ type: 'runtime', runtime: assets.id, module: assets.module, minPages: assets.minPages, baseFiles: [], baseDirs: [] });
      return;
    }
    if (this.loaded.has(assets.id)) return;
    this.loaded.add(assets.id);
    this.post({
      type: 'runtime',
      runtime: assets.id,
      module: assets.module,
      minPages: assets.minPages,
      baseFiles: assets.baseFiles,
      baseDirs: assets.baseDirs,
    });
  }

  /** Sends read-only layers (packages) this worker has not received yet; each is sent once per worker. */
  loadLayers(layers: readonly LayerData[] | undefined): void {
    for (const layer of layers ?? []) {
      if (this.loaded.has(`layer:${layer.id}`)) continue;
      this.loaded.add(`layer:${layer.id}`);
      this.post({ type: 'layer', layer });
    }
  }

  /** Starts a job. The worker must be idle and have the job's runtime. */
  run(job: JobSpec, sink: OutputSink): RunningJob {
    if (this.current) throw new Error('The sandbox worker is busy');
    const running = this.track(job.jobId, sink);
    if (!this.alive) {
      this.finish({ type: 'lost', reason: 'The sandbox worker is not running' });
    } else {
      this.post({ type: 'run', job });
    }
    return running;
  }

  /** Makes `jobId` the job the worker runs, and its output go to `sink`. */
  private track(jobId: number, sink: OutputSink | undefined): RunningJob {
    let resolveDone!: (o: JobOutcome) => void;
    let resolvePrestarted!: () => void;
    const done = new Promise<JobOutcome>((resolve) => (resolveDone = resolve));
    const prestarted = new Promise<void>((resolve) => (resolvePrestarted = resolve));
    this.sink = sink;
    this.current = { resolveDone, resolvePrestarted };
    this.currentJobId = jobId;
    return { prestarted, done };
  }

  /** Redirects the output of the running job (used when a prestarted instance is claimed). */
  setSink(sink: OutputSink): void {
    this.sink = sink;
  }

  /** Feeds bytes to the running program's standard input. */
  writeStdin(data: Uint8Array): void {
    this.sendControl({ type: 'stdin', jobId: this.currentJobId, data });
  }

  /** Signals end of input to the running program. */
  endStdin(): void {
    this.sendControl({ type: 'stdin-end', jobId: this.currentJobId });
  }

  /** Hands a call to a prestarted instance. */
  claim(claim: ClaimSpec): void {
    this.sendControl({ type: 'claim', jobId: this.currentJobId, claim });
    this.currentJobId = claim.jobId;
  }

  /**
   * The running program's filesystem changes since the last accepted ones, once it next waits for input
   * (a session between calls). Resolves with the changes of its end if it ends first (undefined if they
   * are unknown).
   */
  requestChanges(): Promise<FsChange[] | undefined> {
    if (!this.alive || !this.current) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      this.changeRequests.push(resolve);
      this.sendControl({ type: 'changes', jobId: this.currentJobId });
    });
  }

  /** The changes last received were dealt with: later requests count from them. */
  acceptChanges(): void {
    this.sendControl({ type: 'changes-accepted', jobId: this.currentJobId });
  }

  /** Makes a prestarted instance exit without running a call. */
  dismissPrestarted(): void {
    this.sendControl({ type: 'release', jobId: this.currentJobId });
  }

  /** Stops the worker at once (also interrupts running WebAssembly). */
  async terminate(): Promise<void> {
    if (!this.alive) return;
    this.die('The sandbox worker was terminated');
    await this.worker.terminate();
  }

  private sendControl(message: ControlMessage): void {
    if (!this.alive) return;
    this.control.postMessage(message);
    Atomics.add(this.signal, SIGNAL_CONTROL, 1);
    Atomics.notify(this.signal, SIGNAL_CONTROL);
  }

  private post(message: HostMessage): void {
    this.worker.postMessage(message);
  }

  private onMessage(message: WorkerMessage): void {
    switch (message.type) {
      case 'prestarted':
        this.current?.resolvePrestarted();
        return;
      case 'frame-read':
        this.onFrameRead?.();
        return;
      case 'awaiting-frame':
        // The program wrote everything before it read again, and the ring holds it: deliver it first.
        this.drain();
        this.onAwaitingFrame?.();
        return;
      case 'changes':
        this.changeRequests.shift()?.(message.changes);
        return;
      case 'done':
        this.drain();
        this.finish(message);
        return;
    }
  }

  private finish(outcome: JobOutcome): void {
    const current = this.current;
    this.current = undefined;
    this.sink = undefined;
    // The worker already runs the next prestarted instance: known before the job's end is, so that whoever
    // gets this worker next finds it there.
    if (outcome.type === 'done' && outcome.standby !== undefined) this.adoptStandby(outcome.standby);
    current?.resolvePrestarted();
    current?.resolveDone(outcome);
    for (const answer of this.changeRequests.splice(0)) answer(outcome.type === 'done' ? outcome.changes : undefined);
  }

  private adoptStandby(jobId: number): void {
    const standby = this.track(jobId, undefined);
    const sink = this.onStandby?.(standby);
    if (sink) this.sink = sink;
    else this.dismissPrestarted();
  }

  /** Delivers what the ring holds; returns the bytes delivered. */
  private drain(budgetBytes?: number): number {
    return this.ring.drain((channel, bytes) => this.sink?.(channel, bytes), budgetBytes);
  }

  private async pump(): Promise<void> {
    while (this.alive) {
      await this.ring.waitForData();
      // One slice per turn of the event loop: a program that writes without pause would otherwise keep
      // this loop in microtasks, where no timer ever fires.
      if (this.drain(PUMP_SLICE_BYTES) > 0) await nextTurn();
    }
  }

  private die(reason: string): void {
    if (!this.alive) return;
    // Output written before the end is still in the ring: deliver it first. A worker being terminated
    // may still be writing: take at most what the ring holds.
    this.drain(PUMP_SLICE_BYTES);
    this.alive = false;
    this.ring.wake();
    this.control.close();
    this.finish({ type: 'lost', reason });
    this.onExit?.(this);
  }
}

/**
 * Node flags of the host that never go to a worker: the host's own entry point (`node --input-type=module
 * -e …`) and the inspector (the host's inspector already reaches workers; `--inspect-brk` would stop each
 * one until a debugger attaches).
 */
const HOST_ONLY_FLAGS = /^--(eval|print|input-type|inspect|inspect-brk|inspect-port|inspect-wait|debug-port|debug|debug-brk)(=|$)/;

/**
 * The host's Node flags that workers accept: the host's flags minus {@link HOST_ONLY_FLAGS}, and minus
 * those Node refuses in a worker (V8 and per-process flags such as `--max-old-space-size`, `--expose-gc`
 * or `--no-liftoff`). Learnt on the first start that Node refuses, then reused.
 */
let acceptedExecArgv: string[] | undefined;

function startWorker(script: string, options: Omit<ConstructorParameters<typeof Worker>[1] & object, 'execArgv'>): Worker {
  const wanted = acceptedExecArgv ?? workerExecArgv(process.execArgv);
  try {
    const worker = new Worker(script, { ...options, execArgv: wanted });
    acceptedExecArgv = wanted;
    return worker;
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    // "Initiated Worker with invalid execArgv flags: --expose-gc, --no-liftoff": drop those; if the
    // message cannot be read, start with no flags at all.
    const listed = /flags: (.*)$/.exec((error as Error).message)?.[1]?.split(', ') ?? [];
    const kept = wanted.filter((flag) => !listed.includes(flag));
    for (const execArgv of kept.length < wanted.length ? [kept, []] : [[]]) {
      try {
        const worker = new Worker(script, { ...options, execArgv });
        acceptedExecArgv = execArgv;
        return worker;
      } catch (retryError) {
        if ((retryError as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw retryError;
      }
    }
    throw error;
  }
}

function workerExecArgv(argv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-e' || arg === '--eval' || arg === '-p' || arg === '--print') {
      i++;
      continue;
    }
    if (HOST_ONLY_FLAGS.test(arg)) continue;
    kept.push(arg);
  }
  return kept;
}
