/**
 * Runs one program on a pooled worker and reports how it ended: the piece shared by calls and tool jobs
 * (precompiling a proxy, running a compiler). Handles the pre-started instance path, standard input,
 * the time limit and cancellation.
 */
import { OutputCollector, type OutputListener } from './output-collector.js';
import type { ResultFrame } from '../protocol/result-frame.js';
import { faults } from '../testing/faults.js';
import { loadRuntimeAssets } from './runtime-assets.js';
import type { JobOutcome, RunningJob, WorkerHandle } from './worker-handle.js';
import { AcquireAborted, type Lease, type WorkerPool } from './worker-pool.js';
import type { JobFile, JobSpec } from './worker-protocol.js';

/** A program to run: the worker's job fields plus what the host handles itself. */
export interface RunSpec extends Pick<JobSpec, 'runtime' | 'argv' | 'env' | 'cwd' | 'dirs' | 'limits' | 'collectChanges' | 'deterministic'> {
  /** Call-independent files (the proxy). */
  baseFiles: JobFile[];
  /** Files of this call (the user's code); what a pre-started instance receives when claimed. */
  callFiles: JobFile[];
  /** Chunks fed to standard input, followed by end of input. */
  stdin: Uint8Array[];
  timeoutMs: number;
  onOutput?: OutputListener;
  signal?: AbortSignal;
  /** Use a pre-started instance with this key when one is available. */
  standbyKey?: string;
  /** Called when the program starts running (after any wait for a worker). */
  onStart?: () => void;
}

/** How a run ended. */
export interface RunReport {
  /** How the program ended; undefined when it was cancelled before it started. */
  outcome: JobOutcome | undefined;
  collector: OutputCollector;
  frames: ResultFrame[];
  timedOut: boolean;
  cancelled: boolean;
  /** The abort reason, when cancelled. */
  cancelReason?: unknown;
  /** Milliseconds from the start of the program (or the claim of a pre-started one) to its end. */
  durationMs: number;
  /** Milliseconds spent waiting for a worker. */
  queueMs: number;
}

let nextJobId = 1;

export class JobRunner {
  constructor(private readonly pool: WorkerPool) {}

  async run(spec: RunSpec): Promise<RunReport> {
    const collector = new OutputCollector(spec.onOutput, undefined, spec.limits.resultBytes);
    const queued = performance.now();
    const assets = await loadRuntimeAssets(spec.runtime);
    let lease: Lease;
    try {
      // A pre-started instance has already read the real clock and random bytes.
      lease = await this.pool.acquire({ standbyKey: spec.deterministic ? undefined : spec.standbyKey, signal: spec.signal });
    } catch (error) {
      if (!(error instanceof AcquireAborted)) throw error;
      return {
        outcome: undefined,
        collector,
        frames: [],
        timedOut: false,
        cancelled: true,
        cancelReason: error.reason,
        durationMs: 0,
        queueMs: performance.now() - queued,
      };
    }

    const worker = lease.worker;
    const started = performance.now();
    let timedOut = false;
    let cancelled = false;
    const stop = (): void => void worker.terminate();
    const onAbort = (): void => {
      cancelled = true;
      stop();
    };
    let timer: NodeJS.Timeout | undefined;
    try {
      spec.onStart?.();
      const jobId = nextJobId++;
      let running: RunningJob | undefined;
      if (lease.standby) {
        running = await lease.standby.started;
        if (running) {
          lease.standby.attach(collector.sink);
          worker.claim({ jobId, files: spec.callFiles, dirs: spec.dirs, limits: spec.limits, collectChanges: spec.collectChanges });
        }
      }
      if (!running) {
        worker.loadRuntime(assets);
        running = worker.run(
          {
            jobId,
            runtime: spec.runtime,
            argv: spec.argv,
            env: spec.env,
            cwd: spec.cwd,
            files: [...spec.baseFiles, ...spec.callFiles],
            dirs: spec.dirs,
            limits: spec.limits,
            standby: false,
            collectChanges: spec.collectChanges,
            deterministic: spec.deterministic,
          },
          collector.sink,
        );
      }
      feedStdin(worker, spec.stdin);
      if (faults.killWorkerAfterMs !== undefined) setTimeout(() => void worker.terminate(), faults.killWorkerAfterMs);
      timer = setTimeout(() => {
        timedOut = true;
        stop();
      }, spec.timeoutMs);
      spec.signal?.addEventListener('abort', onAbort, { once: true });
      if (spec.signal?.aborted) onAbort();
      const outcome = await running.done;
      collector.finish();
      return {
        outcome,
        collector,
        frames: collector.takeResults(),
        timedOut: timedOut && !cancelled,
        cancelled,
        cancelReason: cancelled ? spec.signal?.reason : undefined,
        durationMs: performance.now() - started,
        queueMs: started - queued,
      };
    } finally {
      clearTimeout(timer);
      spec.signal?.removeEventListener('abort', onAbort);
      this.pool.release(lease);
    }
  }
}

function feedStdin(worker: WorkerHandle, chunks: Uint8Array[]): void {
  for (const chunk of chunks) worker.writeStdin(chunk);
  worker.endStdin();
}
