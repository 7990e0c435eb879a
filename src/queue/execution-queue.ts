/**
 * The submitting side: `createExecutionQueue()` puts calls on a BullMQ queue and gives back handles that
 * follow them through Redis (result, live output, cancellation), from this process or any other.
 */
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Queue } from 'bullmq';
import type { Redis as IORedis } from 'ioredis';
import { ExecutionCancelledError, InvalidRequestError, type ExecutionRequest } from '../index.js';
import { CallFollowers } from './call-follower.js';
import { CallStore, type CallEvent } from './call-store.js';
import { createRedisClient, type QueueConnection } from './connection.js';
import { loadQueueDependencies } from './dependencies.js';
import { encodeEnvelope, type QueueEnvelope } from './envelope.js';
import { CallNotFoundError, QueueClosedError } from './errors.js';
import { emptyResult, publicEvent, storedFailure, storedResult, type QueuedCallEvent, type QueuedExecutionResult, type StoredEvent } from './events.js';

const MIB = 1024 * 1024;

/** Options of {@link createExecutionQueue}. */
export interface ExecutionQueueOptions {
  /** Where Redis is. */
  connection: QueueConnection;
  /** Name of the queue; workers of the same name (and prefix) run its calls. */
  name: string;
  /** Prefix of every Redis key of the queue (default `sandbox`). */
  prefix?: string;
  /**
   * How many times a call may start again on another worker after its worker was lost (killed, or cut off
   * from Redis for longer than the workers' `lockDurationMs`) (default 1). Past it the call ends with
   * status `crash` and error type `WorkerLost`. 0: never run a call twice.
   */
  retries?: number;
  /** Largest encoded request, files included (they travel inline), in bytes (default 16 MiB). */
  maxRequestBytes?: number;
  /**
   * Accept requests with `mounts` (default false: a worker's disk is not the submitter's). Workers still
   * refuse mounts outside their own `allowedMountRoots`.
   */
  allowMounts?: boolean;
  /** How long a finished call's events and result stay in Redis for late followers, in ms (default 300 000). */
  retainMs?: number;
  /** How long an unfinished call is kept, waiting or running, in ms (default 86 400 000: a day). */
  callTtlMs?: number;
}

/**
 * A request as it can travel on a queue: an `ExecutionRequest` without what stays in the submitting
 * process (its `signal`, output callbacks and sync hooks; use the handle's events and `cancel()`).
 */
export type QueueRequest = Omit<ExecutionRequest, 'signal' | 'onStdout' | 'onStderr' | 'beforeSync' | 'afterSync' | 'onPhase'>;

/** Options of {@link ExecutionQueue.submit}. */
export interface SubmitOptions {
  /**
   * Priority of the call: 1 runs first, up to 2 097 151. Calls without a priority run before all calls
   * with one (BullMQ's order), first come first served.
   */
  priority?: number;
  /**
   * Id of the call (default: a random UUID): letters, digits, `_`, `.`, `-`, at most 128, not only
   * digits. Submitting an id whose call exists (unfinished, or finished less than `retainMs` ago)
   * submits nothing and returns that call's handle, so a retried submission runs once.
   */
  jobId?: string;
  /**
   * Deadline of the whole call in ms, waiting included. A call still waiting then never runs; a running
   * one is stopped. Either way it ends with status `timeout`. Default: none (the request's own
   * `timeoutMs` still limits the run).
   */
  timeoutMs?: number;
  /** This call's `retries` (default: the queue's). */
  retries?: number;
}

/** Events of a {@link QueuedCall}, by name. */
export type QueuedCallEventMap = {
  [K in QueuedCallEvent['type']]: [Extract<QueuedCallEvent, { type: K }>];
};

/**
 * A call on the queue. It emits `queued`, `start` (of each attempt), `output` and finally `result` or
 * `failed`, from the first event of the call on: listeners added in the same tick as the handle was
 * returned see every event. {@link events} replays them all at any time.
 */
