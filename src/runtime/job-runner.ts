/**
 * Runs one program on a pooled worker and reports how it ended: the piece shared by calls, sessions and
 * tool jobs (precompiling a proxy, running a compiler).
 */
import { OutputCollector, type OutputListener } from '../result/output-collector.js';
import type { ResultFrame } from '../protocol/result-frame.js';
import { loadRuntimeAssets } from './runtime-assets.js';
import type { JobOutcome, WorkerHandle } from './worker-handle.js';
import type { WorkerPool } from './worker-pool.js';
import type { JobSpec } from './worker-protocol.js';

/** A program to run: the worker's job fields plus what the host handles itself. */
export interface RunSpec extends Pick<JobSpec, 'runtime' | 'argv' | 'env' | 'cwd' | 'files' | 'dirs' | 'limits' | 'collectChanges'> {
  /** Chunks fed to standard input, followed by end of input. */
  stdin: Uint8Array[];
  timeoutMs: number;
  onOutput?: OutputListener;
}

/** How a run ended. */
export interface RunReport {
  outcome: JobOutcome;
  collector: OutputCollector;
  frames: ResultFrame[];
  timedOut: boolean;
  /** Milliseconds from the start of the program to its end. */
  durationMs: number;
  /** Milliseconds spent waiting for a worker. */
  queueMs: number;
}

let nextJobId = 1;

export class JobRunner {
  constructor(private readonly pool: WorkerPool) {}

  async run(spec: RunSpec): Promise<RunReport> {
    const assets = await loadRuntimeAssets(spec.runtime);
    const queued = performance.now();
    const worker = await this.pool.acquire();
    const started = performance.now();
    const collector = new OutputCollector(spec.onOutput);
    let timedOut = false;
    let outcome: JobOutcome;
    try {
      worker.loadRuntime(assets);
      const running = worker.run(
        {
          jobId: nextJobId++,
          runtime: spec.runtime,
          argv: spec.argv,
          env: spec.env,
          cwd: spec.cwd,
          files: spec.files,
          dirs: spec.dirs,
          limits: spec.limits,
          standby: false,
          collectChanges: spec.collectChanges,
        },
        collector.sink,
      );
      feedStdin(worker, spec.stdin);
      const timer = setTimeout(() => {
        timedOut = true;
        void worker.terminate();
      }, spec.timeoutMs);
      outcome = await running.done;
      clearTimeout(timer);
    } finally {
      this.pool.release(worker);
    }
    collector.finish();
    return { outcome, collector, frames: collector.takeResults(), timedOut, durationMs: performance.now() - started, queueMs: started - queued };
  }
}

function feedStdin(worker: WorkerHandle, chunks: Uint8Array[]): void {
  for (const chunk of chunks) worker.writeStdin(chunk);
  worker.endStdin();
}
