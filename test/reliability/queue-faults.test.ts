/**
 * Faults of a queue deployment, for real: worker processes killed with SIGKILL in the middle of a call,
 * a call that every worker dies on, and the ownership rule that keeps a lost attempt from writing over a
 * newer one. Workers use a short lock (lockDurationMs 3000, against the default 30 000) so that a lost worker is noticed quickly;
 * every wait is on an event. Then followers of a call across what a Redis restart does to them: a subscriber
 * that comes back while a follower starts, and reads that Redis refuses while it loads its data or is busy.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { CallFollowers } from '../../src/queue/call-follower.js';
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

/**
 * A follower on connections of its own, as a queue object has them, on the call `id` of queue `name`:
 * `outcome` is the types of the events it delivered up to the final one, or rejects with what it failed with.
 */
function followCall(port: number, name: string) {
  const commands = new Redis({ port });
  const subscriber = new Redis({ port });
  const store = new CallStore(commands, 'sandbox', name);
  const followers = new CallFollowers(commands, subscriber, store);
  const subscriberReady = new Promise((resolve) => subscriber.once('ready', resolve));
  return {
    commands,
    subscriber,
    store,
    subscriberReady,
    follow(id: string): Promise<string[]> {
      const types: string[] = [];
      return new Promise((resolve, reject) => {
        followers.follow(
          id,
          (event) => {
            types.push(event.type);
            if (event.final) resolve(types);
          },
          reject,
        );
      });
    },
    close(): void {
      followers.clear();
      commands.disconnect();
      subscriber.disconnect();
    },
  };
}

const FINAL = { type: 'result', result: {}, final: true } as const;

describe.skipIf(REDIS_MISSING !== undefined)(`followers across a Redis restart${REDIS_MISSING ? ` (skipped: ${REDIS_MISSING})` : ''}`, () => {
  let redis: RedisServer;

  beforeAll(async () => {
    redis = await startRedis({ debugCommand: true });
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it('a follower that starts while its subscriber reconnects reads the call twice, and is not told it does not exist', async () => {
    const side = followCall(redis.port, 'reconnecting');
    const monitor = await new Redis({ port: redis.port }).monitor();
    try {
      await side.subscriberReady;
      const id = randomUUID();
      await side.store.create(id, { ttlMs: 60_000, retainMs: 60_000, deadlineMs: undefined });
      const channel = side.store.keys(id).events;
      // Two readings of the stream: one when the subscriber is back ('ready'), one when the follower's own
      // subscription is confirmed, which comes after (it was sent when the subscriber came back). The second
      // finds nothing new: the call's only event was taken by the first.
      const bothRead = new Promise<void>((resolve) => {
        let reads = 0;
        monitor.on('monitor', (_time: string, args: string[]) => {
          if (args[0]?.toLowerCase() === 'xrange' && args[1] === channel && ++reads === 2) resolve();
        });
      });
      side.subscriber.disconnect(true);
      const outcome = side.follow(id);
      outcome.catch(() => undefined);
      await bothRead;
      // Sent on the follower's own connection after both readings, so Redis runs it after them.
      await side.store.append(id, '', FINAL);
      expect(await outcome).toEqual(['queued', 'result']);
    } finally {
      monitor.disconnect();
      side.close();
    }
  });

  it('reads that Redis refuses while it loads its data (LOADING) are made again once it is loaded', async () => {
    const side = followCall(redis.port, 'loading');
    const admin = new Redis({ port: redis.port });
    const release = new Redis({ port: redis.port });
    try {
      const id = randomUUID();
      await side.store.create(id, { ttlMs: 60_000, retainMs: 60_000, deadlineMs: undefined });
      // Loading these keys at one per 50 ms would last far longer than the test; setting the delay back to 0
      // ends the loading when the test says so. Redis answers other clients between two keys.
      const padding = admin.pipeline();
      for (let i = 0; i < 1000; i++) padding.set(`padding:${i}`, 'x'.repeat(2048));
      await padding.exec();
      await admin.config('SET', 'rdbcompression', 'no');
      await admin.config('SET', 'loading-process-events-interval-bytes', '1024');
      await admin.config('SET', 'key-load-delay', '50000');
      await admin.config('RESETSTAT');
      await release.ping();
      const reloaded = admin.call('DEBUG', 'RELOAD');
      // The follower's connection is open and ready, as after a reconnection: Redis answers it LOADING.
      const refused = (error: Error) => error.message.startsWith('LOADING');
      while (!(await side.commands.ping().then(() => false, refused)));
      const outcome = side.follow(id);
      outcome.catch(() => undefined);
      // INFO is answered while loading: wait until Redis has refused the follower's reading of the stream.
      while (!/cmdstat_xrange:.*rejected_calls=[1-9]/.test(await release.info('commandstats')));
      await release.config('SET', 'key-load-delay', '0');
      await reloaded;
      await side.store.append(id, '', FINAL);
      expect(await outcome).toEqual(['queued', 'result']);
    } finally {
      await admin.flushall().catch(() => undefined);
      admin.disconnect();
      release.disconnect();
      side.close();
    }
  });

  it('a subscription that Redis refuses while a script keeps it busy (BUSY) is made again', async () => {
    const side = followCall(redis.port, 'busy');
    const admin = new Redis({ port: redis.port });
    const scripting = new Redis({ port: redis.port });
    try {
      await side.subscriberReady;
      const id = randomUUID();
      await side.store.create(id, { ttlMs: 60_000, retainMs: 60_000, deadlineMs: undefined });
      await admin.config('SET', 'busy-reply-threshold', '10');
      // Runs until SCRIPT KILL; meanwhile Redis answers BUSY to every other command.
      const script = scripting.eval('while true do end', 0).catch((error: Error) => error);
      const refused = (error: Error) => error.message.startsWith('BUSY');
      while (!(await side.commands.ping().then(() => false, refused)));
      const outcome = side.follow(id);
      outcome.catch(() => undefined);
      // Refused after the follower's subscription on the same connection, so that one was refused too.
      expect(
        await side.subscriber.subscribe('probe').then(
          () => 'subscribed',
          (error: Error) => error.message,
        ),
      ).toMatch(/^BUSY/);
      await admin.script('KILL');
      expect(String(await script)).toContain('killed');
      await side.store.append(id, '', FINAL);
      expect(await outcome).toEqual(['queued', 'result']);
    } finally {
      await admin.config('SET', 'busy-reply-threshold', '5000').catch(() => undefined);
      admin.disconnect();
      scripting.disconnect();
      side.close();
    }
  });
});