export class QueuedCall<T = unknown> extends EventEmitter<QueuedCallEventMap> {
  private readonly outcome: Promise<QueuedExecutionResult<T>>;
  private settle!: { resolve(result: QueuedExecutionResult<T>): void; reject(error: unknown): void };
  private stopFollowing: () => void;
  private timer: NodeJS.Timeout | undefined;
  private ended = false;

  /** @internal */
  constructor(
    /** The call's id on the queue. */
    readonly id: string,
    private readonly owner: QueueInternals,
  ) {
    super();
    this.outcome = new Promise((resolve, reject) => (this.settle = { resolve, reject }));
    this.outcome.catch(() => undefined);
    owner.handles.add(this);
    this.stopFollowing = owner.followers.follow(
      id,
      (stored) => this.receive(stored),
      (error) => this.finish(() => this.settle.reject(error)),
    );
  }

  /**
   * The call's result, whatever its status (like `invoke()`).
   *
   * Rejects with the error `invoke()` would have thrown on the worker (a bad request: unknown function,
   * unserializable argument…), with `ExecutionCancelledError` when the call was cancelled, or with
   * `CallNotFoundError` / `QueueClosedError`.
   */
  result(): Promise<QueuedExecutionResult<T>> {
    return this.outcome;
  }

  /** Every event of the call from its first, read again from Redis, ending with `result` or `failed`. */
  events(): AsyncIterableIterator<QueuedCallEvent> {
    return this.owner.replay(this.id);
  }

  /**
   * Cancels the call: removed from the queue if it is waiting (it never runs), stopped on its worker if it
   * is running. The result then rejects with `ExecutionCancelledError`. Does nothing once the call ended.
   */
  async cancel(reason = 'cancelled through the queue'): Promise<void> {
    await this.owner.cancel(this.id, reason);
  }

  /** @internal Ends a call that is still waiting when its deadline passes (a worker ends a running one). */
  setDeadline(ms: number, language: unknown, functionName: unknown): void {
    this.timer = setTimeout(() => {
      this.owner
        .endWaiting(this.id, (queuedMs) =>
          storedResult(
            emptyResult({
              id: this.id,
              status: 'timeout',
              error: {
                type: 'Timeout',
                message: `The call waited ${queuedMs} ms in the queue without starting, past its deadline (timeoutMs ${ms}); it never ran.`,
              },
              language,
              functionName,
              queue: { callId: this.id, attempt: 0, attempts: [], queuedMs },
            }),
          ),
        )
        .catch(() => undefined);
    }, ms);
    this.timer.unref();
  }

  private receive(stored: StoredEvent): void {
    const event = publicEvent(stored);
    (this.emit as (name: string, event: QueuedCallEvent) => boolean)(event.type, event);
    if (event.type === 'result') this.finish(() => this.settle.resolve(event.result as QueuedExecutionResult<T>));
    if (event.type === 'failed') this.finish(() => this.settle.reject(event.error));
  }

  private finish(settle: () => void): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    this.owner.handles.delete(this);
    settle();
  }

  /** @internal */
  abandon(): void {
    this.stopFollowing();
    this.finish(() => this.settle.reject(new QueueClosedError()));
  }
}

/** What handles need of their queue. */
interface QueueInternals {
  followers: CallFollowers;
  handles: Set<QueuedCall<unknown>>;
  replay(id: string): AsyncIterableIterator<QueuedCallEvent>;
  cancel(id: string, reason: string): Promise<void>;
  /** Takes the call off the queue if it is waiting, and writes its final event. Resolves with whether it did. */
  endWaiting(id: string, event: (queuedMs: number, request: QueueEnvelope['request'] | undefined) => CallEvent): Promise<boolean>;
}

/** Counts of the queue's calls by state. */
export interface QueueCounts {
  /** Waiting for a worker (prioritized and delayed included). */
  waiting: number;
  /** Running on a worker. */
  active: number;
}

