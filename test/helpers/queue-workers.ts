/**
 * Queue workers as real child processes (test/helpers/queue-worker.mjs on the built package), and what
 * they report, to wait on: `ready`, `call:start`, `call:end`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('./queue-worker.mjs', import.meta.url));

/** Settings of one worker process. */
export interface WorkerSettings {
  port: number;
  name: string;
  workerName: string;
  concurrency?: number;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  warmup?: string[];
  prestart?: number;
  cacheDir?: string;
  allowedMountRoots?: unknown[];
}

/** A message a worker process printed. */
export type WorkerMessage = { type: string; callId?: string; attempt?: number; status?: string; [key: string]: unknown };

/** A running worker process. */
export interface WorkerProcess {
  readonly workerName: string;
  readonly child: ChildProcess;
  readonly messages: WorkerMessage[];
  /** Resolves with the first message (already printed or to come) that matches. */
  waitFor(match: (message: WorkerMessage) => boolean): Promise<WorkerMessage>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<number | null>;
  /** SIGKILL, and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (the worker closes gracefully), and wait for the exit. */
  stop(): Promise<void>;
}

/** Starts a worker process and resolves once it takes calls. */
export async function startWorker(settings: WorkerSettings): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [SCRIPT, JSON.stringify(settings)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const messages: WorkerMessage[] = [];
  const waiters = new Set<{ match: (m: WorkerMessage) => boolean; resolve: (m: WorkerMessage) => void }>();
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let message: WorkerMessage;
    try {
      message = JSON.parse(line) as WorkerMessage;
    } catch {
      return;
    }
    messages.push(message);
    for (const waiter of waiters) {
      if (waiter.match(message)) {
        waiters.delete(waiter);
        waiter.resolve(message);
      }
    }
  });
  const waitFor = (match: (message: WorkerMessage) => boolean): Promise<WorkerMessage> => {
    const seen = messages.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      waiters.add({ match, resolve });
      exited.then((code) => reject(new Error(`worker ${settings.workerName} exited (${code}) before the awaited message:\n${stderr}`)));
    });
  };
  await waitFor((m) => m.type === 'ready');
  return {
    workerName: settings.workerName,
    child,
    messages,
    waitFor,
    exited,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
