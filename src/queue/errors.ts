/**
 * Errors of the queue adapter. Like every error of the library they extend `SandboxError`: `name` is the
 * class name, `code` is stable, and `instanceof` holds across the ESM and CommonJS builds.
 */
import { SandboxError } from '../index.js';

/** `bullmq` or `ioredis`, which the queue adapter needs and which are optional peer dependencies, is not installed. */
export class QueueDependencyError extends SandboxError {
  /** The packages that could not be loaded. */
  readonly missing: readonly string[];

  constructor(missing: readonly string[], options?: { cause?: unknown }) {
    super(
      'QUEUE_DEPENDENCY_MISSING',
      `sandbox-executor/queue needs the packages bullmq and ioredis (optional peer dependencies); ${missing.join(' and ')} could not be loaded. Install them in your project: npm install bullmq@^6.7.0 ioredis@^6.0.0`,
      options,
    );
    this.missing = missing;
  }
}

/** The encoded request is larger than the queue's `maxRequestBytes` (files travel inline on the queue). */
export class QueueRequestTooLargeError extends SandboxError {
  /** Bytes of the encoded request. */
  readonly size: number;
  /** The queue's limit. */
  readonly limit: number;

  constructor(size: number, limit: number) {
    super(
      'QUEUE_REQUEST_TOO_LARGE',
      `The request is ${size} bytes once encoded, over the queue's limit of ${limit} bytes (maxRequestBytes). Files travel inline on the queue: send fewer or smaller files, or raise maxRequestBytes.`,
    );
    this.size = size;
    this.limit = limit;
  }
}

/** No call with this id is on the queue: it never existed, or it ended more than `retainMs` ago. */
export class CallNotFoundError extends SandboxError {
  /** The id that was asked for. */
  readonly callId: string;

  constructor(callId: string) {
    super('CALL_NOT_FOUND', `No call ${JSON.stringify(callId)} on this queue: it never existed, or it ended more than retainMs ago.`);
    this.callId = callId;
  }
}

/**
 * The queue object was closed before the call ended. The call itself goes on (it is on the queue, not in
 * this object): follow it by id from another queue object with `attach(id)`.
 */
export class QueueClosedError extends SandboxError {
  constructor() {
    super('QUEUE_CLOSED', 'The queue object was closed before the call ended; the call goes on: attach(id) from another queue object to follow it.');
  }
}
