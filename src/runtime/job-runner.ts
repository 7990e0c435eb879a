/**
 * The one way a job runs on a worker, for one-shot calls, tool runs and sessions alike.
 *
 * `start()` gets a worker (from the pool, possibly with a prestarted instance to claim, or a worker of the
 * job's own for a session), and starts the program. The job then runs in **turns**: a turn feeds standard
 * input, collects the output and result frames written meanwhile, enforces its time limit and its abort
 * signal, and reports how it ended. A one-shot call is one turn that lasts until the program exits; a
 * session call is one turn that lasts until the program asks for its next request.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { ResultFrame } from '../protocol/result-frame.js';
import type { InputFeed } from './input-feed.js';
import { nextJobId } from './job-ids.js';
import { OutputCollector, type OutputListener } from './output-collector.js';
import { OutputChannel, type OutputChannelId } from './output-ring.js';
import { planToClaim, planToJob, type JobOptions, type ProgramPlan } from './program.js';
import { loadRuntimeAssets } from './runtime-assets.js';
import type { FsChange } from './vfs/virtual-fs.js';
import type { JobOutcome, RunningJob, WorkerHandle } from './worker-handle.js';
import { AcquireAborted, type Lease, type WorkerPool } from './worker-pool.js';

/** Faults the reliability tests inject into the run path. */
export interface RunFaults {
  /** Terminate the worker this many ms after a one-shot job starts, as if the thread died. */
  killWorkerAfterMs?: number;
  /**
   * Tool runs (compilers, linkers) never finish by themselves: each ends only when its signal aborts it or
   * its time limit passes, like a build that hangs.
   */
  stallTools?: boolean;
}

/** A job to start: a planned program and what the job adds to it. */
export interface JobStart extends JobOptions {
  program: ProgramPlan;
  /** Claim a prestarted instance with this key when the pool holds one. */
  prestartKey?: string;
  /** Run on a worker of the job's own, outside the pool, for as long as the job lives (sessions). */
  dedicated?: boolean;
  /** Aborts the wait for a worker. */
  signal?: AbortSignal;
  /** Called when the job has a worker and starts (after any wait in the queue). */
  onStart?: () => void;
}

/** One turn of a job: input to feed, and how long the turn may last. */
export interface TurnSpec {
  /** Chunks fed to standard input. */
  input: readonly Uint8Array[];
  /** End standard input after them. */
  endInput: boolean;
  /** `exit`: the turn lasts until the program ends; `next-request`: until it asks for its next SIP frame. */
  until: 'exit' | 'next-request';
  timeoutMs: number;
  signal?: AbortSignal;
  onOutput?: OutputListener;
  /**
   * Sees each result frame as it arrives, with all the turn's frames so far; returning `false` stops the
   * job (the frames cannot be trusted) and ends the turn.
   */
  onResult?: (frame: ResultFrame, frames: readonly ResultFrame[]) => boolean;
}

/** How a turn ended. */
export interface TurnReport {
  /** How the program ended, when it ended during the turn; undefined when the turn ended otherwise. */
  outcome: JobOutcome | undefined;
  collector: OutputCollector;
  frames: ResultFrame[];
  /** The program asked for its next request (a `next-request` turn that ended normally). */
  idle: boolean;
  timedOut: boolean;
  cancelled: boolean;
  /** The abort reason, when cancelled. */
  cancelReason?: unknown;
  /** `onResult` refused a frame. */
  refused: boolean;
  /** Persistent request frames the program had read when the turn ended, over the job's life. */
  framesRead: number;
  /** Milliseconds from the start of the turn (or of the job, for its first turn) to its end. */
  durationMs: number;
  /** Milliseconds the job waited for a worker (its first turn only). */
  queueMs: number;
  /** The job runs on a prestarted instance, started before the job got its worker (its first turn only). */
  prestarted: boolean;
}

/** What a one-shot job is: a start, its input, and its limits in time. */
export interface OneShotSpec extends JobStart {
  /** Chunks fed to standard input, followed by end of input (unless `feed` is given). */
  input: Uint8Array[];
  /** Standard input written while the program runs, after `input`; the feed ends it. */
  feed?: InputFeed;
  timeoutMs: number;
  onOutput?: OutputListener;
}

export class JobRunner {
  /** Faults injected by the reliability tests (never set in production). */
  faults: RunFaults = {};

  constructor(private readonly pool: WorkerPool) {}

