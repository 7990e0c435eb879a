/**
 * The WebSocket endpoint (`{basePath}/ws`, package `ws`): live, two-way runs on the HTTP adapter's
 * server. The messages are those of ws-protocol.ts.
 *
 * WebSocket clients are HTTP clients: the upgrade passes the same Host, Origin and token checks
 * (request-guard.ts), the token coming from the `Authorization` header, a `bearer.<token>` subprotocol
 * entry or a `token` query parameter (browsers cannot set headers on a WebSocket). Each socket may have
 * `maxRunsPerSocket` runs at once, each counted against the server's job slots like any HTTP call;
 * messages over `maxMessageBytes` are refused; a socket whose client stops reading while output piles up
 * is cut; a closed socket cancels its runs. Nothing a client sends can throw out of a handler: every
 * refusal is an `error` message with a stable code.
 */
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { SandboxError } from '../errors.js';
import { decodeWireJson } from '../protocol/wire-value.js';
import type { StartRequest } from '../types.js';
import type { ExecutionEvent, ExecutionLog } from './execution-log.js';
import { HttpError } from './http-error.js';
import { errorToJson } from './json-result.js';
import type { RequestGuard } from './request-guard.js';
import type { BeginRun, ServerRun, ServerRuns } from './server-runs.js';
import { WS_PROTOCOL, type WsErrorMessage, type WsServerMessage } from './ws-protocol.js';

/** What the endpoint needs from its server. */
export interface WsEndpointOptions {
  /** The path of the endpoint (`/api/sandbox/ws`). */
  path: string;
  guard: RequestGuard;
  runs: ServerRuns;
  log: ExecutionLog;
  /** Checks the fields of an `execute` without `sessionId` as `POST /exec` does. @throws the request errors */
  checkRequest(body: Record<string, unknown>): Promise<StartRequest>;
  /** Starts a checked request, with standard input open for `stdin-data`. */
  begin(request: StartRequest): BeginRun;
  /** How to run an `execute` in the session `sessionId` of `identity`. @throws HttpError 404 SESSION_NOT_FOUND, request errors */
  beginInSession(sessionId: string, identity: string, body: Record<string, unknown>): BeginRun;
  /** A reason to refuse every upgrade (a server in front of a queue). */
  unavailable?: string;
  maxMessageBytes: number;
  maxRunsPerSocket: number;
  /** Output waiting to be sent to one socket beyond which it is cut (its client is not reading). */
  maxBufferedBytes: number;
}

const MAX_REQUEST_ID_LENGTH = 200;

export class WsEndpoint {
  private readonly server: WebSocketServer;
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly options: WsEndpointOptions) {
    this.server = new WebSocketServer({
      noServer: true,
      // Twice the limit: a message a little over it gets an `error` message; far over it, the socket is
      // closed (1009) before the message is buffered whole.
      maxPayload: options.maxMessageBytes * 2,
      perMessageDeflate: false,
      handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
    });
  }

  /** The server's `upgrade` event: checks the request as any HTTP request, then accepts the socket. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return refuse(socket, new HttpError(400, 'BAD_REQUEST', 'The request target is not a valid URL.'));
    }
    if (url.pathname !== this.options.path) return refuse(socket, new HttpError(404, 'NOT_FOUND', `No WebSocket endpoint at ${url.pathname}.`));
    if (this.options.unavailable) return refuse(socket, new HttpError(501, 'NOT_IMPLEMENTED', this.options.unavailable));
    let identity: string;
    try {
      identity = this.options.guard.check(req, presentedToken(req, url)).identity;
    } catch (error) {
      return refuse(socket, error);
    }
    this.server.handleUpgrade(req, socket, head, (ws) => this.connect(ws, identity));
  }

  /** Closes every socket (their runs are cancelled). */
  close(): void {
    for (const ws of this.sockets) ws.terminate();
    this.sockets.clear();
    this.server.close();
  }

  private connect(ws: WebSocket, identity: string): void {
    this.sockets.add(ws);
    new Connection(ws, identity, this.options);
    ws.on('close', () => this.sockets.delete(ws));
  }
}

/** One socket: its runs, what it follows, and its messages. */
class Connection {
  /** Runs this socket started that have not ended, by id, with their requestId. */
  private readonly runs = new Map<string, { run: ServerRun; requestId: string }>();
  /** Runs being checked (counted against the per-socket cap before they have an id). */
  private checking = 0;
  /** Stops following each run this socket follows. */
  private readonly following = new Map<string, () => void>();
  private open = true;

