/**
 * Messages between the host and a sandbox worker.
 *
 * Asynchronous messages go through the worker's `parentPort`. While a program runs, the worker thread is
 * busy inside WebAssembly and cannot receive events, so anything it must get *during* a run (standard input,
 * the claim of a prestarted instance) goes through a separate `MessagePort` that the worker reads
 * synchronously with `receiveMessageOnPort`, after the host bumps a counter in shared memory and
 * `Atomics.notify`s it.
 */
import type { MessagePort } from 'node:worker_threads';
import type { FsChange } from './vfs/virtual-fs.js';

/**
 * Names a runtime the worker can run: a declared binary (`runno:python-3.11.3.wasm`, see
 * `RuntimeBinary`), or a program compiled at run time (`program:<digest>`).
 */
export type RuntimeId = string;

/** Data given to the worker at start (`workerData`). */
export interface WorkerBootData {
  /** Port the worker reads synchronously during runs. */
  control: MessagePort;
  /** Int32 counters: [0] bumped after each control message. */
  signal: SharedArrayBuffer;
  /** Output ring (see output-ring.ts). */
  ring: SharedArrayBuffer;
}

/** A file placed into the virtual filesystem before a run. */
export interface JobFile {
  path: string;
  data: Uint8Array;
  mtimeMs?: number;
}

/**
 * A read-only layer of files (a package), sent once to each worker that runs a job using it. Its file
 * buffers live in shared memory: every worker and every run sees the same bytes, never a copy.
 */
export interface LayerData {
  /** Identifies the layer's contents (a digest); the same id is never sent twice to a worker. */
  id: string;
  /** Files, with paths relative to the layer's root. */
  files: JobFile[];
  /** Folders relative to the layer's root, even empty ones. */
  dirs: string[];
}

/** Where a job sees a layer: attached read-only at `path`. */
export interface LayerMount {
  id: string;
  /** Absolute path of the layer's root in the job's filesystem. */
  path: string;
}

/** Everything the worker needs to start one program. */
export interface JobSpec {
  jobId: number;
  runtime: RuntimeId;
  argv: string[];
  env: Record<string, string>;
  /** Working directory of the program (created if missing). */
  cwd: string;
  files: JobFile[];
  /** Directories to create (possibly empty). */
  dirs?: string[];
  /** Read-only layers (packages) to attach, each already sent to the worker (`layer` message). */
  layers?: LayerMount[];
  limits: JobLimits;
  /**
   * Start a prestarted instance: run up to the first read of standard input, post `prestarted`, and wait
   * for a `claim` on the control port before going on. Once a claimed instance has ended, the worker
   * starts another of the same job at once (see `standby` in the `done` message).
   */
  prestart: boolean;
  /**
   * What standard input carries: `sip`, SIP frames for a proxy, handed over one frame at a time; `raw`,
   * plain bytes (tools such as compilers).
   */
  stdin: 'sip' | 'raw';
  /** Report filesystem changes made by the run (paths under /dev and /sandbox are never reported). */
  collectChanges: boolean;
  /** Fixed clock and seeded randomness instead of the host's (never used with prestarted instances). */
  deterministic?: DeterministicSpec;
}

/** Settings of a deterministic run. */
export interface DeterministicSpec {
  seed: number;
  /** Wall-clock time the program starts at, in milliseconds since the epoch. */
  nowMs: number;
}

/** Limits of one run. */
export interface JobLimits {
  /** Maximum linear memory of the instance, in bytes. */
  memoryBytes: number;
  /** Maximum total bytes held by files in the virtual filesystem. */
  fsBytes: number;
  /** Maximum number of files, folders and devices in the virtual filesystem (default 100,000). */
  maxFiles?: number;
  /** Maximum stdout + stderr bytes; the program is stopped when it writes more. */
  outputBytes: number;
  /**
   * Largest body of one result frame; the program is stopped as soon as a frame header announces more
   * (the body never leaves the sandbox). Unlimited when absent (tools write no frames).
   */
  resultBytes?: number;
}

/** Sent on the control port to hand a prestarted instance its call. */
export interface ClaimSpec {
  jobId: number;
  files: JobFile[];
  dirs?: string[];
  limits: JobLimits;
  collectChanges: boolean;
}

/** Host → worker, asynchronous. */
export type HostMessage =
  | { type: 'runtime'; runtime: RuntimeId; module: WebAssembly.Module; minPages: number; baseFiles: JobFile[]; baseDirs: string[] }
  | { type: 'layer'; layer: LayerData }
  | { type: 'run'; job: JobSpec };

/**
 * Host → worker, read synchronously during a run. Each names the job it is for: a message still in flight
 * when its job ended (a program that exits without reading all its input) must not reach the next job.
 */
export type ControlMessage =
  | { type: 'stdin'; jobId: number; data: Uint8Array }
  | { type: 'stdin-end'; jobId: number }
  /** Addressed to the prestarted job; from then on the job answers to `claim.jobId`. */
  | { type: 'claim'; jobId: number; claim: ClaimSpec }
  | { type: 'release'; jobId: number }
  /**
   * Asks a program waiting for input for its filesystem changes since the last accepted ones (a
   * session's `sync()`); answered with a `changes` message. Only read while the program reads stdin.
   */
  | { type: 'changes'; jobId: number }
  /** The changes last sent were dealt with: the next `changes` counts from then. */
  | { type: 'changes-accepted'; jobId: number };

/** How a program ended, as seen from inside the worker. */
export type RunEnd =
  | { kind: 'exit'; code: number }
  | { kind: 'trap'; message: string }
  | { kind: 'output-limit' }
  /** A result frame header announced more than `JobLimits.resultBytes`. */
  | { kind: 'result-limit'; announcedBytes: number; limitBytes: number }
  | { kind: 'released' }
  | { kind: 'failed'; message: string };

/** Worker → host. */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'prestarted'; jobId: number }
  /** The program has read a whole persistent request frame (sessions count them). */
  | { type: 'frame-read'; jobId: number }
  /**
   * After answering a persistent call, the program asked for its next request (its first read of
   * standard input since the result frame). Sessions settle a call only then: a frame written earlier by
   * the call's own code cannot let that code read the next call's request.
   */
  | { type: 'awaiting-frame'; jobId: number }
  /** The answer to a `changes` request: what the files changed since the last accepted changes. */
  | { type: 'changes'; jobId: number; changes: FsChange[] }
  | {
      type: 'done';
      jobId: number;
      end: RunEnd;
      /** Peak linear memory of the instance in bytes. */
      memoryBytes: number;
      /** Whether the memory reached its maximum (an allocation failure is likely the cause of the end). */
      memoryAtLimit: boolean;
      changes?: FsChange[];
      fsBytesWritten: number;
      /** Distinct files written during the run. */
      fsFilesWritten: number;
      /**
       * After a claimed prestarted instance: the id of the instance of the same job that the worker
       * started right after it (a negative id, chosen by the worker), which now waits for its claim.
       */
      standby?: number;
    };

/** Index of the control counter in the signal array. */
export const SIGNAL_CONTROL = 0;
