/**
 * HTTP adapter: runs requests over HTTP (Node's own `http` module) and streams live output over
 * Server-Sent Events.
 *
 * - `POST {base}/exec`: runs a request; answers with the result (`?wait=false`: answers 202 with the id
 *   at once and runs in the background).
 * - `GET {base}/exec/{id}/events`: `execution-phase` and `execution-output` events while the call runs,
 *   then `execution-complete` (or `execution-failed`); a late follower gets what happened so far first.
 * - `POST {base}/describe`, `GET {base}/languages`, `GET {base}/health`.
 * - `GET {base}/templates`: the templates requests may name (`template`); only the operator defines them
 *   (`templates` option, `serve --templates`), never a client.
 *
 * Safe to expose (see docs/server.md): HTTP clients are not trusted. Every request is checked for its
 * Host, Origin and token (request-guard.ts); limits a client chooses are capped by the server's ceilings
 * and mounts by the server's policy per folder (request-limits.ts); calls are admitted up to a bound
 * (job-slots.ts); connections are capped and timed out.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { availableParallelism } from 'node:os';
import type { AddressInfo } from 'node:net';
import { basename } from 'node:path';
import {
  ExecutorClosedError,
  InvalidRequestError,
  PayloadTooLargeError,
  QueueFullError,
  SandboxError,
  SessionClosedError,
  SessionLimitError,
} from '../errors.js';
import { ExecutionCancelledError } from '../result/execution-errors.js';
import { SandboxExecutor } from '../executor.js';
import { SUPPORTED_LANGUAGES } from '../languages/registry.js';
import { decodeWireJson } from '../protocol/wire-value.js';
import { ExecutionLog, type ExecutionEvent } from './execution-log.js';
import { HttpError } from './http-error.js';
import { JobSlots } from './job-slots.js';
import { errorToJson } from './json-result.js';
import { isLoopback, RequestGuard, requireJsonBody } from './request-guard.js';
import type { MountRoot } from '../fs/fs-types.js';
import type { TemplateDefinition, TemplateInfo } from '../types.js';
import { MountRootMatcher, resolveMountRoots } from '../fs/mount-roots.js';
import { checkRequest, type RequestCeilings } from './request-limits.js';
import { execThroughQueue, followQueuedCall } from './queue-routes.js';
import { ServerRuns, type RunHooks, type RunStart, type ServerRun } from './server-runs.js';
import { HttpSessions } from './http-sessions.js';
import { WsEndpoint } from './ws-endpoint.js';
import type { ExecutionQueue } from '../queue/index.js';
import { PlaygroundSite } from './playground-site.js';
import type { StartRequest } from '../types.js';

export type { MountRoot } from '../fs/fs-types.js';

const MIB = 1024 * 1024;

/** Options of {@link createSandboxServer}. */
export interface SandboxServerOptions {
  /** The executor that runs requests (default: a new one, closed with the server). */
  executor?: SandboxExecutor;
  /**
   * Run calls on a queue's workers instead of in this process (`sandbox-executor/queue`): `POST /exec`
   * submits, and any server of the same queue answers `/exec/{id}/events` for any call. The server does
   * not close the queue. Mounts are then the workers' business (their `allowedMountRoots`), so
   * `allowedMountRoots` cannot be set here.
   */
  queue?: ExecutionQueue;
  /** Path prefix of every route (default `/api/sandbox`). */
  basePath?: string;
  /**
   * A secret every request must send as `Authorization: Bearer <token>` (401 otherwise), or a list of
   * them, one per client: each token is an identity, and the sessions and runs a client starts belong to
   * its token (others get 404). Required to listen on an address other than loopback, unless `insecure`
   * is set.
   */
  token?: string | readonly string[];
  /** Let `listen()` use an address other than loopback without a token. */
  insecure?: boolean;
  /**
   * Host names accepted in the `Host` header besides the address the request came in on (and
   * `localhost` on loopback), for example the name of a reverse proxy. `'*'` accepts any (only behind
   * a proxy that checks it). Others get 403: this is what stops DNS rebinding.
   */
  allowedHosts?: readonly string[];
  /**
   * Origins (`https://app.example.com`) whose web pages may call the server; they get CORS headers.
   * A request with any other `Origin` header gets 403. Default: none.
   */
  allowedOrigins?: readonly string[];
  /** Largest accepted request body in bytes (default 1 MiB); larger ones get 413. */
  maxBodyBytes?: number;
  /** Cap on a request's `timeoutMs`, also its default (default 30 000). Larger values are lowered to it. */
  maxTimeoutMs?: number;
  /** Largest `memoryLimitMb` a request may ask for (default 1024); more is refused with 400. */
  maxMemoryLimitMb?: number;
  /** Largest `maxOutputBytes` a request may ask for (default 16 MiB); more is refused with 400. */
  maxOutputBytes?: number;
  /**
   * Largest total of a request's `files`, and largest `maxTotalBytes`/`maxFileBytes` of its mounts
   * (default 256 MiB); more is refused with 400. A mount without `maxTotalBytes` gets the library's
   * 128 MiB or this, whichever is smaller.
   */
  maxFsBytes?: number;
  /** Calls run at once (default: the executor's pool size, or the number of CPU cores). */
  maxConcurrentJobs?: number;
  /** Calls that may wait for their turn (default 32); one more is refused at once with 503. */
  maxPendingJobs?: number;
  /**
   * Host folders under which requests may mount directories, each a path (read-only) or
   * `{ path, operations }` listing what calls may do there. Default: none, and any request with
   * `mounts` is refused with 403.
   */
  allowedMountRoots?: readonly (string | MountRoot)[];
  /** How long a finished execution can still be followed, in ms (default 60 000). */
  retainMs?: number;
  /** Most time a client may take to send its request headers, in ms (default 10 000). */
  headersTimeoutMs?: number;
  /** Most time a client may take to send its whole request, in ms (default 30 000). */
  requestTimeoutMs?: number;
  /** Most open connections, WebSockets included; more are closed at once (default 256). */
  maxConnections?: number;
  /**
   * Serve the web playground (a page to edit code and watch it run) at `playgroundPath`. The page is
   * public; the API calls it makes carry the token and pass every check. Default false (`serve`: true).
   */
  playground?: boolean;
  /** Where the playground is served (default `/`); it must lie outside `basePath`. */
  playgroundPath?: string;
  /**
   * Largest WebSocket message in bytes (default: `maxBodyBytes`). A larger one gets an `error` message
   * (`MESSAGE_TOO_LARGE`); one over twice this closes the socket (code 1009).
   */
  maxMessageBytes?: number;
  /** Runs one WebSocket may have at once (default 4); each also takes one of the server's job slots. */
  maxRunsPerSocket?: number;
  /** Sessions (and contexts) open at once through `POST /sessions` (default 16); one more gets 503. */
  maxSessions?: number;
  /** Sessions one token may have open at once (default 4); one more gets 429. */
  maxSessionsPerToken?: number;
  /** Longest `maxLifetimeMs` of a session, also its default, in ms (default 3 600 000); more is refused with 400. */
  maxSessionLifetimeMs?: number;
  /** Longest `idleTimeoutMs` of a session, in ms (default 600 000; the default idle timeout is 60 000 or this); more is refused with 400. */
  maxSessionIdleMs?: number;
  /**
   * Templates defined on the executor when the server starts (`listen()` waits for them, and rejects with
   * PackageError for a package that cannot be used). Requests name them with `template`; clients can
   * neither define templates nor send `packages` (host paths are the operator's).
   */
  templates?: Readonly<Record<string, TemplateDefinition>>;
}

