/**
 * How a run reaches the server and its events come back: the WebSocket (`/api/sandbox/ws`: live output,
 * interactive standard input, cancel), or, where the WebSocket cannot be opened, `POST /exec?wait=false`
 * followed by its Server-Sent Events (live output; no input while it runs). Both call the same handlers.
 */
// The endpoint's own message types and subprotocol name: the page cannot drift from what the server speaks.
import { WS_PROTOCOL, type WsClientMessage, type WsJsonValue, type WsServerMessage } from '../../src/server/ws-protocol.js';
import { API_BASE, api, authHeaders, currentToken, UnauthorizedError } from './api.js';

/** What the page sends to run code. */
export interface RunRequest {
  language: string;
  code: string;
  functionName?: string;
  args?: WsJsonValue[];
  kwargs?: Record<string, WsJsonValue>;
  files?: Record<string, string>;
  returnFileContents?: boolean;
  /** A template the server's operator defined (its packages and setup). */
  template?: string;
}

/** A file change of a result, as the server sends it (contents as `{"$bytes": base64}`). */
export interface FileChangeJson {
  virtualPath: string;
  kind: 'file' | 'dir';
  change: 'created' | 'modified' | 'deleted';
  size?: number;
  content?: unknown;
}

/** The parts of an execution result the page shows. */
export interface RunResult {
  status: string;
  exitCode?: number | null;
  result?: unknown;
  error?: { type?: string; message?: string; line?: number; traceback?: string } | null;
  usage?: Record<string, number | boolean>;
  files?: { created: FileChangeJson[]; modified: FileChangeJson[]; deleted: FileChangeJson[] } | null;
}

export interface RunHandlers {
  output(stream: 'stdout' | 'stderr', data: string): void;
  phase(phase: string, state: string, elapsedMs: number | undefined, phaseMs: number | undefined): void;
  complete(result: RunResult): void;
  /** The run could not start or its connection was lost; `unauthorized` when the token was refused. */
  failed(message: string, unauthorized?: boolean): void;
}

/** A run in progress. */
export interface RunControl {
  /** Whether the program's standard input can be written while it runs. */
  readonly interactive: boolean;
  write(data: string): void;
  end(): void;
  cancel(): void;
}

export interface Transport {
  readonly name: string;
  start(request: RunRequest, handlers: RunHandlers): RunControl;
}

// ---------------------------------------------------------------------------------------------- WebSocket

/** Characters a subprotocol name may hold (an HTTP token); another token goes as a query parameter. */
const PROTOCOL_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

interface PendingRun {
  handlers: RunHandlers;
  executionId?: string;
  /** Messages for the execution written before the server named it. */
  queued: object[];
  done: boolean;
}

/** One WebSocket for the page, opened on first use; many runs may share it. */
export class WebSocketTransport implements Transport {
  readonly name = 'WebSocket';
  private socket: WebSocket | undefined;
  private opened: Promise<WebSocket> | undefined;
  private readonly byRequest = new Map<string, PendingRun>();
  private readonly byExecution = new Map<string, PendingRun>();
  private nextRequest = 1;

  /** Opens the socket (resolves when open; rejects when it cannot be opened). */
  connect(): Promise<WebSocket> {
    if (this.opened) return this.opened;
    const url = new URL(`${API_BASE}/ws`, location.href);
    url.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:';
    // Browsers cannot set headers on a WebSocket: the token travels as a subprotocol entry (kept out of
    // URLs, which servers and proxies log), or as a query parameter when it has characters a subprotocol
    // name cannot hold.
    const token = currentToken();
    const protocols = [WS_PROTOCOL];
    if (token && PROTOCOL_TOKEN.test(token)) protocols.push(`bearer.${token}`);
    else if (token) url.searchParams.set('token', token);
    this.opened = new Promise((resolve, reject) => {
      const socket = new WebSocket(url, protocols);
      let open = false;
      socket.addEventListener('open', () => {
        open = true;
        this.socket = socket;
        resolve(socket);
      });
      socket.addEventListener('message', (event) => this.receive(event.data));
      socket.addEventListener('close', (event) => {
        this.socket = undefined;
        this.opened = undefined;
        if (!open) reject(new Error(`The WebSocket closed before it opened (code ${event.code}).`));
        for (const run of new Set([...this.byRequest.values(), ...this.byExecution.values()]))
          this.finish(run, () => run.handlers.failed('The connection to the server was lost.'));
      });
      socket.addEventListener('error', () => {
        if (!open) reject(new Error('The WebSocket could not be opened.'));
      });
    });
    return this.opened;
  }

  /** Closes the socket, for a new token. */
  reset(): void {
    this.socket?.close();
    this.socket = undefined;
    this.opened = undefined;
  }

