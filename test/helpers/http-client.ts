/**
 * Clients of the HTTP adapter for the tests: JSON requests with fetch, Server-Sent Events read to their
 * end, and a WebSocket client (the `ws` package) that queues the server's messages so a test can wait
 * for the next one it expects.
 */
import WebSocket from 'ws';

/** A POST with a JSON body (a string is sent as it is). */
export function post(base: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Reads a Server-Sent Events stream to its end. */
export async function readEvents(response: Response): Promise<{ event: string; data: any }[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine!.slice('event: '.length), data: JSON.parse(dataLine!.slice('data: '.length)) };
    });
}

/** A message of the server, as JSON. */
export type ServerMessage = { event: string; [field: string]: any };

/** A WebSocket connection whose messages a test awaits in order. */
export class TestSocket {
  private readonly received: ServerMessage[] = [];
  private waiter: (() => void) | undefined;
  /** Resolves with the close code when the connection closes. */
  readonly closed: Promise<number>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      this.received.push(JSON.parse(String(data)));
      this.waiter?.();
    });
    this.closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
    void this.closed.then(() => this.waiter?.());
  }

  /** Opens a connection; rejects with the HTTP status the upgrade was refused with (`Error: 401 …`). */
  static open(url: string, options: WebSocket.ClientOptions & { protocols?: string[] } = {}): Promise<TestSocket> {
    const { protocols, ...rest } = options;
    const ws = new WebSocket(url, protocols ?? [], rest);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new TestSocket(ws)));
      ws.once('unexpected-response', (_req, res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += String(chunk)));
        res.on('end', () => reject(Object.assign(new Error(`${res.statusCode} ${body}`), { status: res.statusCode, body })));
      });
      ws.once('error', reject);
    });
  }

  send(message: unknown): void {
    this.ws.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** The next message that `match` accepts (earlier ones it skips are dropped). Rejects if the socket closes first. */
  async next(match: (message: ServerMessage) => boolean = () => true): Promise<ServerMessage> {
    for (;;) {
      const index = this.received.findIndex(match);
      if (index >= 0) {
        const [message] = this.received.splice(0, index + 1).slice(-1);
        return message!;
      }
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error('the socket closed before the expected message');
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = undefined;
    }
  }

  /** The messages of one execution up to and including its `execution-complete` (or an `error` naming it). */
  async untilComplete(executionId: string): Promise<ServerMessage[]> {
    const messages: ServerMessage[] = [];
    for (;;) {
      const message = await this.next((m) => m.executionId === executionId);
      messages.push(message);
      if (message.event === 'execution-complete' || message.event === 'error') return messages;
    }
  }

  close(): Promise<number> {
    this.ws.close();
    return this.closed;
  }
}
