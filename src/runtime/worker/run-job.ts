/**
 * Runs one program inside the worker: builds its virtual filesystem and devices, instantiates the
 * interpreter with a bounded memory, runs it to the end, and reports how it ended and what it changed.
 */
import { parentPort } from 'node:worker_threads';
import { CONTROL_DEVICE, RESULT_DEVICE, SANDBOX_DIR } from '../../protocol/proxy-contract.js';
import { VirtualFS, type SnapshotEntry, type FsChange, type VDir } from '../vfs/virtual-fs.js';
import { SandboxWASI } from '../wasi/sandbox-wasi.js';
import { OutputChannel, type OutputRingWriter } from '../output-ring.js';
import { MEMORY_IMPORT, WASM_PAGE_BYTES } from '../memory-import.js';
import type { ClaimSpec, JobFile, JobLimits, JobSpec, RunEnd, WorkerMessage } from '../worker-protocol.js';
import type { ControlLink } from './control-link.js';
import type { MemoryRecycler } from './memory-recycler.js';
import { createDeterministicClock } from './deterministic-clock.js';
import { createSystemClock } from './system-clock.js';
import {
  InstanceReleased,
  OutputBudget,
  OutputLimitExceeded,
  ResultLimitExceeded,
  StdinStream,
  controlDevice,
  nullDevice,
  outputDevice,
  randomDevice,
  resultDevice,
  zeroDevice,
} from './devices.js';

/** A runtime loaded into this worker: its compiled module and its base filesystem. */
export interface LoadedRuntime {
  module: WebAssembly.Module;
  minPages: number;
  template: VirtualFS;
  /** Paths of the base filesystem; never reported as changes. */
  templatePaths: Set<string>;
}

/** Paths that belong to the sandbox machinery, never reported as changes. */
const HIDDEN_ROOTS = ['/dev', SANDBOX_DIR];
const isHidden = (path: string): boolean => HIDDEN_ROOTS.some((root) => path === root || path.startsWith(`${root}/`));

export function buildRuntime(module: WebAssembly.Module, minPages: number, baseFiles: JobFile[], baseDirs: string[]): LoadedRuntime {
  const template = new VirtualFS();
  const templatePaths = new Set<string>();
  for (const dir of baseDirs) {
    template.mkdirp(dir);
    templatePaths.add(dir);
  }
  for (const file of baseFiles) {
    template.writeFile(file.path, file.data, { shared: true, mtime: BigInt(Math.round((file.mtimeMs ?? Date.now()) * 1e6)) });
    templatePaths.add(file.path);
    // Parent directories of base files are part of the base too.
    for (let at = file.path.lastIndexOf('/'); at > 0; at = file.path.lastIndexOf('/', at - 1)) templatePaths.add(file.path.slice(0, at));
  }
  return { module, minPages, template, templatePaths };
}

