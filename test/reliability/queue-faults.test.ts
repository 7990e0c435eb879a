/**
 * Faults of a queue deployment, for real: worker processes killed with SIGKILL in the middle of a call,
 * a call that every worker dies on, and the ownership rule that keeps a lost attempt from writing over a
 * newer one. Workers use a short lock (lockDurationMs 3000, against the default 30 000) so that a lost worker is noticed quickly;
 * every wait is on an event.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { CallStore } from '../../src/queue/call-store.js';
import { createExecutionQueue, type ExecutionQueue, type QueuedCall, type QueuedCallEvent } from '../../src/queue/index.js';
import { REDIS_MISSING, startRedis, type RedisServer } from '../helpers/redis-server.js';
import { startWorker, type WorkerProcess } from '../helpers/queue-workers.js';

/** Prints, then takes a while: long enough to be killed in the middle, short enough for the retry. */
const SLOW = 'import time\ndef slow():\n    print("begin", flush=True)\n    time.sleep(1.5)\n    return "done"\n';

describe.skipIf(REDIS_MISSING !== undefined)(`queue faults${REDIS_MISSING ? ` (skipped: ${REDIS_MISSING})` : ''}`, () => {
  let redis: RedisServer;
  const started: WorkerProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await Promise.all(started.map((worker) => worker.kill()));
    await redis?.dispose();
  });

  /** Worker processes on queue `name`, with Python warmed up (no long start-up work while a lock is held). */
  async function workers(name: string, names: string[]): Promise<WorkerProcess[]> {
    const list = await Promise.all(
      names.map((workerName) => startWorker({ port: redis.port, name, workerName, lockDurationMs: 3000, stalledIntervalMs: 1000, warmup: ['python'] })),
    );
    started.push(...list);
    return list;
  }

  /** Kills (SIGKILL) the worker process that starts each attempt, for the first `times` attempts. */
  function killOnStart(call: QueuedCall, pool: WorkerProcess[], times: number): Promise<string[]> {
    const killed: string[] = [];
    return new Promise((resolve) => {
      call.on('output', (event) => {
        const owner = starts.get(event.attempt);
        if (owner === undefined || killed.length >= times || killed.includes(owner)) return;
        killed.push(owner);
        pool
          .find((w) => w.workerName === owner)!
          .kill()
          .then(() => killed.length === times && resolve(killed));
      });
      const starts = new Map<number, string>();
      call.on('start', (event) => starts.set(event.attempt, event.worker));
    });
  }

  async function queueNamed(name: string, retries: number): Promise<ExecutionQueue> {
    return createExecutionQueue({ connection: { port: redis.port }, name, retries });
  }

  it('a worker killed mid-call: the call starts again on the other worker, and its result says so', async () => {
    const pool = await workers('retry', ['retry-a', 'retry-b']);
    const queue = await queueNamed('retry', 1);
    try {
      const call = await queue.submit({ language: 'python', code: SLOW });
      const killed = killOnStart(call, pool, 1);
      const events: QueuedCallEvent[] = [];
      call.on('start', (e) => events.push(e));
      call.on('output', (e) => events.push(e));
      const result = await call.result();
      const [victim] = await killed;
      const survivor = pool.find((w) => w.workerName !== victim)!.workerName;
      expect(result.status).toBe('success');
      expect(result.result).toBe('done');
      expect(result.queue.attempt).toBe(2);
      expect(result.queue.worker).toBe(survivor);
      expect(result.queue.attempts.map((a) => a.worker)).toEqual([victim, survivor]);
      // The lost attempt's output stays in the call's events, marked with its attempt.
      expect(events.map((e) => (e.type === 'start' ? `start ${e.attempt} ${e.worker}` : `${e.type} ${(e as { attempt: number }).attempt}`))).toEqual([
        `start 1 ${victim}`,
        'output 1',
        `start 2 ${survivor}`,
        'output 2',
      ]);
    } finally {
      await queue.close();
    }
  });

  it('with retries: 0, a call whose worker is killed ends as crash (WorkerLost) and never runs again', async () => {
    const pool = await workers('no-retry', ['once-a', 'once-b']);
    const queue = await queueNamed('no-retry', 0);
    try {
      const call = await queue.submit({ language: 'python', code: SLOW });
      const killed = killOnStart(call, pool, 1);
      const result = await call.result();
      const [victim] = await killed;
      expect(result.status).toBe('crash');
      expect(result.error?.type).toBe('WorkerLost');
      expect(result.error?.message).toContain(victim);
      expect(result.queue).toMatchObject({ attempt: 0, attempts: [{ attempt: 1, worker: victim }] });
      const survivor = pool.find((w) => w.workerName !== victim)!;
      expect(survivor.messages.filter((m) => m.type === 'call:start' && m.callId === call.id)).toEqual([]);
    } finally {
      await queue.close();
    }
  });

  it('a poison call (every worker that starts it dies) ends after the retry limit', async () => {
    const pool = await workers('poison', ['poison-a', 'poison-b', 'poison-c']);
    const queue = await queueNamed('poison', 1);
    try {
      const call = await queue.submit({ language: 'python', code: SLOW });
      const killed = killOnStart(call, pool, 2);
      const result = await call.result();
      const victims = await killed;
      expect(result.status).toBe('crash');
      expect(result.error?.type).toBe('WorkerLost');
      expect(result.error?.message).toMatch(/lost 2 time\(s\).*allows 1 retry/);
      expect(result.queue.attempts.map((a) => a.worker)).toEqual(victims);
    } finally {
      await queue.close();
    }
  });

  it('once a newer attempt claimed a call, the older attempt can write nothing; a finished call is not claimed again', async () => {
    const redisClient = new Redis({ port: redis.port });
    try {
      const store = new CallStore(redisClient, 'sandbox', 'ownership');
      const id = randomUUID();
      await store.create(id, { ttlMs: 60_000, retainMs: 60_000, deadlineMs: undefined });
      const first = await store.claim(id, 'old-worker');
      const second = await store.claim(id, 'new-worker');
      if (first.kind !== 'claimed' || second.kind !== 'claimed') throw new Error('both claims should succeed');
      expect(second).toMatchObject({ attempt: 2, earlier: [{ attempt: 1, worker: 'old-worker' }] });
      expect(await store.append(id, first.token, { type: 'output', stream: 'stdout', data: 'stale', attempt: 1 })).toBe(false);
      expect(await store.append(id, first.token, { type: 'result', result: {}, final: true })).toBe(false);
      expect(await store.append(id, second.token, { type: 'result', result: {}, final: true })).toBe(true);
      // Written once: no second final event, not even by the newest owner.
      expect(await store.append(id, second.token, { type: 'result', result: {}, final: true })).toBe(false);
      expect(await store.claim(id, 'third-worker')).toEqual({ kind: 'done' });
      const entries = await redisClient.xrange(store.keys(id).events, '-', '+');
      expect(entries.map(([, fields]) => JSON.parse(fields[1]!).type)).toEqual(['queued', 'result']);
    } finally {
      redisClient.disconnect();
    }
  });
});
