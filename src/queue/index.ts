/**
 * `sandbox-executor/queue`: run calls on many machines through a job queue (BullMQ on Redis). Needs the
 * optional peer dependencies `bullmq` and `ioredis`. See docs/scale-out.md.
 *
 * @packageDocumentation
 */
export { createExecutionQueue } from './execution-queue.js';
export type { ExecutionQueue, QueuedCall, ExecutionQueueOptions, QueueCounts, QueuedCallEventMap, QueueRequest, SubmitOptions } from './execution-queue.js';
export { createExecutionWorker } from './execution-worker.js';
export type { ExecutionWorker, ExecutionWorkerEvents, ExecutionWorkerOptions } from './execution-worker.js';
export type { QueueConnection } from './connection.js';
export type { QueueAttempt, QueuedCallEvent, QueuedExecutionResult, QueueRunInfo } from './events.js';
export { CallNotFoundError, QueueClosedError, QueueDependencyError, QueueRequestTooLargeError } from './errors.js';
