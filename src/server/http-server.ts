/**
 * HTTP adapter: runs requests over HTTP (Node's own `http` module) and streams live output over
 * Server-Sent Events.
 *
 * - `POST {base}/exec`: runs a request; answers with the result (`?wait=false`: answers 202 with the id
 *   at once and runs in the background).
 * - `GET {base}/exec/{id}/events`: `execution-output` events while the call runs, then
 *   `execution-complete` (or `execution-failed`); a late follower gets what happened so far first.
 * - `POST {base}/describe`, `GET {base}/languages`, `GET {base}/health`.
 *
 * Safety: bodies are size-limited, time limits are capped, and mounts are refused unless the server was
 * given roots they must lie in.
 */
import { randomUUID } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isAbsolute, relative, resolve } from 'node:path';
import {
  ExecutionCancelledError,
  ExecutorClosedError,
  InvalidRequestError,
  PayloadTooLargeError,
  QueueFullError,
  SandboxError,
} from '../errors.js';
import { SandboxExecutor } from '../executor.js';
import { SUPPORTED_LANGUAGES } from '../languages/registry.js';
import { decodeWireJson } from '../protocol/wire-value.js';
import type { ExecutionRequest } from '../types.js';
import { ExecutionLog, type ExecutionEvent } from './execution-log.js';
import { errorToJson, resultToJson } from './json-result.js';

/** Options of {@link createSandboxServer}. */
export interface SandboxServerOptions {
  /** The executor that runs requests (default: a new one, closed with the server). */
  executor?: SandboxExecutor;
  /** Path prefix of every route (default `/api/sandbox`). */
  basePath?: string;
  /** Largest accepted request body in bytes (default 1 MiB); larger ones get 413. */
  maxBodyBytes?: number;
  /** Cap on a request's `timeoutMs`, also its default (default 30 000). Larger values are lowered to it. */
  maxTimeoutMs?: number;
  /**
   * Host folders under which requests may mount directories. Default: none, and any request with
   * `mounts` is refused with 403.
   */
  allowedMountRoots?: readonly string[];
  /** How long a finished execution can still be followed, in ms (default 60 000). */
  retainMs?: number;
}

/** A running (or ready to run) HTTP adapter. */
export interface SandboxServer {
  /** The underlying Node server. */
  readonly http: Server;
  /** Starts listening (default host 127.0.0.1) and resolves with the bound address. */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting connections, ends open event streams, and closes the executor it created. */
  close(): Promise<void>;
}

/** The request fields accepted over HTTP (hooks and signals cannot travel as JSON). */
const ACCEPTED_FIELDS = new Set([
  'language',
  'code',
  'functionName',
  'args',
  'kwargs',
  'timeoutMs',
  'stdin',
  'memoryLimitMb',
  'maxOutputBytes',
  'files',
  'mounts',
  'permissions',
  'sync',
  'returnFileContents',
  'deterministic',
  'validateArgs',
]);

class HttpError extends SandboxError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

/** Creates the HTTP adapter. */
export function createSandboxServer(options: SandboxServerOptions = {}): SandboxServer {
  const ownsExecutor = options.executor === undefined;
  const executor = options.executor ?? new SandboxExecutor();
  const base = (options.basePath ?? '/api/sandbox').replace(/\/$/, '');
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  const maxTimeoutMs = options.maxTimeoutMs ?? 30_000;
  const mountRoots = (options.allowedMountRoots ?? []).map((root) => resolve(root));
  const log = new ExecutionLog(options.retainMs ?? 60_000, 4 * 1024 * 1024);
  const streams = new Set<ServerResponse>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (!path.startsWith(`${base}/`)) throw new HttpError(404, 'NOT_FOUND', `No route ${path}.`);
    const route = path.slice(base.length);

    if (route === '/health') return sendJson(res, 200, { ok: true, status: executor.status() }, req.method);
    if (route === '/languages') return sendJson(res, 200, { languages: SUPPORTED_LANGUAGES }, req.method);
    if (route === '/describe') {
      requireMethod(req, 'POST');
      const body = await readJson(req, maxBodyBytes);
      return sendJson(res, 200, executor.describe(body as Parameters<typeof executor.describe>[0]));
    }
    if (route === '/exec') {
      requireMethod(req, 'POST');
      const request = await checkRequest(await readJson(req, maxBodyBytes), maxTimeoutMs, mountRoots);
      const id = randomUUID();
      log.open(id);
      const controller = new AbortController();
      const running = executor
        .invoke({
          ...request,
          signal: controller.signal,
          onStdout: (data) => log.record({ type: 'execution-output', id, stream: 'stdout', data }),
          onStderr: (data) => log.record({ type: 'execution-output', id, stream: 'stderr', data }),
        })
        .then(
          (result) => {
            const json = resultToJson(result);
            log.record({ type: 'execution-complete', id, result: json });
            return json;
          },
          (error: unknown) => {
            log.record({ type: 'execution-failed', id, error: errorToJson(error).error });
            throw error;
          },
        );
      if (url.searchParams.get('wait') === 'false') {
        running.catch(() => undefined);
        return sendJson(res, 202, { id, events: `${base}/exec/${id}/events` });
      }
      // A client that goes away while waiting does not need its call any more.
      const onClose = (): void => {
        if (!res.writableFinished) controller.abort(new Error('the HTTP client disconnected'));
      };
      res.on('close', onClose);
      try {
        const result = await running;
        return sendJson(res, 200, { id, ...result });
      } finally {
        res.off('close', onClose);
      }
    }
    const events = /^\/exec\/([^/]+)\/events$/.exec(route);
    if (events) {
      requireMethod(req, 'GET');
      const id = decodeURIComponent(events[1]);
      if (!log.has(id)) throw new HttpError(404, 'EXECUTION_NOT_FOUND', `No execution ${id} (it may have ended more than a while ago).`);
      return followEvents(res, id);
    }
    throw new HttpError(404, 'NOT_FOUND', `No route ${path}.`);
  };

  const followEvents = (res: ServerResponse, id: string): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    streams.add(res);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    heartbeat.unref();
    let stop: (() => void) | undefined;
    const finish = (): void => {
      clearInterval(heartbeat);
      stop?.();
      streams.delete(res);
    };
    res.on('close', finish);
    const send = (event: ExecutionEvent): void => {
      const { type, ...data } = event;
      res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      if (type !== 'execution-output') {
        finish();
        res.end();
      }
    };
    if (log.truncated(id)) res.write(': earlier output was not kept for replay\n\n');
    stop = log.follow(id, send);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.end();
        return;
      }
      sendJson(res, statusOf(error), errorToJson(error));
    });
  });

  return {
    http: server,
    listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
      return new Promise((resolveListen, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolveListen(server.address() as AddressInfo);
        });
      });
    },
    async close(): Promise<void> {
      for (const res of streams) res.end();
      streams.clear();
      log.clear();
      await new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      });
      if (ownsExecutor) await executor.close();
    },
  };
}

