/**
 * The running side: `createExecutionWorker()` takes calls from the queue and runs them on a
 * `SandboxExecutor` in this process, writing each call's events and result to Redis as it goes.
 *
 * One call, on a worker:
 * 1. BullMQ hands over the job (and holds a lock on it, renewed while the call runs).
 * 2. claim: the call's attempt counter goes up and this attempt becomes the only one allowed to write.
 *    A call already finished (its earlier worker died after writing the result) is not run again; one
 *    cancelled, past its deadline, or past its retry limit ends without running.
 * 3. run: `executor.invoke()`, output appended to the call's stream as it comes.
 * 4. the result (or the request's error) is the call's final event.
 *
 * A worker killed during step 3 stops renewing its lock; after `lockDurationMs` another worker's stalled
 * check puts the job back on the queue, and step 2 on the next worker counts a second attempt.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import type { Job, Worker } from 'bullmq';
import { ExecutionCancelledError, InvalidRequestError, SandboxExecutor, type ExecutionRequest, type ExecutionResult } from '../index.js';
import type { MountRoot } from '../fs/fs-types.js';
import { CallStore, cancelChannel, type CallEvent, type Claim } from './call-store.js';
import { createRedisClient, type QueueConnection } from './connection.js';
import { loadQueueDependencies } from './dependencies.js';
import { decodeEnvelope } from './envelope.js';
import { count, quit } from './execution-queue.js';
import { emptyResult, storedFailure, storedResult, type QueueRunInfo } from './events.js';
import { MountRootMatcher, resolveMountRoots } from '../fs/mount-roots.js';
import { applyMountPolicy } from './mount-policy.js';

/** Options of {@link createExecutionWorker}. */
export interface ExecutionWorkerOptions {
  /** Where Redis is. */
  connection: QueueConnection;
  /** Name of the queue whose calls this worker runs. */
  name: string;
  /** Prefix of the queue's Redis keys (default `sandbox`, as for the queue). */
  prefix?: string;
  /** The executor that runs the calls (default: a new one, closed with the worker). */
  executor?: SandboxExecutor;
  /** Calls run at once (default: the executor's pool size, or 1 for a pool of size 0). */
  concurrency?: number;
  /**
   * Folders of this machine that calls may mount (each a path, read-only, or `{ path, operations }`).
   * Default: none, and a call with mounts ends with `InvalidRequestError`.
   */
  allowedMountRoots?: readonly (string | MountRoot)[];
  /** Name of this worker in results and events (default `<hostname>:<pid>:<random>`). */
  workerName?: string;
  /**
   * How long a call's lock lasts without renewal, in ms (default 30 000; renewed every half of it while
   * the call runs). A worker that stops for longer (killed, frozen, cut off from Redis) is presumed lost
   * and its call is started again elsewhere (see the queue's `retries`).
   */
  lockDurationMs?: number;
  /** How often this worker looks for calls whose worker was lost, in ms (default 30 000). */
  stalledIntervalMs?: number;
}

/** Events of an {@link ExecutionWorker}. */
export interface ExecutionWorkerEvents {
  /** A call starts running here. */
  'call:start': [{ callId: string; attempt: number }];
  /** A call ended here: ran (`status` of its result), was refused (`failed`), or ended without running. */
  'call:end': [{ callId: string; status: ExecutionResult['status'] | 'failed' | 'skipped' }];
  /** Redis or BullMQ reported an error (connections are retried; calls go on). */
  error: [Error];
}

/** A worker process's connection to the queue. */
export interface ExecutionWorker extends EventEmitter<ExecutionWorkerEvents> {
  /** This worker's name in results and events. */
  readonly workerName: string;
  /** Resolves once the worker is connected and takes calls. */
  ready(): Promise<void>;
  /** Takes no more calls, waits for the running ones to end, then closes its connections (and the executor it created). */
  close(): Promise<void>;
}

/**
 * Starts a worker that runs the queue's calls in this process.
 *
 * @throws QueueDependencyError when `bullmq` or `ioredis` is not installed
 * @throws InvalidRequestError for bad options
 */
