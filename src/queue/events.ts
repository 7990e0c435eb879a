/**
 * A call's events: as stored in its Redis stream (plain JSON) and as given to users (values decoded,
 * errors rebuilt as the library's classes).
 */
import * as library from '../index.js';
import type { ExecutionResult, Language, LanguageInput } from '../index.js';
import { languageFor } from '../languages/registry.js';
import * as queueErrors from './errors.js';
import { decodeQueueValue, encodeQueueValue, type QueueJson } from './wire-json.js';

/** One attempt to run a call: a worker claimed it. */
export interface QueueAttempt {
  /** 1 for the first attempt. */
  attempt: number;
  /** The worker that ran it (`hostname:pid:…`, see `createExecutionWorker({ workerName })`). */
  worker: string;
  /** When it started, in ms since the epoch (Redis's clock). */
  startedAt: number;
}

/** Where and how often a queued call ran, attached to its result. */
export interface QueueRunInfo {
  /** The call's id on the queue (also the result's `id`). */
  callId: string;
  /**
   * The attempt that produced this result: 1 unless a worker was lost while running the call. Greater
   * than 1 means the call started more than once; an earlier attempt may have run partly or fully (its
   * output is in the call's events), but only this one's result counts.
   */
  attempt: number;
  /** Every attempt that started, in order, this one included. Empty when the call ended without running. */
  attempts: QueueAttempt[];
  /** The worker that produced this result (undefined when the call ended without running). */
  worker?: string;
  /** Milliseconds from submission to the start of this attempt. */
  queuedMs: number;
}

/** The result of a call run through the queue: the library's result, plus where and how often it ran. */
export type QueuedExecutionResult<T = unknown> = ExecutionResult<T> & { queue: QueueRunInfo };

/** An event of a queued call, in the order it happened. */
export type QueuedCallEvent =
  | {
      /** The call was accepted by the queue. */
      type: 'queued';
      /** Submission time, ms since the epoch (Redis's clock). */
      at: number;
    }
  | {
      /** A worker started the call (again, when `attempt` > 1: the previous worker was lost). */
      type: 'start';
      attempt: number;
      worker: string;
      at: number;
    }
  | {
      /** Output of the attempt, in the order it was written. */
      type: 'output';
      stream: 'stdout' | 'stderr';
      data: string;
      attempt: number;
    }
  | {
      /** The last event when the call produced a result (of any status but `cancelled`). */
      type: 'result';
      result: QueuedExecutionResult;
    }
  | {
      /**
       * The last event when the call was refused (bad request: the error `invoke()` would have thrown) or
       * cancelled (`ExecutionCancelledError`, whose `result` says what ran).
       */
      type: 'failed';
      error: library.SandboxError;
    };

/** An event as stored: JSON, with the stream entry id it got. */
export type StoredEvent = { entryId: string; final?: boolean } & (
  | { type: 'queued'; at: number }
  | { type: 'start'; attempt: number; worker: string; at: number }
  | { type: 'output'; stream: 'stdout' | 'stderr'; data: string; attempt: number }
  | { type: 'result'; result: QueueJson }
  | { type: 'failed'; error: StoredError }
);

/** An error as stored: its class name, code, message and fields. */
export interface StoredError {
  name: string;
  code: string;
  message: string;
  fields: Record<string, QueueJson>;
}

/** The stored form of an event (without its entry id). */
export function storedResult(result: QueuedExecutionResult): { type: 'result'; result: QueueJson; final: true } {
  return { type: 'result', result: encodeResult(result), final: true };
}

export function storedFailure(error: unknown): { type: 'failed'; error: StoredError; final: true } {
  return { type: 'failed', error: storeError(error), final: true };
}

/** A result as JSON: values tagged, and no functions (a pending sync cannot travel). */
function encodeResult(result: ExecutionResult): QueueJson {
  const { files, ...rest } = result;
  const plain: Record<string, unknown> = { ...rest };
  if (files) {
    const { pending: _pending, ...report } = files;
    plain.files = report;
  }
  return encodeQueueValue(plain, 'result');
}

