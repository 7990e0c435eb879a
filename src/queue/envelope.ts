/**
 * The request envelope: what a job carries on the queue. Plain JSON, versioned, and one shape for every
 * kind of work:
 *
 * ```json
 * { "v": 1, "kind": "invoke", "request": { "language": "python", "code": "…", "args": [1, {"$bigint": "2"}] }, "retries": 1 }
 * ```
 *
 * `kind` names what the worker does with `request`: `invoke` is `executor.invoke(request)`. A new kind
 * (`run`, a script with stdin/argv/env) adds a value of `kind` and its own request fields; the envelope,
 * the events and the result keep their shape, and a worker that does not know a kind ends such a call
 * with `InvalidRequestError` (field `kind`) instead of running it wrongly.
 */
import { InvalidRequestError, type ExecutionRequest } from '../index.js';
import { QueueRequestTooLargeError } from './errors.js';
import { decodeQueueValue, encodeQueueValue, type QueueJson } from './wire-json.js';

/** Version of the envelope's format. */
export const ENVELOPE_VERSION = 1;

/** What the queue carries for one call. */
export interface QueueEnvelope {
  v: typeof ENVELOPE_VERSION;
  /** What the worker does: `invoke` (a function call). Other kinds may be added without changing the envelope. */
  kind: 'invoke';
  /** The request's fields, values in queue JSON. */
  request: Record<string, QueueJson>;
  /** How many times the call may start again after its worker was lost. */
  retries: number;
}

/**
 * How each field of a request travels: `true` as data, or why it cannot (functions and signals stay in
 * the submitting process). `satisfies` makes TypeScript fail until a new request field is listed here.
 */
const FIELDS = {
  language: true,
  code: true,
  runtime: true,
  functionName: true,
  args: true,
  kwargs: true,
  timeoutMs: true,
  stdin: true,
  memoryLimitMb: true,
  maxOutputBytes: true,
  maxResultBytes: true,
  files: true,
  mounts: true,
  permissions: true,
  sync: true,
  returnFileContents: true,
  deterministic: true,
  validateArgs: true,
  env: true,
  argv: true,
  kind: true,
  signal: 'an AbortSignal cannot travel on a queue: call handle.cancel() instead',
  onStdout: "a function cannot travel on a queue: listen to the handle's 'output' events instead",
  onStderr: "a function cannot travel on a queue: listen to the handle's 'output' events instead",
  beforeSync: 'a function cannot travel on a queue: the worker writes files back by the permissions and sync options alone',
  afterSync: "a function cannot travel on a queue: read result.files.sync from the call's result instead",
  compileTimeoutMs: true,
  onPhase: 'a function cannot travel on a queue: phase events stay in the worker process',
  packages: "packages are host paths, which the queue's clients do not choose: define a template with them on the workers' executor and name it with template",
  template: true,
} satisfies Record<keyof ExecutionRequest, true | string>;

/** Options of {@link encodeEnvelope}. */
export interface EnvelopeOptions {
  retries: number;
  maxRequestBytes: number;
  allowMounts: boolean;
}

/**
 * Checks a request and encodes it for the queue.
 *
 * @throws InvalidRequestError for a field that cannot travel (functions, signals), an unknown field,
 *   `sync.mode: 'manual'`, or mounts on a queue that does not allow them
 * @throws UnserializableValueError for a value that cannot travel
 * @throws QueueRequestTooLargeError over `maxRequestBytes`
 */
export function encodeEnvelope(request: ExecutionRequest, options: EnvelopeOptions): { envelope: QueueEnvelope; bytes: number } {
  if (request === null || typeof request !== 'object' || Array.isArray(request)) throw new InvalidRequestError('request', 'The request must be an object.');
  const encoded: Record<string, QueueJson> = {};
  for (const [key, value] of Object.entries(request)) {
    const how = (FIELDS as Record<string, true | string>)[key];
    if (how === undefined) throw new InvalidRequestError(key, `Unknown request field ${JSON.stringify(key)}.`);
    if (value === undefined) continue;
    if (how !== true) throw new InvalidRequestError(key, `${key}: ${how}.`);
    if (key === 'mounts' && !options.allowMounts) {
      throw new InvalidRequestError(
        'mounts',
        "mounts are refused on this queue: a worker's disk is not the submitter's. Send the files inline (files), or create the queue with allowMounts: true and give the workers allowedMountRoots.",
      );
    }
    if (key === 'sync' && (value as { mode?: unknown } | null)?.mode === 'manual') {
      throw new InvalidRequestError(
        'sync.mode',
        "sync.mode 'manual' needs the result object in the worker's process; use 'auto', 'none' or dryRun on a queue.",
      );
    }
    if (key === 'deterministic' && value !== null && typeof value === 'object' && (value as { now?: unknown }).now instanceof Date) {
      encoded[key] = encodeQueueValue({ ...value, now: (value as { now: Date }).now.getTime() }, key);
      continue;
    }
    encoded[key] = encodeQueueValue(value, key);
  }
  const envelope: QueueEnvelope = { v: ENVELOPE_VERSION, kind: 'invoke', request: encoded, retries: options.retries };
  const bytes = Buffer.byteLength(JSON.stringify(envelope));
  if (bytes > options.maxRequestBytes) throw new QueueRequestTooLargeError(bytes, options.maxRequestBytes);
  return { envelope, bytes };
}

/**
 * The request of an envelope, as the worker runs it.
 *
 * @throws InvalidRequestError for an envelope of another version or kind than this worker knows
 */
export function decodeEnvelope(data: unknown): { kind: 'invoke'; request: ExecutionRequest; retries: number } {
  const envelope = data as Partial<QueueEnvelope> | null;
  if (envelope === null || typeof envelope !== 'object' || envelope.v !== ENVELOPE_VERSION) {
    throw new InvalidRequestError(
      'v',
      `This worker reads request envelopes of version ${ENVELOPE_VERSION}, got ${JSON.stringify((envelope as { v?: unknown } | null)?.v)}; run workers of the same version as the submitters.`,
    );
  }
  if (envelope.kind !== 'invoke') {
    throw new InvalidRequestError('kind', `This worker does not run requests of kind ${JSON.stringify(envelope.kind)} (it knows: invoke); update the workers.`);
  }
  const request: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(envelope.request ?? {})) {
    if ((FIELDS as Record<string, true | string>)[key] !== true)
      throw new InvalidRequestError(key, `The request field ${JSON.stringify(key)} cannot be run from a queue.`);
    request[key] = decodeQueueValue(value);
  }
  return { kind: 'invoke', request: request as unknown as ExecutionRequest, retries: typeof envelope.retries === 'number' ? envelope.retries : 0 };
}