export async function createExecutionWorker(options: ExecutionWorkerOptions): Promise<ExecutionWorker> {
  if (options === null || typeof options !== 'object') throw new InvalidRequestError('options', 'createExecutionWorker() takes { connection, name }.');
  const { name } = options;
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(name))
    throw new InvalidRequestError('name', `name must be 1 to 100 letters, digits, '_', '.' or '-', got ${JSON.stringify(name)}.`);
  const prefix = options.prefix ?? 'sandbox';
  const roots = new MountRootMatcher(resolveMountRoots(options.allowedMountRoots));
  const lockDuration = count('lockDurationMs', options.lockDurationMs, 30_000, 100);
  const stalledInterval = count('stalledIntervalMs', options.stalledIntervalMs, 30_000, 100);
  const workerName = options.workerName ?? `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  if (typeof workerName !== 'string' || workerName === '' || workerName.includes('|'))
    throw new InvalidRequestError('workerName', "workerName must be a non-empty string without '|'.");
  const { bullmq, Redis } = await loadQueueDependencies();
  const ownsExecutor = options.executor === undefined;
  const executor = options.executor ?? new SandboxExecutor();
  const concurrency = count('concurrency', options.concurrency, executor.status().poolSize || 1, 1);

  const events = new EventEmitter<ExecutionWorkerEvents>() as ExecutionWorker & EventEmitter<ExecutionWorkerEvents>;
  const report = (error: unknown): void => {
    if (events.listenerCount('error') > 0) events.emit('error', error instanceof Error ? error : new Error(String(error)));
  };
  const commands = createRedisClient(Redis, options.connection, `worker:${name}`, true);
  const subscriber = commands.duplicate({ connectionName: `sandbox-executor:worker:${name}:cancel` });
  commands.on('error', report);
  subscriber.on('error', report);
  const store = new CallStore(commands, prefix, name);
  /** Running calls by id, to stop one when it is cancelled. */
  const running = new Map<string, AbortController>();
  subscriber.on('message', (_channel: string, id: string) => running.get(id)?.abort(new CancelRequest()));
  const subscribed = subscriber.subscribe(cancelChannel(prefix, name));
  let subscribedOnce = false;
  subscriber.on('ready', () => {
    // A cancellation announced while this connection was down is still in the call's state.
    if (subscribedOnce) {
      for (const [id, controller] of running) {
        store.cancelReason(id).then((reason) => reason !== undefined && controller.abort(new CancelRequest()), report);
      }
    }
    subscribedOnce = true;
  });

  const processCall = async (job: Job): Promise<{ status: string }> => {
    const id = job.id!;
    // Registered before the claim: a cancellation published after the claim read the state finds it.
    const controller = new AbortController();
    running.set(id, controller);
    let claim: Claim | undefined;
    try {
      claim = await store.claim(id, workerName);
      const status = await runClaimed(job, id, claim, controller);
      events.emit('call:end', { callId: id, status });
      return { status };
    } catch (error) {
      // Not expected (Redis commands of a worker wait out outages): still, the call's followers must see
      // it end rather than wait for a job BullMQ has failed.
      report(error);
      if (claim?.kind === 'claimed') await store.append(id, claim.token, storedFailure(error)).catch(report);
      throw error;
    } finally {
      running.delete(id);
    }
  };

  const runClaimed = async (job: Job, id: string, claim: Claim, controller: AbortController): Promise<ExecutionResult['status'] | 'failed' | 'skipped'> => {
    // Gone (expired while waiting) or finished by an earlier attempt whose worker died before BullMQ knew.
    if (claim.kind !== 'claimed') return 'skipped';
    const { token, attempt } = claim;
    const attempts = [...claim.earlier, { attempt, worker: workerName, startedAt: claim.startedAt }];
    const info = (ran: boolean): QueueRunInfo => ({
      callId: id,
      attempt: ran ? attempt : 0,
      attempts: ran ? attempts : claim.earlier,
      ...(ran ? { worker: workerName } : {}),
      queuedMs: claim.queuedMs,
    });
    const data = job.data as { request?: { language?: unknown; functionName?: unknown }; retries?: unknown };
    const endWithout = async (status: ExecutionResult['status'], error: ExecutionResult['error']): Promise<ExecutionResult['status']> => {
      const result = emptyResult({ id, status, error, language: data.request?.language, functionName: data.request?.functionName, queue: info(false) });
      await store.append(id, token, storedResult(result));
      return status;
    };
    if (claim.cancelled !== undefined) {
      const result = emptyResult({ id, status: 'cancelled', language: data.request?.language, functionName: data.request?.functionName, queue: info(false) });
      await store.append(id, token, storedFailure(new ExecutionCancelledError(result, claim.cancelled)));
      return 'cancelled';
    }
    const retries = typeof data.retries === 'number' ? data.retries : 0;
    if (attempt > retries + 1) {
      const lost = claim.earlier.map((a) => `attempt ${a.attempt} on ${a.worker}`).join(', ');
      return endWithout('crash', {
        type: 'WorkerLost',
        message: `The call's worker was lost ${claim.earlier.length} time(s) while running it (${lost}): killed, or cut off from Redis for longer than its lock (lockDurationMs). Not started again: the call allows ${retries} retr${retries === 1 ? 'y' : 'ies'}.`,
      });
    }
    if (claim.deadlineInMs !== undefined && claim.deadlineInMs <= 0) {
      return endWithout('timeout', {
        type: 'Timeout',
        message: `The call waited ${claim.queuedMs} ms in the queue, past its deadline (submit timeoutMs); it never ran.`,
      });
    }

    let request: ExecutionRequest;
    try {
      request = decodeEnvelope(job.data).request;
      if (request.mounts !== undefined) request = { ...request, mounts: await applyMountPolicy(request.mounts, roots) };
    } catch (error) {
      await store.append(id, token, storedFailure(error));
      return 'failed';
    }
    const output = new OutputWriter(store, id, token, attempt, () => controller.abort(new LostCall()));
    output.send({ type: 'start', attempt, worker: workerName, at: attempts.at(-1)!.startedAt });
    events.emit('call:start', { callId: id, attempt });
    let deadline: NodeJS.Timeout | undefined;
    if (claim.deadlineInMs !== undefined) deadline = setTimeout(() => controller.abort(new DeadlineReached()), claim.deadlineInMs);
    let final: CallEvent;
    let status: ExecutionResult['status'] | 'failed';
    try {
      const result = await executor.invoke({
        ...request,
        signal: controller.signal,
        onStdout: (data) => output.write('stdout', data),
        onStderr: (data) => output.write('stderr', data),
      });
      status = result.status;
      final = storedResult({ ...result, id, queue: info(true) });
    } catch (error) {
      if (error instanceof ExecutionCancelledError && controller.signal.reason instanceof LostCall) return 'skipped';
      if (error instanceof ExecutionCancelledError && controller.signal.reason instanceof DeadlineReached) {
        status = 'timeout';
        final = storedResult({
          ...error.result,
          id,
          status: 'timeout',
          error: {
            type: 'Timeout',
            message: `The call reached its deadline (submit timeoutMs) after ${claim.queuedMs} ms in the queue and ${Math.round(error.result.durationMs)} ms running, and was stopped.`,
          },
          queue: info(true),
        });
      } else if (error instanceof ExecutionCancelledError) {
        status = 'cancelled';
        const reason = controller.signal.reason instanceof CancelRequest ? ((await store.cancelReason(id)) ?? 'cancelled through the queue') : error.cause;
        final = storedFailure(new ExecutionCancelledError({ ...error.result, id, queue: info(true) } as ExecutionResult, reason));
      } else {
        status = 'failed';
        final = storedFailure(error);
      }
    } finally {
      clearTimeout(deadline);
    }
    output.flush();
    await output.settled();
    await store.append(id, token, final);
    return status;
  };

  const worker: Worker = new bullmq.Worker(name, processCall, {
    connection: commands,
    prefix,
    concurrency,
    lockDuration,
    stalledInterval,
    // The call's own attempt counter (in its state) decides about retries: BullMQ only puts lost jobs back.
    maxStalledCount: 1_000_000,
    name: workerName,
  });
  worker.on('error', report);
  let closing: Promise<void> | undefined;

  return Object.assign(events, {
    workerName,
    async ready(): Promise<void> {
      await Promise.all([worker.waitUntilReady(), subscribed]);
    },
    close(): Promise<void> {
      closing ??= (async () => {
        await worker.close();
        await Promise.all([quit(subscriber), quit(commands)]);
        if (ownsExecutor) await executor.close();
      })();
      return closing;
    },
  });
}

