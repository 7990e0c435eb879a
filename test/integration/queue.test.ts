/**
 * The queue adapter for real: a redis-server started for this file, worker processes running the built
 * package, calls submitted from this process (and through two HTTP servers). Nothing is mocked; every
 * wait is on an event (a worker's report, a call's event, a line of redis-server's log).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionCancelledError, FunctionNotFoundError, InvalidRequestError, UnserializableValueError } from '../../src/index.js';
import {
  CallNotFoundError,
  createExecutionQueue,
  QueueRequestTooLargeError,
  type ExecutionQueue,
  type QueuedCallEvent,
  type QueuedExecutionResult,
} from '../../src/queue/index.js';
import { createSandboxServer, type SandboxServer } from '../../src/server/index.js';
import { REDIS_MISSING, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { startWorker, type WorkerProcess } from '../helpers/queue-workers.js';

const ADD: Record<string, string> = {
  python: 'def add(a, b):\n    print("python adds", flush=True)\n    return a + b\n',
  ruby: 'def add(a, b)\n  puts "ruby adds"\n  a + b\nend\n',
  javascript: 'export function add(a, b) {\n  console.log("javascript adds");\n  return a + b;\n}\n',
  php: '<?php\nfunction add($a, $b) {\n  echo "php adds\\n";\n  return $a + $b;\n}\n',
  c: '#include <stdio.h>\nint add(int a, int b) {\n  printf("c adds\\n");\n  return a + b;\n}\n',
  cpp: '#include <iostream>\nint add(int a, int b) {\n  std::cout << "cpp adds" << std::endl;\n  return a + b;\n}\n',
};

/** Reads a Server-Sent Events response to its end: [event, data] pairs. */
async function readEvents(response: Response): Promise<[string, any][]> {
  const events: [string, any][] = [];
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body!) {
    buffered += decoder.decode(chunk, { stream: true });
    let end;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const event = /^event: (.*)$/m.exec(block)?.[1];
      if (event) events.push([event, JSON.parse(/^data: (.*)$/m.exec(block)![1]!)]);
    }
  }
  return events;
}

