/**
 * Entry point of a sandbox worker thread. Holds the runtimes the host has sent (compiled modules and base
 * filesystems) and runs one program at a time.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OutputRingWriter } from '../output-ring.js';
import type { HostMessage, JobSpec, WorkerBootData, WorkerMessage, RuntimeId } from '../worker-protocol.js';
import { ControlLink } from './control-link.js';
import { MemoryRecycler } from './memory-recycler.js';
import { buildReadOnlyTree, type VDir } from '../vfs/virtual-fs.js';
import { buildRuntime, runJob, type LoadedRuntime } from './run-job.js';

const boot = workerData as WorkerBootData;
const link = new ControlLink(boot.control, boot.signal);
const ring = new OutputRingWriter(boot.ring);
const runtimes = new Map<RuntimeId, LoadedRuntime>();
const memories = new MemoryRecycler();
/** Read-only layers (packages) by id: built once, attached to every run that uses them. */
const layers = new Map<string, VDir>();
// Compiled programs arrive with each run; keep the most recent few (most recently used last).
const MAX_PROGRAMS = 8;
/** Ids of the prestarted instances this worker starts on its own: negative, never one of the host's. */
let lastStandbyId = 0;

parentPort!.on('message', (message: HostMessage) => {
  switch (message.type) {
    case 'runtime':
      if (message.runtime.startsWith('program:')) {
        const known = runtimes.get(message.runtime);
        runtimes.delete(message.runtime);
        runtimes.set(message.runtime, known ?? buildRuntime(message.module, message.minPages, message.baseFiles, message.baseDirs));
        const programs = [...runtimes.keys()].filter((id) => id.startsWith('program:'));
        for (const id of programs.slice(0, Math.max(0, programs.length - MAX_PROGRAMS))) runtimes.delete(id);
        return;
      }
      runtimes.set(message.runtime, buildRuntime(message.module, message.minPages, message.baseFiles, message.baseDirs));
      return;
    case 'layer':
      if (!layers.has(message.layer.id)) layers.set(message.layer.id, buildReadOnlyTree(message.layer.files, message.layer.dirs));
      return;
    case 'run': {
      let job: JobSpec | undefined = message.job;
      while (job) {
        const runtime = runtimes.get(job.runtime);
        let reply: Extract<WorkerMessage, { type: 'done' }>;
        const missingLayer = job.layers?.find((mount) => !layers.has(mount.id));
        if (!runtime || missingLayer) {
          reply = {
            type: 'done',
            jobId: job.jobId,
            end: { kind: 'failed', message: missingLayer ? `Package layer ${missingLayer.id} is not loaded` : `Runtime ${job.runtime} is not loaded` },
            memoryBytes: 0,
            memoryAtLimit: false,
            fsBytesWritten: 0,
            fsFilesWritten: 0,
          };
        } else {
          reply = runJob(job, runtime, link, ring, memories, layers);
        }
        // Leftover control messages (for example stdin the program never read) must not leak into the next run.
        link.drain();
        // A prestarted instance that served its call is replaced at once, without waiting for the host to
        // ask: under load the host's thread is busy, and a call claims the next instance the moment it
        // wants one. Not after an instance that was released (its worker is wanted for something else) or
        // that ended before any claim (the host counts those failures and decides).
        job = job.prestart && reply.jobId !== job.jobId ? { ...job, jobId: --lastStandbyId } : undefined;
        if (job) reply.standby = job.jobId;
        parentPort!.postMessage(reply);
      }
      return;
    }
  }
});

parentPort!.postMessage({ type: 'ready' } satisfies WorkerMessage);
