// A queue worker process for the tests: runs the built package (dist/) the way a deployment would, and
// reports what it does as JSON lines on stdout. Its settings come as JSON in argv[2].
import { SandboxExecutor } from '../../dist/index.js';
import { createExecutionWorker } from '../../dist/queue.js';

const settings = JSON.parse(process.argv[2]);
const say = (message) => process.stdout.write(`${JSON.stringify(message)}\n`);
const executor = new SandboxExecutor({ poolSize: settings.concurrency ?? 1, cacheDir: settings.cacheDir, prestart: settings.prestart });
if (settings.warmup) await executor.warmup(settings.warmup);
const worker = await createExecutionWorker({
  connection: { port: settings.port },
  name: settings.name,
  executor,
  concurrency: settings.concurrency ?? 1,
  workerName: settings.workerName,
  lockDurationMs: settings.lockDurationMs,
  stalledIntervalMs: settings.stalledIntervalMs,
  allowedMountRoots: settings.allowedMountRoots,
});
worker.on('call:start', (event) => say({ type: 'call:start', ...event }));
worker.on('call:end', (event) => say({ type: 'call:end', ...event }));
worker.on('error', (error) => say({ type: 'error', message: error.message }));
await worker.ready();
say({ type: 'ready', workerName: worker.workerName, pid: process.pid });
process.once('SIGTERM', async () => {
  await worker.close();
  await executor.close();
  say({ type: 'closed' });
  process.exit(0);
});