  constructor(
    private readonly ws: WebSocket,
    private readonly identity: string,
    private readonly options: WsEndpointOptions,
  ) {
    ws.on('message', (data, isBinary) => {
      try {
        this.receive(data, isBinary);
      } catch (error) {
        // Never let a message throw out of the event handler.
        this.sendError(codeAndMessage(error));
      }
    });
    // `ws` reports protocol errors (an oversize or malformed frame) here, then closes the socket.
    ws.on('error', () => undefined);
    ws.on('close', () => {
      this.open = false;
      for (const { run } of this.runs.values()) run.cancel('the WebSocket closed');
      for (const stop of this.following.values()) stop();
      this.following.clear();
    });
  }

  private receive(data: RawData, isBinary: boolean): void {
    const size = Array.isArray(data) ? data.reduce((sum, part) => sum + part.byteLength, 0) : data.byteLength;
    if (size > this.options.maxMessageBytes) {
      return this.sendError({
        code: 'MESSAGE_TOO_LARGE',
        message: `The message has ${size} bytes; this server takes at most ${this.options.maxMessageBytes} (maxMessageBytes).`,
      });
    }
    if (isBinary) return this.sendError({ code: 'BAD_MESSAGE', message: 'Send each message as a text frame of JSON.' });
    let message: unknown;
    try {
      message = decodeWireJson(
        Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8'),
      );
    } catch (error) {
      return this.sendError({ code: 'BAD_MESSAGE', message: `The message is not valid JSON: ${(error as Error).message}` });
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      return this.sendError({ code: 'BAD_MESSAGE', message: 'A message must be a JSON object with an "event" field.' });
    }
    const fields = message as Record<string, unknown>;
    switch (fields.event) {
      case 'execute':
        this.execute(fields).catch((error: unknown) => this.sendError(codeAndMessage(error)));
        return;
      case 'stdin-data':
      case 'stdin-end':
      case 'cancel':
      case 'join':
        return this.onRun(fields.event, fields);
      default:
        return this.sendError({
          code: typeof fields.event === 'string' ? 'UNKNOWN_MESSAGE' : 'BAD_MESSAGE',
          message:
            typeof fields.event === 'string'
              ? `Unknown message ${JSON.stringify(fields.event.slice(0, 40))}: send execute, stdin-data, stdin-end, cancel or join.`
              : 'A message must have an "event" field: execute, stdin-data, stdin-end, cancel or join.',
        });
    }
  }

  private async execute(fields: Record<string, unknown>): Promise<void> {
    const { event: _event, requestId, sessionId, ...body } = fields;
    if (typeof requestId !== 'string' || requestId === '' || requestId.length > MAX_REQUEST_ID_LENGTH) {
      return this.sendError({ code: 'BAD_MESSAGE', message: `execute needs a requestId: a non-empty string of at most ${MAX_REQUEST_ID_LENGTH} characters.` });
    }
    if (this.runs.size + this.checking >= this.options.maxRunsPerSocket) {
      return this.sendError({
        code: 'TOO_MANY_RUNS',
        message: `This socket already has ${this.options.maxRunsPerSocket} runs that have not ended (maxRunsPerSocket); wait for one to complete.`,
        requestId,
      });
    }
    if (sessionId !== undefined && typeof sessionId !== 'string') {
      return this.sendError({ code: 'BAD_MESSAGE', message: 'sessionId must be a string.', requestId });
    }
    this.checking += 1;
    let begin: BeginRun;
    try {
      begin = sessionId === undefined ? this.options.begin(await this.options.checkRequest(body)) : this.options.beginInSession(sessionId, this.identity, body);
    } catch (error) {
      return this.sendError({ ...codeAndMessage(error), requestId });
    } finally {
      this.checking -= 1;
    }
    if (!this.open) return;
    let run: ServerRun;
    try {
      run = this.options.runs.start(this.identity, begin, sessionId === undefined);
    } catch (error) {
      return this.sendError({ ...codeAndMessage(error), requestId });
    }
    this.runs.set(run.id, { run, requestId });
    void run.done.catch(() => undefined).finally(() => this.runs.delete(run.id));
    this.send({ event: 'execution-started', requestId, executionId: run.id });
    this.follow(run.id);
  }