function storeError(error: unknown): StoredError {
  if (!(error instanceof library.SandboxError)) {
    const message = error instanceof Error ? error.message : String(error);
    return { name: 'SandboxError', code: 'WORKER_ERROR', message: `The worker failed to run the call: ${message}`, fields: {} };
  }
  const fields: Record<string, QueueJson> = {};
  for (const [key, value] of Object.entries(error)) {
    if (key === 'name' || key === 'code' || key === 'message' || key === 'stack') continue;
    if (key === 'result') fields.result = encodeResult(value as ExecutionResult);
    else {
      try {
        fields[key] = encodeQueueValue(value, key);
      } catch {
        // A field that cannot travel (a cause object) is left out; the message says what happened.
      }
    }
  }
  return { name: error.name, code: error.code, message: error.message, fields };
}

/** The error classes a stored error can be rebuilt as, by name. */
const ERROR_CLASSES: Record<string, unknown> = { ...library, ...queueErrors };

/** Rebuilds a stored error as an instance of the library's class of the same name (`SandboxError` for any other). */
export function rebuildError(stored: StoredError): library.SandboxError {
  const candidate = ERROR_CLASSES[stored.name];
  const errorClass = typeof candidate === 'function' && candidate.prototype instanceof library.SandboxError ? candidate : library.SandboxError;
  // Made without running the class's constructor, whose arguments differ per class: the fields are copied.
  const error = Reflect.construct(Error, [stored.message], errorClass as new () => Error) as library.SandboxError;
  for (const [key, value] of Object.entries(stored.fields)) {
    Object.defineProperty(error, key, {
      value: key === 'result' ? decodeResult(value) : decodeQueueValue(value),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  Object.defineProperty(error, 'name', {
    value: errorClass === library.SandboxError ? 'SandboxError' : stored.name,
    enumerable: false,
    writable: true,
    configurable: true,
  });
  Object.defineProperty(error, 'code', { value: stored.code, enumerable: true, writable: false, configurable: true });
  return error;
}

export function decodeResult(json: QueueJson): QueuedExecutionResult {
  return decodeQueueValue(json) as QueuedExecutionResult;
}

/** The user-facing form of a stored event. */
export function publicEvent(stored: StoredEvent): QueuedCallEvent {
  switch (stored.type) {
    case 'queued':
      return { type: 'queued', at: stored.at };
    case 'start':
      return { type: 'start', attempt: stored.attempt, worker: stored.worker, at: stored.at };
    case 'output':
      return { type: 'output', stream: stored.stream, data: stored.data, attempt: stored.attempt };
    case 'result':
      return { type: 'result', result: decodeResult(stored.result) };
    case 'failed':
      return { type: 'failed', error: rebuildError(stored.error) };
  }
}

/** The language a request names, for results of calls that never ran (aliases resolved, any letter case). */
export function languageOf(input: LanguageInput | unknown): Language {
  try {
    return languageFor(input).id;
  } catch {
    // Not a language: the result says what the request said.
    return (typeof input === 'string' ? input.trim().toLowerCase() : '') as Language;
  }
}

/** A result for a call that ended without running (or whose run was lost): no output, no usage. */
export function emptyResult(fields: {
  id: string;
  status: ExecutionResult['status'];
  error?: ExecutionResult['error'];
  language: unknown;
  functionName: unknown;
  queue: QueueRunInfo;
}): QueuedExecutionResult {
  return {
    id: fields.id,
    status: fields.status,
    stdout: '',
    stderr: '',
    exitCode: null,
    durationMs: 0,
    ...(fields.error ? { error: fields.error } : {}),
    usage: {
      wallMs: 0,
      queueMs: fields.queue.queuedMs,
      peakMemoryBytes: 0,
      stdoutBytes: 0,
      stderrBytes: 0,
      filesWritten: 0,
      bytesWritten: 0,
      prestarted: false,
    },
    language: languageOf(fields.language),
    functionName: typeof fields.functionName === 'string' ? fields.functionName : '',
    queue: fields.queue,
  };
}