/** A queue of calls, shared through Redis by any number of submitters, workers and servers. */
export interface ExecutionQueue {
  /** The queue's name. */
  readonly name: string;
  /**
   * Checks the request, puts it on the queue and returns its handle once it is there.
   *
   * @throws InvalidRequestError for what cannot travel on a queue (functions, `signal`, mounts unless
   *   `allowMounts`, `sync.mode: 'manual'`) or bad options
   * @throws UnserializableValueError for an argument that cannot travel
   * @throws QueueRequestTooLargeError over `maxRequestBytes`
   */
  submit<T = unknown>(request: QueueRequest, options?: SubmitOptions): Promise<QueuedCall<T>>;
  /**
   * A handle on a call submitted by any process, to get its result, follow its events or cancel it.
   *
   * @throws CallNotFoundError when there is no such call (or it ended more than `retainMs` ago)
   */
  attach<T = unknown>(id: string): Promise<QueuedCall<T>>;
  /** How many calls wait and run. */
  counts(): Promise<QueueCounts>;
  /** Closes this object's connections; the calls go on. Handles not yet settled reject with `QueueClosedError`. */
  close(): Promise<void>;
}

const JOB_ID = /^(?!\d+$)[A-Za-z0-9_.-]{1,128}$/;

/**
 * Creates a queue object connected to Redis (it connects in the background, and commands wait for it).
 *
 * @throws QueueDependencyError when `bullmq` or `ioredis` is not installed
 * @throws InvalidRequestError for bad options
 */
export async function createExecutionQueue(options: ExecutionQueueOptions): Promise<ExecutionQueue> {
  if (options === null || typeof options !== 'object') throw new InvalidRequestError('options', 'createExecutionQueue() takes { connection, name }.');
  const name = queueName(options.name);
  const prefix = options.prefix ?? 'sandbox';
  const retries = count('retries', options.retries, 1);
  const maxRequestBytes = count('maxRequestBytes', options.maxRequestBytes, 16 * MIB, 1);
  const retainMs = count('retainMs', options.retainMs, 300_000, 1);
  const callTtlMs = count('callTtlMs', options.callTtlMs, 86_400_000, 1);
  const { bullmq, Redis } = await loadQueueDependencies();
  const commands = createRedisClient(Redis, options.connection, `queue:${name}`, false);
  const subscriber = commands.duplicate({ connectionName: `sandbox-executor:queue:${name}:events` });
  const ignore = (): void => undefined;
  // Connection errors are retried by ioredis; commands that cannot wait reject on their own.
  commands.on('error', ignore);
  subscriber.on('error', ignore);
  const store = new CallStore(commands, prefix, name);
  const followers = new CallFollowers(commands, subscriber, store);
  const bull: Queue = new bullmq.Queue(name, { connection: commands, prefix });
  bull.on('error', ignore);
  const handles = new Set<QueuedCall<unknown>>();
  let closed = false;

  const internals: QueueInternals = {
    followers,
    handles,
    replay: (id) => replay(followers, id),
    async cancel(id, reason) {
      const state = await store.cancel(id, reason);
      if (state === 'not-found') throw new CallNotFoundError(id);
      if (state === 'ended') return;
      // Waiting: take it off the queue, so that no worker ever starts it. Running (locked by its worker,
      // which BullMQ refuses to remove): the worker got the cancellation and stops it.
      await internals.endWaiting(id, (queuedMs, request) => {
        const result = emptyResult({
          id,
          status: 'cancelled',
          language: request?.language,
          functionName: request?.functionName,
          queue: { callId: id, attempt: 0, attempts: [], queuedMs },
        });
        return storedFailure(new ExecutionCancelledError(result, reason));
      });
    },
    async endWaiting(id, event) {
      const job = await bull.getJob(id);
      const request = (job?.data as QueueEnvelope | undefined)?.request;
      if ((await bull.remove(id)) !== 1) return false;
      return store.append(id, '', event(await store.age(id), request));
    },
  };

  return {
    name,
    async submit<T>(request: QueueRequest, submitOptions: SubmitOptions = {}): Promise<QueuedCall<T>> {
      if (closed) throw new QueueClosedError();
      const id = submitOptions.jobId ?? randomUUID();
      if (typeof id !== 'string' || !JOB_ID.test(id))
        throw new InvalidRequestError('jobId', `jobId must be 1 to 128 letters, digits, '_', '.' or '-', and not only digits; got ${JSON.stringify(id)}.`);
      const priority = submitOptions.priority;
      if (priority !== undefined && (!Number.isInteger(priority) || priority < 1 || priority > 2_097_151))
        throw new InvalidRequestError('priority', `priority must be an integer from 1 (first) to 2097151, got ${String(priority)}.`);
      const deadline = submitOptions.timeoutMs === undefined ? undefined : count('timeoutMs', submitOptions.timeoutMs, 0, 1);
      const { envelope } = encodeEnvelope(request as ExecutionRequest, {
        retries: count('retries', submitOptions.retries, retries),
        maxRequestBytes,
        allowMounts: options.allowMounts === true,
      });
      // Both commands go out at once, in this order on one connection (one round trip less per call). When
      // the id is taken, BullMQ ignores the job if the call's job still exists; if that call already ended,
      // the new job finds it done when a worker claims it, and nothing runs twice.
      const creating = store.create(id, { ttlMs: callTtlMs, retainMs, deadlineMs: deadline });
      const adding = bull.add(envelope.kind, envelope, { jobId: id, priority, removeOnComplete: true, removeOnFail: true, attempts: 1 });
      const [created, added] = await Promise.allSettled([creating, adding]);
      if (created.status === 'rejected') throw created.reason;
      const handle = new QueuedCall<T>(id, internals);
      if (!created.value) return handle;
      if (added.status === 'rejected') {
        // Followers of the call must see it end.
        await store.append(id, '', storedFailure(added.reason)).catch(() => undefined);
        throw added.reason;
      }
      if (deadline !== undefined) handle.setDeadline(deadline, request.language, request.functionName);
      return handle;
    },
    async attach<T>(id: string): Promise<QueuedCall<T>> {
      if (closed) throw new QueueClosedError();
      if (typeof id !== 'string' || !(await store.exists(id))) throw new CallNotFoundError(String(id));
      return new QueuedCall<T>(id, internals);
    },
    async counts(): Promise<QueueCounts> {
      const counts = await bull.getJobCounts('waiting', 'prioritized', 'delayed', 'active');
      return { waiting: (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.delayed ?? 0), active: counts.active ?? 0 };
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      for (const handle of [...handles]) handle.abandon();
      followers.clear();
      await bull.close().catch(() => undefined);
      await Promise.all([quit(subscriber), quit(commands)]);
    },
  };
}