/** A running (or ready to run) HTTP adapter. */
export interface SandboxServer {
  /** The underlying Node server. */
  readonly http: Server;
  /**
   * Starts listening (default host 127.0.0.1) and resolves with the bound address.
   *
   * @throws InvalidRequestError for an address other than loopback without `token` (or `insecure`)
   */
  listen(port?: number, host?: string): Promise<AddressInfo>;
  /** Stops accepting connections, ends open event streams, and closes the executor it created. */
  close(): Promise<void>;
}

/** Creates the HTTP adapter. */
export function createSandboxServer(options: SandboxServerOptions = {}): SandboxServer {
  const ownsExecutor = options.executor === undefined;
  const executor = options.executor ?? new SandboxExecutor();
  const base = (options.basePath ?? '/api/sandbox').replace(/\/$/, '');
  const maxBodyBytes = positive('maxBodyBytes', options.maxBodyBytes, MIB);
  const ceilings: RequestCeilings = {
    maxTimeoutMs: positive('maxTimeoutMs', options.maxTimeoutMs, 30_000),
    maxMemoryLimitMb: positive('maxMemoryLimitMb', options.maxMemoryLimitMb, 1024),
    maxOutputBytes: positive('maxOutputBytes', options.maxOutputBytes, 16 * MIB),
    maxFsBytes: positive('maxFsBytes', options.maxFsBytes, 256 * MIB),
  };
  const mountRoots = new MountRootMatcher(resolveMountRoots(options.allowedMountRoots));
  const queue = options.queue;
  if (queue !== undefined && mountRoots.roots.length > 0) {
    throw new InvalidRequestError(
      'allowedMountRoots',
      "allowedMountRoots name this server's folders, but with a queue calls run on the workers: give the workers allowedMountRoots and the queue allowMounts: true.",
    );
  }
  const guard = new RequestGuard(options);
  const slots = new JobSlots(
    positive('maxConcurrentJobs', options.maxConcurrentJobs, executor.status().poolSize || availableParallelism()),
    positive('maxPendingJobs', options.maxPendingJobs, 32, 0),
  );
  const log = new ExecutionLog(options.retainMs ?? 60_000, 4 * MIB);
  const playground = options.playground ? new PlaygroundSite(options.playgroundPath ?? '/', base) : undefined;
  const runs = new ServerRuns(slots, log);
  const sessions = new HttpSessions(executor, ceilings, {
    maxSessions: positive('maxSessions', options.maxSessions, 16),
    maxSessionsPerToken: positive('maxSessionsPerToken', options.maxSessionsPerToken, 4),
    maxSessionLifetimeMs: positive('maxSessionLifetimeMs', options.maxSessionLifetimeMs, 3_600_000),
    maxSessionIdleMs: positive('maxSessionIdleMs', options.maxSessionIdleMs, 600_000),
  });
  const sockets = new WsEndpoint({
    path: `${base}/ws`,
    guard,
    runs,
    log,
    checkRequest: (body) => checkRequest(body, ceilings, mountRoots),
    begin: (request) => (hooks) => startExecution(executor, request, hooks),
    beginInSession: (sessionId, identity, { language: _language, ...body }) => sessions.beginExec(sessionId, identity, body),
    unavailable: queue ? 'This server runs calls on a queue: use POST /exec and its /events stream.' : undefined,
    maxMessageBytes: positive('maxMessageBytes', options.maxMessageBytes, maxBodyBytes),
    maxRunsPerSocket: positive('maxRunsPerSocket', options.maxRunsPerSocket, 4),
    // A client may fall behind by a few runs' worth of output before it is cut.
    maxBufferedBytes: 4 * ceilings.maxOutputBytes,
  });
  const templatesReady = Promise.all(Object.entries(options.templates ?? {}).map(([name, definition]) => executor.defineTemplate(name, definition)));
  // Awaited by listen() and by every request; a failure is reported there.
  templatesReady.catch(() => undefined);
  const streams = new Set<ServerResponse>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      throw new HttpError(400, 'BAD_REQUEST', 'The request target is not a valid URL.');
    }
    // The page is public (it holds no secret); the API it calls is not.
    if (playground && url.pathname !== base && !url.pathname.startsWith(`${base}/`) && playground.serve(req, res, url.pathname)) return;
    const verdict = guard.check(req);
    if (verdict.corsOrigin !== undefined) {
      res.setHeader('access-control-allow-origin', verdict.corsOrigin);
      res.setHeader('vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      // A browser's preflight, for an origin allowed above.
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, DELETE',
        'access-control-allow-headers': 'content-type, authorization',
        'access-control-max-age': '600',
      });
      res.end();
      return;
    }
    const path = url.pathname;
    if (!path.startsWith(`${base}/`)) throw new HttpError(404, 'NOT_FOUND', `No route ${path}.`);
    const route = path.slice(base.length);

    if (route === '/health') return sendJson(res, 200, queue ? { ok: true, queue: await queue.counts() } : { ok: true, status: executor.status() }, req.method);
    if (route === '/languages') return sendJson(res, 200, { languages: SUPPORTED_LANGUAGES }, req.method);
    await templatesReady;
    if (route === '/templates') {
      requireMethod(req, 'GET');
      return sendJson(res, 200, { templates: executor.templates().map(publicTemplate) }, req.method);
    }
    if (route === '/describe') {
      requireMethod(req, 'POST');
      requireJsonBody(req);
      const body = await readJson(req, maxBodyBytes);
      return sendJson(res, 200, executor.describe(body as Parameters<typeof executor.describe>[0]));
    }
    if (route === '/exec') {
      requireMethod(req, 'POST');
      requireJsonBody(req);
      const request = await checkRequest(await readJson(req, maxBodyBytes), ceilings, mountRoots, queue !== undefined);
      const background = url.searchParams.get('wait') === 'false';
      if (queue) {
        if (request.kind === 'script') {
          throw new InvalidRequestError(
            'functionName',
            "This server runs calls on a queue, whose workers call functions: name the function (functionName), or send kind 'call'.",
          );
        }
        const { kind: _kind, ...call } = request;
        const answer = await execThroughQueue(queue, call, background, res, (id) => `${base}/exec/${encodeURIComponent(id)}/events`);
        return sendJson(res, answer.status, answer.body);
      }
      // Refused now (503), while the client is still waiting for an answer, rather than accepted and failed later.
      return respondWithRun(
        runs.start(verdict.identity, (hooks) => startExecution(executor, request, hooks), false),
        url,
        res,
      );
    }
    if (route === '/sessions') {
      requireMethod(req, 'POST');
      requireJsonBody(req);
      if (queue) throw new HttpError(501, 'NOT_IMPLEMENTED', 'This server runs calls on a queue, whose workers keep no sessions.');
      return sendJson(res, 201, await sessions.create(verdict.identity, await readJson(req, maxBodyBytes)));
    }
    const session = /^\/sessions\/([^/]+)(\/exec)?$/.exec(route);
    if (session) {
      const id = decodePathPart(session[1]);
      if (session[2] === undefined) {
        if (req.method === 'DELETE') {
          await sessions.delete(id, verdict.identity);
          res.writeHead(204, { 'cache-control': 'no-store' });
          res.end();
          return;
        }
        requireMethod(req, 'GET');
        return sendJson(res, 200, sessions.get(id, verdict.identity));
      }
      requireMethod(req, 'POST');
      requireJsonBody(req);
      const begin = sessions.beginExec(id, verdict.identity, await readJson(req, maxBodyBytes));
      return respondWithRun(runs.start(verdict.identity, begin, false), url, res);
    }
    const events = /^\/exec\/([^/]+)\/events$/.exec(route);
    if (events) {
      requireMethod(req, 'GET');
      const id = decodePathPart(events[1]);
      if (queue) return followQueuedCall(queue, id, res, streams);
      if (!log.has(id, verdict.identity)) throw new HttpError(404, 'EXECUTION_NOT_FOUND', `No execution ${id} (it may have ended more than a while ago).`);
      return followEvents(res, id);
    }
    throw new HttpError(404, 'NOT_FOUND', `No route ${path}.`);
  };

  /** Answers with a run's result, or at once with its id (`?wait=false`); a client that leaves cancels it. */
  const respondWithRun = async (run: ServerRun, url: URL, res: ServerResponse): Promise<void> => {
    if (url.searchParams.get('wait') === 'false') return sendJson(res, 202, { id: run.id, events: `${base}/exec/${run.id}/events` });
    // A client that goes away while waiting does not need its run any more.
    const onClose = (): void => {
      if (!res.writableFinished) run.cancel('the HTTP client disconnected');
    };
    res.on('close', onClose);
    try {
      return sendJson(res, 200, { id: run.id, ...(await run.done) });
    } finally {
      res.off('close', onClose);
    }
  };

  const followEvents = (res: ServerResponse, id: string): void => {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
    streams.add(res);
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    heartbeat.unref();
    // Not const: `log.follow` may replay an ending event, and so call `finish`, before it returns.
    // eslint-disable-next-line prefer-const
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
      if (type !== 'execution-output' && type !== 'execution-phase') {
        finish();
        res.end();
      }
    };
    if (log.truncated(id)) res.write(': earlier output was not kept for replay\n\n');
    stop = log.follow(id, send);
  };

  const headersTimeout = positive('headersTimeoutMs', options.headersTimeoutMs, 10_000);
  const requestTimeout = Math.max(headersTimeout, positive('requestTimeoutMs', options.requestTimeoutMs, 30_000));
  const server = createServer(
    // Node checks both timeouts every `connectionsCheckingInterval`: often enough that they hold.
    { headersTimeout, requestTimeout, connectionsCheckingInterval: Math.min(1000, headersTimeout) },
    (req, res) => {
      handle(req, res).catch((error: unknown) => {
        if (res.headersSent) {
          res.end();
          return;
        }
        if (error instanceof HttpError) for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
        sendJson(res, statusOf(error), errorToJson(error));
      });
    },
  );
  server.on('upgrade', (req, socket, head) => sockets.handleUpgrade(req, socket, head));
  server.maxConnections = positive('maxConnections', options.maxConnections, 256);

  return {
    http: server,
    listen(port = 0, host = '127.0.0.1'): Promise<AddressInfo> {
      if (!isLoopback(host) && !guard.requiresToken && options.insecure !== true) {
        return Promise.reject(
          new InvalidRequestError(
            'token',
            `Refusing to listen on ${host} without a token: anyone who can reach that address could run code on this machine. Set token (serve --token or SANDBOX_EXECUTOR_TOKEN), or insecure: true (serve --insecure) if something in front of the server already authenticates.`,
          ),
        );
      }
      return templatesReady.then(
        () =>
          new Promise((resolveListen, reject) => {
            server.once('error', reject);
            server.listen(port, host, () => {
              server.off('error', reject);
              resolveListen(server.address() as AddressInfo);
            });
          }),
      );
    },
    async close(): Promise<void> {
      runs.cancelAll('the server is closing');
      sockets.close();
      await sessions.closeAll();
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

/**
 * Starts a call or a script with the executor's `start()`, whose standard input stays open for writes
 * (the run ends it at once unless it is interactive).
 */
function startExecution(executor: SandboxExecutor, request: StartRequest, hooks: RunHooks): RunStart {
  const execution = executor.start({ ...request, ...hooks });
  // Nobody iterates the handle: draining its events keeps them from piling up while the program runs.
  void (async () => {
    try {
      for await (const _event of execution);
    } catch {
      // The result carries the failure.
    }
  })();
  return { result: execution.result, write: (data) => execution.write(data), end: () => execution.end() };
}

function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError(400, 'BAD_REQUEST', 'The id in the path is not validly escaped.');
  }
}