  /** Runs a job to its end as one turn: start it, feed all its input, wait until it exits. */
  async run(spec: OneShotSpec): Promise<TurnReport> {
    const queued = performance.now();
    let job: Job;
    try {
      job = await this.start(spec);
    } catch (error) {
      if (!(error instanceof AcquireAborted)) throw error;
      const collector = new OutputCollector(spec.onOutput, undefined, spec.limits.resultBytes);
      const queueMs = performance.now() - queued;
      return {
        outcome: undefined,
        collector,
        frames: [],
        idle: false,
        timedOut: false,
        cancelled: true,
        cancelReason: error.reason,
        refused: false,
        framesRead: 0,
        durationMs: 0,
        queueMs,
        prestarted: false,
      };
    }
    try {
      const killAfter = this.faults.killWorkerAfterMs;
      if (killAfter !== undefined) void delay(killAfter).then(() => job.stop());
      const feed = spec.feed;
      const turn = job.turn({ input: spec.input, endInput: !feed, until: 'exit', timeoutMs: spec.timeoutMs, signal: spec.signal, onOutput: spec.onOutput });
      // After the turn's own input: what the feed holds, then what it gets while the program runs.
      feed?.attach(job);
      return await turn;
    } finally {
      spec.feed?.detach();
      void job.release();
    }
  }

  /**
   * Starts a job: a worker from the pool (claiming a prestarted instance of `prestartKey` when there is
   * one) or, for a dedicated job, a worker of its own.
   *
   * @throws AcquireAborted when `signal` aborts the wait for a worker; the pool's errors (queue full, closed)
   */
  async start(spec: JobStart): Promise<Job> {
    const queued = performance.now();
    const assets = await loadRuntimeAssets(spec.program.runtime);
    let lease: Lease | undefined;
    let worker: WorkerHandle;
    if (spec.dedicated) {
      worker = await this.pool.startDetached();
    } else {
      // A prestarted instance has already read the real clock and random bytes.
      lease = await this.pool.acquire({ prestartKey: spec.deterministic ? undefined : spec.prestartKey, signal: spec.signal });
      worker = lease.worker;
    }
    const started = performance.now();
    spec.onStart?.();
    const giveBack = lease ? async () => this.pool.release(lease) : () => worker.terminate();
    const job = new Job(worker, giveBack, {
      dedicated: spec.dedicated === true,
      maxResultBytes: spec.limits.resultBytes,
      started,
      queueMs: started - queued,
      prestarted: lease?.prestarted !== undefined && lease.startedForCall !== true,
    });
    const jobId = nextJobId();
    let running: RunningJob | undefined;
    if (lease?.prestarted) {
      running = await lease.prestarted.started;
      if (running) {
        lease.prestarted.attach(job.sink);
        worker.claim(planToClaim(spec.program, spec, jobId));
      }
    }
    if (!running) {
      worker.loadRuntime(assets);
      worker.loadLayers(spec.program.layers);
      running = worker.run({ ...planToJob(spec.program, spec), jobId }, job.sink);
    }
    job.attach(running);
    return job;
  }
}

/** How a turn ends, as far as known before the program's own end is. */
interface TurnEnd {
  outcome?: JobOutcome;
  idle?: boolean;
  timedOut?: boolean;
  cancelled?: boolean;
  refused?: boolean;
}

interface ActiveTurn {
  spec: TurnSpec;
  collector: OutputCollector;
  frames: ResultFrame[];
  /** The time limit, and the listener of the abort signal, while they are armed. */
  timer?: NodeJS.Timeout;
  onAbort?: () => void;
  /** Why the turn stopped the program, once it did: the turn then ends with the program. */
  stopped?: TurnEnd;
  finish: (end: TurnEnd) => void;
}

/** A job started on a worker: run it in turns, stop it, give its worker back. */
export class Job {
  private active: ActiveTurn | undefined;
  private framesRead = 0;
  private ended: JobOutcome | undefined;
  private firstTurn = true;
  private released: Promise<void> | undefined;
  /** Called when result bytes arrive while no turn runs (a session treats it as a protocol violation). */
  onStrayResult: (() => void) | undefined;
  /** Called once when the program ends, with how it ended, after any turn running then has ended. */
  onEnd: ((outcome: JobOutcome) => void) | undefined;

  /** @param giveBack returns the worker to the pool, or terminates a dedicated one */
  constructor(
    private readonly worker: WorkerHandle,
    private readonly giveBack: () => Promise<void>,
    private readonly options: { dedicated: boolean; maxResultBytes: number | undefined; started: number; queueMs: number; prestarted: boolean },
  ) {}

  /** Receives the program's output and routes it to the running turn. */
  readonly sink = (channel: OutputChannelId, bytes: Uint8Array): void => {
    if (this.active) this.active.collector.sink(channel, bytes);
    else if (channel === OutputChannel.RESULT) this.onStrayResult?.();
  };