/** An async iterator over every event of a call, read from Redis from its first. */
function replay(followers: CallFollowers, id: string): AsyncIterableIterator<QueuedCallEvent> {
  const events: QueuedCallEvent[] = [];
  let failure: unknown;
  let done = false;
  let wake: (() => void) | undefined;
  const stop = followers.follow(
    id,
    (stored) => {
      events.push(publicEvent(stored));
      if (stored.final) done = true;
      wake?.();
    },
    (error) => {
      failure = error;
      done = true;
      wake?.();
    },
  );
  return (async function* (): AsyncGenerator<QueuedCallEvent> {
    try {
      for (;;) {
        const event = events.shift();
        if (event) {
          yield event;
          continue;
        }
        if (done) {
          if (failure !== undefined) throw failure;
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      stop();
    }
  })();
}

/** Closes a client, politely if it is connected. */
export async function quit(client: IORedis): Promise<void> {
  if (client.status === 'end') return;
  if (client.status !== 'ready') {
    client.disconnect();
    return;
  }
  await client.quit().catch(() => client.disconnect());
}

function queueName(name: unknown): string {
  if (typeof name !== 'string' || !/^[A-Za-z0-9_.-]{1,100}$/.test(name))
    throw new InvalidRequestError('name', `name must be 1 to 100 letters, digits, '_', '.' or '-', got ${JSON.stringify(name)}.`);
  return name;
}

/** An optional integer option, checked, or its default. */
export function count(option: string, value: unknown, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min)
    throw new InvalidRequestError(option, `${option} must be an integer >= ${min}, got ${String(value)}.`);
  return value;
}