/** What a client may see of a template: no host paths and no environment values (they are the operator's). */
function publicTemplate(template: TemplateInfo): Record<string, unknown> {
  const shown: Record<string, unknown> = {
    name: template.name,
    language: template.language,
    packages: template.packages.map((path) => basename(path)),
    files: template.files,
    env: Object.keys(template.env),
    limits: template.limits,
  };
  if (template.setup !== undefined) shown.setup = template.setup;
  return shown;
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
  if (error instanceof QueueFullError || error instanceof ExecutorClosedError || error instanceof SessionLimitError) return 503;
  if (error instanceof SessionClosedError) return 410;
  // The queue adapter's errors, known by code (the server does not load the queue's module).
  if (error instanceof SandboxError && error.code === 'QUEUE_REQUEST_TOO_LARGE') return 413;
  if (error instanceof SandboxError && error.code === 'QUEUE_CLOSED') return 503;
  if (error instanceof ExecutionCancelledError) return 499;
  if (error instanceof SandboxError) return error.code === 'RUNTIME_UNAVAILABLE' ? 500 : 400;
  return 500;
}

/** A numeric option, checked, or its default. */
function positive(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min)
    throw new InvalidRequestError(name, `${name} must be a number >= ${min}, got ${String(value)}.`);
  return value;
}