  /** Connects the job to its started program. */
  attach(running: RunningJob): void {
    this.worker.onFrameRead = () => this.framesRead++;
    this.worker.onAwaitingFrame = () => {
      if (this.active?.spec.until === 'next-request') this.active.finish({ idle: true });
    };
    void running.done.then((outcome) => {
      this.ended = outcome;
      this.active?.finish({ ...this.active.stopped, outcome });
      this.onEnd?.(outcome);
    });
    // A dedicated worker keeps the process alive only while a turn runs.
    if (this.options.dedicated) this.worker.unref();
  }

  /** Whether the program has ended. */
  get isOver(): boolean {
    return this.ended !== undefined;
  }

  /** Runs one turn: feeds its input, and resolves when it ends (never rejects). */
  turn(spec: TurnSpec): Promise<TurnReport> {
    if (this.active) throw new Error('A turn of this job is already running');
    const worker = this.worker;
    const started = this.firstTurn ? this.options.started : performance.now();
    const queueMs = this.firstTurn ? this.options.queueMs : 0;
    const prestarted = this.firstTurn && this.options.prestarted;
    this.firstTurn = false;
    return new Promise<TurnReport>((resolve) => {
      const frames: ResultFrame[] = [];
      const turn: ActiveTurn = {
        spec,
        frames,
        collector: new OutputCollector(spec.onOutput, (frame) => this.onResult(turn, frame), this.options.maxResultBytes),
        finish: (end) => {
          if (this.active !== turn) return;
          this.active = undefined;
          clearTimeout(turn.timer);
          if (turn.onAbort) spec.signal?.removeEventListener('abort', turn.onAbort);
          if (this.options.dedicated) worker.unref();
          turn.collector.finish();
          resolve({
            outcome: end.outcome,
            collector: turn.collector,
            frames,
            idle: end.idle === true,
            timedOut: end.timedOut === true,
            cancelled: end.cancelled === true,
            cancelReason: end.cancelled ? spec.signal?.reason : undefined,
            refused: end.refused === true,
            framesRead: this.framesRead,
            durationMs: performance.now() - started,
            queueMs,
            prestarted,
          });
        },
      };
      this.active = turn;
      if (this.ended) {
        turn.finish({ outcome: this.ended });
        return;
      }
      if (this.options.dedicated) worker.ref();
      for (const chunk of spec.input) worker.writeStdin(chunk);
      if (spec.endInput) worker.endStdin();
      turn.timer = setTimeout(() => this.stopTurn(turn, { timedOut: true }), spec.timeoutMs);
      if (spec.signal) {
        turn.onAbort = () => this.stopTurn(turn, { cancelled: true });
        spec.signal.addEventListener('abort', turn.onAbort, { once: true });
        if (spec.signal.aborted) turn.onAbort();
      }
    });
  }

  /** Feeds bytes to the program's standard input while it runs (nothing once it has ended). */
  write(chunk: Uint8Array): void {
    if (this.ended === undefined && this.released === undefined) this.worker.writeStdin(chunk);
  }

  /** Ends the program's standard input (nothing once it has ended). */
  endInput(): void {
    if (this.ended === undefined && this.released === undefined) this.worker.endStdin();
  }

  /**
   * The files the program changed since the changes it last had accepted (or since it started), asked
   * while it waits for its next request; the changes of its end when it has ended (undefined if unknown).
   * Only between turns.
   */
  fileChanges(): Promise<FsChange[] | undefined> {
    if (this.ended) return Promise.resolve(this.ended.type === 'done' ? this.ended.changes : undefined);
    // An idle dedicated worker does not hold the process open: the pending answer must.
    if (!this.options.dedicated) return this.worker.requestChanges();
    this.worker.ref();
    return this.worker.requestChanges().finally(() => {
      if (!this.active) this.worker.unref();
    });
  }

  /** The changes last given by {@link fileChanges} were dealt with: the next ones count from now. */
  acceptFileChanges(): void {
    if (!this.ended) this.worker.acceptChanges();
  }

  /** Stops the program at once (terminates its worker); nothing once the worker has been given back. */
  stop(): void {
    if (this.released === undefined) void this.worker.terminate();
  }

  /** Gives the worker back (to the pool, or terminates a dedicated one), once; resolves when it is done. */
  release(): Promise<void> {
    this.released ??= this.giveBack();
    return this.released;
  }

  /**
   * Ends a turn early (time limit, cancellation, refused frame) by stopping the program: the turn ends
   * with it, once what the program wrote before it stopped has been collected.
   */
  private stopTurn(turn: ActiveTurn, end: TurnEnd): void {
    if (this.active !== turn || turn.stopped) return;
    turn.stopped = end;
    this.stop();
  }

  private onResult(turn: ActiveTurn, frame: ResultFrame): void {
    if (this.active !== turn || turn.stopped) return;
    turn.frames.push(frame);
    if (turn.spec.onResult && !turn.spec.onResult(frame, turn.frames)) this.stopTurn(turn, { refused: true });
  }
}