describe.skipIf(REDIS_MISSING !== undefined)(`the queue on a real Redis${REDIS_MISSING ? ` (skipped: ${REDIS_MISSING})` : ''}`, () => {
  let redis: RedisServer;
  let cacheDir: string;
  let workers: WorkerProcess[];
  let queue: ExecutionQueue;

  beforeAll(async () => {
    redis = await startRedis();
    // Built C/C++ programs are shared by the two workers through the executor's cacheDir.
    cacheDir = await mkdtemp(join(tmpdir(), 'sandbox-queue-cache-'));
    workers = await Promise.all(['one', 'two'].map((workerName) => startWorker({ port: redis.port, name: 'calls', workerName, cacheDir })));
    queue = await createExecutionQueue({ connection: { port: redis.port }, name: 'calls' });
  });
  afterAll(async () => {
    await queue?.close();
    await Promise.all((workers ?? []).map((worker) => worker.stop()));
    await redis?.dispose();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it('runs a call in every language on the worker processes, output and result included', async () => {
    const calls = await Promise.all(
      Object.entries(ADD).map(([language, code]) => queue.submit({ language: language as 'python', code, functionName: 'add', args: [2, 3] })),
    );
    const results = await Promise.all(calls.map((call) => call.result()));
    for (const [index, language] of Object.keys(ADD).entries()) {
      const result = results[index]!;
      expect(result.status, `${language}: ${JSON.stringify(result.error)}`).toBe('success');
      expect(result.result).toBe(5);
      expect(result.stdout).toBe(`${language} adds\n`);
      expect(result.language).toBe(language);
      expect(result.id).toBe(calls[index]!.id);
      expect(['one', 'two']).toContain(result.queue.worker);
      expect(result.queue.attempts.map((a) => a.worker)).toEqual([result.queue.worker]);
    }
    // Two fresh worker processes load every runtime, clang and the linker included: minutes on 2 busy cores.
  }, 240_000);

  it('carries values JSON cannot hold both ways, and files inline', async () => {
    const big = 2n ** 70n;
    const call = await queue.submit({
      language: 'python',
      code: 'def f(n, raw, x):\n    with open("data.txt") as fh:\n        text = fh.read()\n    return [n + 1, raw[::-1], x, text]\n',
      args: [big, new Uint8Array([1, 2, 3]), NaN],
      files: { 'data.txt': 'inline file' },
    });
    const result = await call.result();
    expect(result.status).toBe('success');
    expect(result.result).toEqual([big + 1n, new Uint8Array([3, 2, 1]), NaN, 'inline file']);
  });

  it('streams output live and in order, and a late follower replays the same events', async () => {
    const code = 'def count(n):\n    for i in range(n):\n        print(i, flush=True)\n    return n\n';
    const call = await queue.submit({ language: 'python', code, args: [300] });
    const live: QueuedCallEvent[] = [];
    for (const type of ['queued', 'start', 'output', 'result'] as const) call.on(type, (event: QueuedCallEvent) => live.push(event));
    const result = await call.result();
    const expected = Array.from({ length: 300 }, (_, i) => `${i}\n`).join('');
    const text = (events: QueuedCallEvent[]) => events.map((e) => (e.type === 'output' ? e.data : '')).join('');
    expect(text(live)).toBe(expected);
    expect(result.stdout).toBe(expected);
    expect(live[0]!.type).toBe('queued');
    expect(live[1]).toMatchObject({ type: 'start', attempt: 1 });
    expect(live.at(-1)!.type).toBe('result');

    // Another queue object, as another process would have: the call is found by id and replayed whole.
    const other = await createExecutionQueue({ connection: redis.url, name: 'calls' });
    try {
      const replayed: QueuedCallEvent[] = [];
      for await (const event of (await other.attach(call.id)).events()) replayed.push(event);
      expect(replayed.map((e) => e.type)).toEqual(live.map((e) => e.type));
      expect(text(replayed)).toBe(expected);
      await expect(other.attach('no-such-call')).rejects.toBeInstanceOf(CallNotFoundError);
    } finally {
      await other.close();
    }
  });

  it('cancel() reaches the worker running the call', async () => {
    const code = 'import time\ndef wait():\n    print("begin", flush=True)\n    time.sleep(120)\n    return "never"\n';
    const call = await queue.submit({ language: 'python', code, timeoutMs: 300_000 });
    const begun = new Promise((resolve) => call.on('output', resolve));
    const start = await new Promise<Extract<QueuedCallEvent, { type: 'start' }>>((resolve) => call.on('start', resolve));
    await begun;
    await call.cancel('the test changed its mind');
    const error = await call.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecutionCancelledError);
    const cancelled = error as ExecutionCancelledError;
    expect(cancelled.message).toContain('the test changed its mind');
    expect(cancelled.result.status).toBe('cancelled');
    expect(cancelled.result.stdout).toBe('begin\n');
    // The worker that ran it says it stopped the call, and ends it as cancelled.
    const worker = workers.find((w) => w.workerName === start.worker)!;
    await worker.waitFor((m) => m.type === 'call:end' && m.callId === call.id && m.status === 'cancelled');
  });

  it('a cancelled waiting call never runs; a waiting call past its deadline ends as timeout', async () => {
    // No worker serves this queue: its calls wait.
    const idle = await createExecutionQueue({ connection: { port: redis.port }, name: 'nobody-works-here' });
    try {
      const waiting = await idle.submit({ language: 'python', code: 'def f():\n    return 1\n' });
      expect(await idle.counts()).toEqual({ waiting: 1, active: 0 });
      await waiting.cancel();
      const error = (await waiting.result().catch((e: unknown) => e)) as ExecutionCancelledError;
      expect(error).toBeInstanceOf(ExecutionCancelledError);
      expect(error.result.status).toBe('cancelled');
      expect((error.result as QueuedExecutionResult).queue).toMatchObject({ attempt: 0, attempts: [] });
      expect(await idle.counts()).toEqual({ waiting: 0, active: 0 });

      const late = await idle.submit({ language: 'python', code: 'def f():\n    return 1\n' }, { timeoutMs: 100 });
      const result = await late.result();
      expect(result.status).toBe('timeout');
      expect(result.error?.message).toContain('never ran');
      expect(await idle.counts()).toEqual({ waiting: 0, active: 0 });
    } finally {
      await idle.close();
    }
  });

  it('a request error on the worker rejects with the library typed error; the same jobId runs once', async () => {
    const typo = await queue.submit({ language: 'python', code: 'def add(a, b):\n    return a + b\n', functionName: 'ad' });
    const error = await typo.result().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunctionNotFoundError);
    expect((error as FunctionNotFoundError).candidates).toEqual(['add']);

    const request = { language: 'python' as const, code: 'def f():\n    return 7\n' };
    const first = await queue.submit(request, { jobId: 'only-once' });
    const again = await queue.submit(request, { jobId: 'only-once' });
    expect((await first.result()).result).toBe(7);
    expect((await again.result()).queue).toEqual((await first.result()).queue);
    const starts = workers.flatMap((w) => w.messages).filter((m) => m.type === 'call:start' && m.callId === 'only-once');
    expect(starts).toHaveLength(1);
  });

  it('refuses at submit what cannot travel on a queue', async () => {
    const code = 'def f():\n    return 1\n';
    const refused = async (request: object, options?: object) =>
      queue.submit({ language: 'python', code, ...request } as never, options).catch((e: unknown) => e);
    expect(await refused({ onStdout: () => undefined })).toMatchObject({ name: 'InvalidRequestError', field: 'onStdout' });
    expect(await refused({ signal: new AbortController().signal })).toMatchObject({ name: 'InvalidRequestError', field: 'signal' });
    expect(await refused({ mounts: [{ hostPath: '/tmp' }] })).toMatchObject({ name: 'InvalidRequestError', field: 'mounts' });
    expect(await refused({ sync: { mode: 'manual' } })).toBeInstanceOf(InvalidRequestError);
    expect(await refused({ colour: 'blue' })).toMatchObject({ field: 'colour' });
    expect(await refused({ args: [new Map()] })).toBeInstanceOf(UnserializableValueError);
    expect(await refused({}, { jobId: '12' })).toMatchObject({ field: 'jobId' });
    expect(await refused({ files: { 'big.bin': new Uint8Array(17 * 1024 * 1024) } })).toBeInstanceOf(QueueRequestTooLargeError);
  });

  it('mounts: refused by a worker without allowedMountRoots; within its roots, read-only unless the root says more', async () => {
    const shared = await mkdtemp(join(tmpdir(), 'sandbox-queue-mount-'));
    await writeFile(join(shared, 'input.txt'), 'from the worker disk');
    const mounting = await createExecutionQueue({ connection: { port: redis.port }, name: 'calls', allowMounts: true });
    const rooted = await startWorker({ port: redis.port, name: 'mounts', workerName: 'rooted', allowedMountRoots: [shared] });
    const toRooted = await createExecutionQueue({ connection: { port: redis.port }, name: 'mounts', allowMounts: true });
    try {
      const code =
        'def read():\n    with open("/data/input.txt") as fh:\n        text = fh.read()\n    with open("/data/output.txt", "w") as fh:\n        fh.write("x")\n    return text\n';
      const request = { language: 'python' as const, code, mounts: [{ hostPath: shared, virtualPath: '/data' }], sync: { onDenied: 'skip' as const } };
      // The workers of 'calls' have no mount roots.
      const refused = await (await mounting.submit(request)).result().catch((e: unknown) => e);
      expect(refused).toMatchObject({ name: 'InvalidRequestError', field: 'mounts', message: expect.stringContaining('allowedMountRoots') });
      const outside = await (await toRooted.submit({ ...request, mounts: [{ hostPath: cacheDir, virtualPath: '/data' }] })).result().catch((e: unknown) => e);
      expect(outside).toMatchObject({ name: 'InvalidRequestError', field: 'mounts[0].hostPath' });
      const result = await (await toRooted.submit(request)).result();
      expect(result.status).toBe('success');
      expect(result.result).toBe('from the worker disk');
      // The root is read-only: the file the call created was not written to the worker's disk.
      expect(result.files?.sync.denied.map((change) => change.virtualPath)).toEqual(['/data/output.txt']);
      await expect(readFile(join(shared, 'output.txt'))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await Promise.all([mounting.close(), toRooted.close(), rooted.stop()]);
      await rm(shared, { recursive: true, force: true });
    }
  });

  it('two server instances on one queue: one accepts the call, the other streams its events', async () => {
    const queues = await Promise.all([0, 1].map(() => createExecutionQueue({ connection: { port: redis.port }, name: 'calls' })));
    const servers: SandboxServer[] = queues.map((q) => createSandboxServer({ queue: q }));
    try {
      const [a, b] = await Promise.all(servers.map(async (server) => `http://127.0.0.1:${(await server.listen(0)).port}/api/sandbox`));
      const code = 'def train(epochs):\n    for epoch in range(epochs):\n        print("epoch", epoch, flush=True)\n    return "trained"\n';
      const accepted = await fetch(`${a}/exec?wait=false`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ language: 'python', code, args: [3] }),
      });
      expect(accepted.status).toBe(202);
      const { id } = (await accepted.json()) as { id: string };
      const events = await readEvents(await fetch(`${b}/exec/${id}/events`));
      expect(events.map(([name]) => name)).toEqual(['execution-start', ...events.slice(1, -1).map(() => 'execution-output'), 'execution-complete']);
      expect(
        events
          .filter(([name]) => name === 'execution-output')
          .map(([, data]) => data.data)
          .join(''),
      ).toBe('epoch 0\nepoch 1\nepoch 2\n');
      expect(events.at(-1)![1].result).toMatchObject({ id, status: 'success', result: 'trained' });

      const waited = await fetch(`${b}/exec`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ language: 'javascript', code: 'export function f() { return 2n ** 64n; }', functionName: 'f' }),
      });
      expect(waited.status).toBe(200);
      expect(await waited.json()).toMatchObject({ status: 'success', result: { $bigint: '18446744073709551616' } });
      expect((await fetch(`${a}/exec/nothing-here/events`)).status).toBe(404);
      expect(
        (
          await fetch(`${a}/exec`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ language: 'python', code, mounts: [{ hostPath: '/tmp' }] }),
          })
        ).status,
      ).toBe(400);
      expect(await (await fetch(`${b}/health`)).json()).toMatchObject({ ok: true, queue: { waiting: 0 } });
    } finally {
      await Promise.all(servers.map((server) => server.close()));
      await Promise.all(queues.map((q) => q.close()));
    }
  });
});

describe.skipIf(REDIS_MISSING !== undefined)(`Redis restarted while idle${REDIS_MISSING ? ` (skipped: ${REDIS_MISSING})` : ''}`, () => {
  it('calls work again once it is back, and what it kept on disk is still there', async () => {
    const redis = await startRedis({ persistent: true });
    const worker = await startWorker({ port: redis.port, name: 'restart', workerName: 'survivor' });
    const queue = await createExecutionQueue({ connection: { port: redis.port }, name: 'restart' });
    try {
      const code = 'def f(x):\n    return x * 2\n';
      const before = await queue.submit({ language: 'python', code, args: [21] });
      expect((await before.result()).result).toBe(42);
      await redis.stop();
      await redis.start();
      const after = await queue.submit({ language: 'python', code, args: [50] });
      expect((await after.result()).result).toBe(100);
      expect((await (await queue.attach(before.id)).result()).result).toBe(42);
    } finally {
      await queue.close();
      await worker.stop();
      await redis.dispose();
    }
  });
});
