// Benchmark of the queue adapter (sandbox-executor/queue) on this machine, every figure measured in the
// same run:
// - throughput of CPU-bound calls through the queue with 1 and 2 worker processes (one sandbox worker
//   each), against the same calls in this process on executors of pool size 1 and 2;
// - the latency the queue adds to a call: submit → result through Redis and a worker process, against a
//   direct invoke(), and against the time the worker itself spent in invoke().
//
// Needs redis-server (Debian: apt-get install redis-server); it is started on a free port in a temporary
// folder. Usage: npm run bench:queue [-- --quick]
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SandboxExecutor } from '../dist/index.js';
import { createExecutionQueue } from '../dist/queue.js';

const quick = process.argv.includes('--quick');
const N = { throughput: quick ? 8 : 24, latency: quick ? 40 : 200 };
const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * About 100 ms of Python on this kind of machine (on the optimized CPython runtime): long enough that
 * scheduling costs are small next to it.
 */
const CPU = { language: 'python', code: 'def work(n):\n    s = 0\n    for i in range(n):\n        s += i * i\n    return s\n', args: [1_000_000] };
const ADD = { language: 'javascript', code: 'export function add(a, b) {\n  return a + b;\n}\n', args: [1, 2] };

const median = (samples) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function waitForLine(stream, text) {
  return new Promise((resolve) => {
    let seen = '';
    const onData = (chunk) => {
      seen += chunk;
      if (seen.includes(text)) {
        stream.off('data', onData);
        stream.resume();
        resolve();
      }
    };
    stream.on('data', onData);
  });
}

const WORKER = `
import { SandboxExecutor } from ${JSON.stringify(join(root, 'dist/index.js'))};
import { createExecutionWorker } from ${JSON.stringify(join(root, 'dist/queue.js'))};
const [port, name] = process.argv.slice(2);
const executor = new SandboxExecutor({ poolSize: 1 });
await executor.warmup(['python', 'javascript']);
const worker = await createExecutionWorker({ connection: { port: Number(port) }, name, executor, concurrency: 1 });
await worker.ready();
console.log('ready');
process.once('SIGTERM', async () => { await worker.close(); await executor.close(); process.exit(0); });
`;

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'sandbox-bench-queue-'));
  const port = await freePort();
  const redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  redis.once('error', (error) => {
    console.error(`redis-server could not start (${error.message}); install it: apt-get install redis-server`);
    process.exit(1);
  });
  await waitForLine(redis.stdout, 'Ready to accept connections');
  await writeFile(join(dir, 'worker.mjs'), WORKER);
  const workers = [];
  const startWorkers = async (name, count) => {
    const started = Array.from({ length: count }, () =>
      spawn(process.execPath, [join(dir, 'worker.mjs'), String(port), name], { stdio: ['ignore', 'pipe', 'inherit'] }),
    );
    workers.push(...started);
    await Promise.all(started.map((child) => waitForLine(child.stdout, 'ready')));
    return started;
  };
  const stopWorkers = (list) => Promise.all(list.map((child) => new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM')))));

  try {
    const rows = [];
    // Throughput: N calls submitted at once, wall time until the last result.
    const burst = async (run) => {
      const start = performance.now();
      await Promise.all(Array.from({ length: N.throughput }, run));
      return N.throughput / ((performance.now() - start) / 1000);
    };
    const direct = {};
    for (const poolSize of [1, 2]) {
      const executor = new SandboxExecutor({ poolSize });
      await executor.warmup(['python', 'javascript']);
      await burst(() => executor.invoke(CPU)); // warm-up round
      direct[poolSize] = await burst(() => executor.invoke(CPU));
      await executor.close();
    }
    const queued = {};
    for (const count of [1, 2]) {
      const name = `bench-${count}`;
      const list = await startWorkers(name, count);
      const queue = await createExecutionQueue({ connection: { port }, name });
      const run = async () => (await queue.submit(CPU)).result();
      await burst(run);
      queued[count] = await burst(run);
      await queue.close();
      await stopWorkers(list);
    }
    rows.push(['throughput, in-process executor, pool 1', `${direct[1].toFixed(2)} calls/s`, '1.00×']);
    rows.push(['throughput, in-process executor, pool 2', `${direct[2].toFixed(2)} calls/s`, `${(direct[2] / direct[1]).toFixed(2)}×`]);
    rows.push(['throughput, queue, 1 worker process', `${queued[1].toFixed(2)} calls/s`, `${(queued[1] / direct[1]).toFixed(2)}×`]);
    rows.push([
      'throughput, queue, 2 worker processes',
      `${queued[2].toFixed(2)} calls/s`,
      `${(queued[2] / direct[1]).toFixed(2)}× (${(queued[2] / queued[1]).toFixed(2)}× one process)`,
    ]);
    // What two processes gain, next to what a second sandbox worker gains in one process on this machine
    // now (on a shared machine the second core may not be free for either).
    rows.push(['scaling 1 → 2 worker processes, relative to pool 1 → 2 in-process', `${(queued[2] / queued[1] / (direct[2] / direct[1])).toFixed(2)}`, '']);

    // Latency: one call at a time, direct and queued alternately so that both see the same load.
    const list = await startWorkers('bench-latency', 1);
    const queue = await createExecutionQueue({ connection: { port }, name: 'bench-latency' });
    const executor = new SandboxExecutor({ poolSize: 1 });
    await executor.warmup(['javascript']);
    const directMs = [];
    const queuedMs = [];
    const overheadMs = [];
    for (let i = 0; i < N.latency + 10; i++) {
      let start = performance.now();
      await executor.invoke(ADD);
      const d = performance.now() - start;
      start = performance.now();
      const result = await (await queue.submit(ADD)).result();
      const q = performance.now() - start;
      if (i < 10) continue; // warm-up
      directMs.push(d);
      queuedMs.push(q);
      overheadMs.push(q - result.usage.wallMs);
    }
    await executor.close();
    await queue.close();
    await stopWorkers(list);
    rows.push(['latency, direct invoke() (median)', `${median(directMs).toFixed(2)} ms`, '']);
    rows.push([
      'latency, through the queue (median)',
      `${median(queuedMs).toFixed(2)} ms`,
      `+${(median(queuedMs) - median(directMs)).toFixed(2)} ms over direct`,
    ]);
    rows.push(["queue time per call: end-to-end minus the worker's invoke() (median)", `${median(overheadMs).toFixed(2)} ms`, '']);

    console.log(
      `\nQueue benchmark (${availableParallelism()} cores, load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}; ${N.throughput} CPU-bound Python calls per throughput figure, ${N.latency} JavaScript add() calls for latency)\n`,
    );
    console.log('| measure | value | ratio |');
    console.log('|---|---|---|');
    for (const [label, value, ratio] of rows) console.log(`| ${label} | ${value} | ${ratio} |`);
  } finally {
    await stopWorkers(workers.filter((child) => child.exitCode === null && child.signalCode === null));
    redis.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