  start(request: RunRequest, handlers: RunHandlers): RunControl {
    const requestId = `r${this.nextRequest++}`;
    const run: PendingRun = { handlers, queued: [], done: false };
    this.byRequest.set(requestId, run);
    this.connect().then(
      (socket) => socket.send(JSON.stringify({ event: 'execute', requestId, ...request } satisfies WsClientMessage)),
      (error: Error) => this.finish(run, () => handlers.failed(error.message)),
    );
    const send = (message: object): void => {
      if (run.done) return;
      if (run.executionId === undefined) run.queued.push(message);
      else this.socket?.send(JSON.stringify({ ...message, executionId: run.executionId }));
    };
    return {
      interactive: true,
      write: (data) => send({ event: 'stdin-data', data }),
      end: () => send({ event: 'stdin-end' }),
      cancel: () => send({ event: 'cancel' }),
    };
  }

  private receive(raw: unknown): void {
    let message: WsServerMessage;
    try {
      message = JSON.parse(String(raw)) as WsServerMessage;
    } catch {
      return;
    }
    if (message.event === 'execution-started') {
      const run = this.byRequest.get(message.requestId);
      if (!run) return;
      this.byRequest.delete(message.requestId);
      run.executionId = message.executionId;
      this.byExecution.set(message.executionId, run);
      for (const queued of run.queued.splice(0)) this.socket?.send(JSON.stringify({ ...queued, executionId: message.executionId }));
      return;
    }
    if (message.event === 'error') {
      const run =
        (message.requestId !== undefined ? this.byRequest.get(message.requestId) : undefined) ??
        (message.executionId !== undefined ? this.byExecution.get(message.executionId) : undefined);
      // An error about a message (stdin after the run's input closed) leaves the run going.
      if (run && (message.requestId !== undefined || message.code !== 'STDIN_CLOSED'))
        this.finish(run, () => run.handlers.failed(`${message.code}: ${message.message}`, message.code === 'UNAUTHORIZED'));
      return;
    }
    const run = this.byExecution.get(message.executionId);
    if (!run) return;
    if (message.event === 'execution-output') run.handlers.output(message.type === 'stderr' ? 'stderr' : 'stdout', message.data);
    else if (message.event === 'execution-phase') run.handlers.phase(message.phase, message.state, message.elapsedMs, message.phaseMs);
    else if (message.event === 'execution-complete') this.finish(run, () => run.handlers.complete(message as RunResult));
  }

  private finish(run: PendingRun, report: () => void): void {
    if (run.done) return;
    run.done = true;
    for (const [key, value] of this.byRequest) if (value === run) this.byRequest.delete(key);
    if (run.executionId !== undefined) this.byExecution.delete(run.executionId);
    report();
  }
}

// ------------------------------------------------------------------------------------ Server-Sent Events

/** `POST /exec?wait=false`, then the call's event stream, read with `fetch` (which can send the token). */
export class EventStreamTransport implements Transport {
  readonly name = 'Server-Sent Events';

  start(request: RunRequest, handlers: RunHandlers): RunControl {
    const controller = new AbortController();
    let done = false;
    const finish = (report: () => void): void => {
      if (done) return;
      done = true;
      report();
    };
    void (async () => {
      try {
        const { events } = await api<{ id: string; events: string }>('/exec?wait=false', request, controller.signal);
        const response = await fetch(events, { headers: authHeaders(), signal: controller.signal });
        if (response.status === 401) throw new UnauthorizedError();
        if (!response.ok || !response.body) throw new Error(`The event stream answered ${response.status}.`);
        for await (const { event, data } of readEventStream(response.body)) {
          if (event === 'execution-output') handlers.output(data.stream === 'stderr' ? 'stderr' : 'stdout', String(data.data));
          else if (event === 'execution-phase') handlers.phase(String(data.phase), String(data.state), num(data.elapsedMs), num(data.phaseMs));
          else if (event === 'execution-complete') return finish(() => handlers.complete(data.result as RunResult));
          else if (event === 'execution-failed') {
            const error = data.error as { code?: string; message?: string };
            return finish(() => handlers.failed(`${error.code ?? 'ERROR'}: ${error.message ?? 'the run failed'}`));
          }
        }
        finish(() => handlers.failed('The event stream ended before the run did.'));
      } catch (error) {
        if (controller.signal.aborted) return;
        finish(() => handlers.failed((error as Error).message, error instanceof UnauthorizedError));
      }
    })();
    return {
      interactive: false,
      write: () => undefined,
      end: () => undefined,
      // Over HTTP the page can only stop following: the run goes on until its time limit.
      cancel: () => {
        controller.abort();
        finish(() =>
          handlers.complete({
            status: 'cancelled',
            error: { type: 'Stopped', message: 'Stopped following the run (over HTTP it goes on until its time limit).' },
          }),
        );
      },
    };
  }
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

/** The events of a `text/event-stream` body: blocks of `event:` and `data:` lines, separated by a blank line. */
async function* readEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<{ event: string; data: Record<string, unknown> }> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += decoder.decode(value, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).trimStart());
      }
      if (data.length > 0) yield { event, data: JSON.parse(data.join('\n')) as Record<string, unknown> };
    }
  }
}