/** Takes the accepted fields of a JSON body and applies the server's limits. */
async function checkRequest(body: unknown, maxTimeoutMs: number, mountRoots: readonly string[]): Promise<ExecutionRequest> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequestError('request', 'The body must be a JSON object.');
  const request: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!ACCEPTED_FIELDS.has(key)) throw new InvalidRequestError(key, `Unknown field ${JSON.stringify(key)}.`);
    request[key] = value;
  }
  const timeoutMs = request.timeoutMs;
  if (timeoutMs === undefined || (typeof timeoutMs === 'number' && timeoutMs > maxTimeoutMs)) request.timeoutMs = maxTimeoutMs;
  const sync = request.sync as { mode?: string } | undefined;
  if (sync && typeof sync === 'object' && sync.mode === 'manual') {
    throw new InvalidRequestError('sync.mode', "sync.mode 'manual' needs the result object in the same process; use 'auto', 'none' or dryRun over HTTP.");
  }
  if (request.mounts !== undefined) {
    if (mountRoots.length === 0) throw new HttpError(403, 'MOUNT_NOT_ALLOWED', 'This server does not allow mounts.');
    if (!Array.isArray(request.mounts)) throw new InvalidRequestError('mounts', 'mounts must be an array.');
    const realRoots = await Promise.all(mountRoots.map((root) => realpath(root).catch(() => root)));
    for (const [index, mount] of (request.mounts as { hostPath?: unknown }[]).entries()) {
      if (typeof mount?.hostPath !== 'string') throw new InvalidRequestError(`mounts[${index}].hostPath`, 'hostPath must be a string.');
      const real = await realpath(mount.hostPath).catch(() => undefined);
      const inside = real !== undefined && realRoots.some((root) => within(real, root));
      if (!inside) throw new HttpError(403, 'MOUNT_NOT_ALLOWED', `mounts[${index}].hostPath is not inside a folder this server allows.`);
      mount.hostPath = real;
    }
  }
  return request as unknown as ExecutionRequest;
}

function within(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}

function requireMethod(req: IncomingMessage, method: string): void {
  if (req.method !== method) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `Use ${method}.`);
}

/** Reads a JSON body (wire tags such as `{"$bigint": "…"}` are decoded) within a size limit. */
async function readJson(req: IncomingMessage, limit: number): Promise<unknown> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw new PayloadTooLargeError(declared, limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > limit) throw new PayloadTooLargeError(size, limit);
    chunks.push(chunk as Buffer);
  }
  try {
    return decodeWireJson(Buffer.concat(chunks).toString('utf8'));
  } catch (error) {
    throw new InvalidRequestError('body', `The body is not valid JSON: ${(error as Error).message}`);
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, method = 'GET'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(method === 'HEAD' ? undefined : text);
}

function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (error instanceof PayloadTooLargeError) return 413;
  if (error instanceof QueueFullError || error instanceof ExecutorClosedError) return 503;
  if (error instanceof ExecutionCancelledError) return 499;
  if (error instanceof SandboxError) return error.code === 'RUNTIME_UNAVAILABLE' ? 500 : 400;
  return 500;
}