export function runJob(
  job: JobSpec,
  runtime: LoadedRuntime,
  link: ControlLink,
  ring: OutputRingWriter,
  memories: MemoryRecycler,
  layers: ReadonlyMap<string, VDir> = new Map(),
): Extract<WorkerMessage, { type: 'done' }> {
  const clock = job.deterministic ? createDeterministicClock(job.deterministic) : createSystemClock();
  let limits: JobLimits = job.limits;
  let collectChanges = job.collectChanges;
  let jobId = job.jobId;
  // The runtime's own files (Python's standard library zip: 21 MB) are not the call's: its limit counts
  // from them.
  const runtimeBytes = runtime.template.totalBytes;
  const fs = runtime.template.clone(runtimeBytes + limits.fsBytes, limits.maxFiles);
  const budget = new OutputBudget(limits.outputBytes);
  let snapshot: Map<string, SnapshotEntry> | undefined;
  /** The tree as of the changes last sent to the host, which becomes `snapshot` once it accepts them. */
  let sentSnapshot: Map<string, SnapshotEntry> | undefined;

  const addFiles = (files: JobFile[], dirs: string[] = []): void => {
    for (const dir of dirs) fs.mkdirp(dir);
    for (const file of files) fs.writeFile(file.path, file.data, file.mtimeMs ? { mtime: BigInt(Math.round(file.mtimeMs * 1e6)) } : {});
  };
  const takeSnapshot = (): void => {
    if (collectChanges) snapshot = fs.snapshot((path) => isHidden(path));
  };

  // Layers first: a call's files can never land inside one (the host refuses that before the run).
  for (const mount of job.layers ?? []) {
    const layer = layers.get(mount.id);
    if (layer) fs.attachReadOnly(mount.path, layer);
  }
  addFiles(job.files, job.dirs);
  fs.mkdirp(job.cwd);
  fs.mkdirp('/tmp');

  const stdin = new StdinStream(
    link,
    {
      onPrestarted: () => parentPort!.postMessage({ type: 'prestarted', jobId: job.jobId } satisfies WorkerMessage),
      onPersistentFrame: () => parentPort!.postMessage({ type: 'frame-read', jobId } satisfies WorkerMessage),
      onAwaitingFrame: () => parentPort!.postMessage({ type: 'awaiting-frame', jobId } satisfies WorkerMessage),
      onClaim: (claim: ClaimSpec) => {
        jobId = claim.jobId;
        limits = claim.limits;
        collectChanges = claim.collectChanges;
        fs.maxBytes = runtimeBytes + limits.fsBytes;
        if (limits.maxFiles !== undefined) fs.maxNodes = limits.maxFiles;
        budget.limit = limits.outputBytes;
        addFiles(claim.files, claim.dirs);
        fs.resetUsage();
        takeSnapshot();
      },
      onChangesRequest: () => {
        let changes: FsChange[] = [];
        if (collectChanges && snapshot) {
          changes = fs.diff(snapshot, isHidden).filter((change) => !runtime.templatePaths.has(change.path));
          sentSnapshot = fs.snapshot((path) => isHidden(path));
        }
        parentPort!.postMessage({ type: 'changes', jobId, changes } satisfies WorkerMessage);
      },
      onChangesAccepted: () => {
        if (sentSnapshot) snapshot = sentSnapshot;
        sentSnapshot = undefined;
      },
    },
    job.stdin === 'sip',
    job.prestart,
    job.jobId,
  );
  const stdout = fs.addDevice('/dev/stdout', outputDevice(OutputChannel.STDOUT, ring, budget));
  const stderr = fs.addDevice('/dev/stderr', outputDevice(OutputChannel.STDERR, ring, budget));
  const stdinNode = fs.addDevice('/dev/stdin', stdin);
  fs.addDevice('/dev/null', nullDevice);
  fs.addDevice('/dev/zero', zeroDevice);
  fs.addDevice('/dev/urandom', randomDevice(clock));
  fs.addDevice('/dev/random', randomDevice(clock));
  fs.addDevice(
    RESULT_DEVICE,
    resultDevice(
      ring,
      () => stdin.resume(),
      () => limits.resultBytes ?? Number.POSITIVE_INFINITY,
    ),
  );
  fs.addDevice(CONTROL_DEVICE, controlDevice(clock));
  if (!job.prestart) takeSnapshot();

  const maxPages = Math.max(runtime.minPages, Math.floor(limits.memoryBytes / WASM_PAGE_BYTES));
  const memory = memories.take(runtime.minPages, maxPages);
  const wasi = new SandboxWASI({ args: job.argv, env: job.env, fs, stdio: [stdinNode, stdout, stderr], clock });

  let end: RunEnd;
  try {
    const instance = new WebAssembly.Instance(runtime.module, { ...wasi.sandboxImports(), [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory } });
    end = { kind: 'exit', code: wasi.run(instance, memory) };
  } catch (error) {
    end = describeFailure(error);
  }

  const memoryBytes = memory.buffer.byteLength;
  memories.give(memory, runtime.minPages, maxPages);
  let changes: FsChange[] | undefined;
  if (collectChanges && snapshot && end.kind !== 'released') {
    changes = fs.diff(snapshot, isHidden).filter((change) => !runtime.templatePaths.has(change.path));
  }
  return {
    type: 'done',
    jobId,
    end,
    memoryBytes,
    // An allocation that failed near the cap is the likely cause of a crash.
    memoryAtLimit: memoryBytes >= maxPages * WASM_PAGE_BYTES * 0.9,
    changes,
    fsBytesWritten: fs.bytesWritten,
    fsFilesWritten: fs.filesWritten,
  };
}

function describeFailure(error: unknown): RunEnd {
  if (error instanceof OutputLimitExceeded) return { kind: 'output-limit' };
  if (error instanceof ResultLimitExceeded) return { kind: 'result-limit', announcedBytes: error.announcedBytes, limitBytes: error.limitBytes };
  if (error instanceof InstanceReleased) return { kind: 'released' };
  if (error instanceof WebAssembly.RuntimeError) return { kind: 'trap', message: error.message };
  if (error instanceof RangeError && /call stack/i.test(error.message)) return { kind: 'trap', message: 'call stack exhausted' };
  return { kind: 'failed', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
}