  private onRun(event: 'stdin-data' | 'stdin-end' | 'cancel' | 'join', fields: Record<string, unknown>): void {
    const { executionId } = fields;
    if (typeof executionId !== 'string' || executionId === '') {
      return this.sendError({ code: 'BAD_MESSAGE', message: `${event} needs an executionId (a string).` });
    }
    const notFound = (): void =>
      this.sendError({
        code: 'EXECUTION_NOT_FOUND',
        message: `No run ${JSON.stringify(executionId.slice(0, 80))} that this ${event === 'join' || event === 'cancel' ? 'token' : 'socket'} can use (it may have ended).`,
        executionId,
      });
    if (event === 'join') {
      if (!this.options.log.has(executionId, this.identity)) return notFound();
      if (!this.following.has(executionId)) this.follow(executionId);
      return;
    }
    if (event === 'cancel') {
      const run = this.runs.get(executionId)?.run ?? this.options.runs.get(executionId, this.identity);
      if (!run) return notFound();
      return run.cancel('cancelled by the client');
    }
    const own = this.runs.get(executionId)?.run;
    if (!own) return notFound();
    if (event === 'stdin-end') return own.end();
    if (typeof fields.data !== 'string') return this.sendError({ code: 'BAD_MESSAGE', message: 'stdin-data needs data (a string).', executionId });
    if (!own.write(fields.data)) {
      this.sendError({
        code: 'STDIN_CLOSED',
        message: own.interactive ? 'Standard input of this run was ended (stdin-end).' : 'This run reads no standard input (a session run).',
        executionId,
      });
    }
  }

  /** Sends the events of a run to this socket (what happened so far first), until it ends. */
  private follow(id: string): void {
    const requestId = this.runs.get(id)?.requestId;
    // Not const: `log.follow` may replay the end, and so call `stop`, before it returns.
    // eslint-disable-next-line prefer-const
    let stop: (() => void) | undefined;
    let ended = false;
    this.following.set(id, () => stop?.());
    stop = this.options.log.follow(id, (event) => {
      this.send(toMessage(event, requestId));
      if (event.type === 'execution-complete' || event.type === 'execution-failed') {
        ended = true;
        this.following.delete(id);
      }
    });
    if (ended) this.following.delete(id);
  }

  private sendError(error: Omit<WsErrorMessage, 'event'>): void {
    this.send({ event: 'error', ...error });
  }

  private send(message: WsServerMessage): void {
    if (!this.open) return;
    this.ws.send(JSON.stringify(message));
    // A client that stops reading while its runs write would make the server hold their output.
    if (this.ws.bufferedAmount > this.options.maxBufferedBytes) this.ws.terminate();
  }
}

/** A log event as the message a socket receives. */
function toMessage(event: ExecutionEvent, requestId: string | undefined): WsServerMessage {
  const executionId = event.id;
  const timestamp = event.timestamp ?? Date.now();
  switch (event.type) {
    case 'execution-output':
      return { event: 'execution-output', executionId, type: event.stream, data: event.data, timestamp };
    case 'execution-phase': {
      const { type: _type, id: _id, timestamp: _timestamp, ...phase } = event;
      return { event: 'execution-phase', executionId, ...phase, timestamp };
    }
    case 'execution-complete': {
      const { status, exitCode, result, error, usage, files } = event.result as Record<string, never>;
      return { event: 'execution-complete', executionId, status, exitCode, result, error, usage, files, timestamp };
    }
    case 'execution-failed': {
      const { code, message, field } = event.error as { code: string; message: string; field?: string };
      return { event: 'error', code, message, executionId, ...(requestId === undefined ? {} : { requestId }), ...(field === undefined ? {} : { field }) };
    }
  }
}

/** The code, message and field of a thrown error, for an `error` message. */
function codeAndMessage(error: unknown): { code: string; message: string; field?: string } {
  const { code, message, field } = errorToJson(error).error as { code: string; message: string; field?: string };
  return field === undefined ? { code, message } : { code, message, field };
}

/**
 * The token of an upgrade request that has no `Authorization` header: a `bearer.<token>` entry of
 * `Sec-WebSocket-Protocol`, else the `token` query parameter. Undefined when the header is there (the
 * guard reads it) or nothing is given.
 */
function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  if (req.headers.authorization !== undefined) return undefined;
  const protocols = (req.headers['sec-websocket-protocol'] ?? '').split(',').map((entry) => entry.trim());
  const entry = protocols.find((protocol) => protocol.startsWith('bearer.'));
  if (entry !== undefined) return entry.slice('bearer.'.length);
  return url.searchParams.get('token') ?? undefined;
}

/** Answers a refused upgrade with its HTTP status and JSON error, and closes the socket. */
function refuse(socket: Duplex, error: unknown): void {
  const status = error instanceof HttpError ? error.status : error instanceof SandboxError ? 400 : 500;
  const body = JSON.stringify(errorToJson(error));
  const headers = error instanceof HttpError ? Object.entries(error.headers).map(([name, value]) => `${name}: ${value}\r\n`) : [];
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n${headers.join('')}\r\n${body}`,
  );
}