/** Abort reasons of a running call. */
class CancelRequest {}
class DeadlineReached {}
class LostCall {}

/**
 * Sends a call's output to its stream: chunks written in the same turn of the event loop go as one event
 * per stream run, in order. Writes are pipelined on one connection, so they reach Redis in order without
 * waiting for each other; the first refused write (a newer attempt owns the call) stops the run.
 */
class OutputWriter {
  private pending: { stream: 'stdout' | 'stderr'; data: string }[] = [];
  private scheduled = false;
  private readonly writes: Promise<unknown>[] = [];

  constructor(
    private readonly store: CallStore,
    private readonly id: string,
    private readonly token: string,
    private readonly attempt: number,
    private readonly lost: () => void,
  ) {}

  write(stream: 'stdout' | 'stderr', data: string): void {
    const last = this.pending.at(-1);
    if (last?.stream === stream) last.data += data;
    else this.pending.push({ stream, data });
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  flush(): void {
    this.scheduled = false;
    for (const { stream, data } of this.pending) this.send({ type: 'output', stream, data, attempt: this.attempt });
    this.pending = [];
  }

  send(event: CallEvent): void {
    this.writes.push(
      this.store.append(this.id, this.token, event).then(
        (written) => written || this.lost(),
        () => undefined,
      ),
    );
  }

  async settled(): Promise<void> {
    await Promise.all(this.writes);
  }
}
