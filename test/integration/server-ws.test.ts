/**
 * The WebSocket endpoint driven by a real client (the `ws` package): live output, interactive standard
 * input, cancellation, a closed socket cancelling its runs, joining a run started over HTTP, the caps,
 * bad messages, and the checks of the upgrade (token, Origin, Host).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxExecutor } from '../../src/index.js';
import { createSandboxServer, type SandboxServer, type SandboxServerOptions } from '../../src/server/index.js';
import { post, TestSocket } from '../helpers/http-client.js';

const executor = new SandboxExecutor({ poolSize: 2 });
afterAll(() => executor.close());

let server: SandboxServer;
let port: number;
beforeAll(async () => {
  server = createSandboxServer({ executor, maxMessageBytes: 16 * 1024, maxRunsPerSocket: 2 });
  ({ port } = await server.listen(0));
});
afterAll(() => server.close());

const wsUrl = (p: number, query = '') => `ws://127.0.0.1:${p}/api/sandbox/ws${query}`;
const SPIN = 'while True:\n    pass\n';

/** Starts a server with its own options for one test. */
async function withServer(options: SandboxServerOptions, test: (port: number) => Promise<void>): Promise<void> {
  const own = createSandboxServer({ executor, ...options });
  const address = await own.listen(0);
  try {
    await test(address.port);
  } finally {
    await own.close();
  }
}

describe('runs over a WebSocket', () => {
  it('output arrives while the script runs, before its completion; stdin-data answers its prompts', async () => {
    const socket = await TestSocket.open(wsUrl(port));
    try {
      socket.send({
        event: 'execute',
        requestId: 'r1',
        language: 'python',
        code: 'name = input("Name? ")\nage = int(input("Age? "))\nprint(f"{name} is {age}")\nage * 2\n',
      });
      const started = await socket.next();
      expect(started).toMatchObject({ event: 'execution-started', requestId: 'r1', executionId: expect.any(String) });
      const { executionId } = started;
      // The prompt comes while the program waits for input: it cannot have completed.
      const prompt = await socket.next((m) => m.event === 'execution-output' || m.event === 'execution-complete');
      expect(prompt).toMatchObject({ event: 'execution-output', executionId, type: 'stdout', data: 'Name? ', timestamp: expect.any(Number) });
      socket.send({ event: 'stdin-data', executionId, data: 'Ada\n' });
      const second = await socket.next((m) => m.event === 'execution-output' || m.event === 'execution-complete');
      expect(second).toMatchObject({ event: 'execution-output', data: 'Age? ' });
      socket.send({ event: 'stdin-data', executionId, data: '36\n' });
      const rest = await socket.untilComplete(executionId);
      const complete = rest.at(-1)!;
      expect(complete).toMatchObject({
        event: 'execution-complete',
        executionId,
        status: 'success',
        exitCode: 0,
        result: 72,
        usage: { wallMs: expect.any(Number) },
      });
      expect(
        rest
          .filter((m) => m.event === 'execution-output')
          .map((m) => m.data)
          .join(''),
      ).toBe('Ada is 36\n');
      expect(rest.some((m) => m.event === 'execution-phase' && m.phase === 'running' && m.state === 'end')).toBe(true);
    } finally {
      await socket.close();
    }
  });

  it('a program that reads to the end of its input waits for stdin-end; stdin after it is refused', async () => {
    const socket = await TestSocket.open(wsUrl(port));
    try {
      socket.send({
        event: 'execute',
        requestId: 'sum',
        language: 'python',
        code: 'import sys\nsum(int(x) for x in sys.stdin.read().split())\n',
        stdin: '1 2 ',
      });
      const { executionId } = await socket.next((m) => m.event === 'execution-started');
      socket.send({ event: 'stdin-data', executionId, data: '3 4' });
      socket.send({ event: 'stdin-end', executionId });
      socket.send({ event: 'stdin-data', executionId, data: '5' });
      expect(await socket.next((m) => m.event === 'error')).toMatchObject({ code: 'STDIN_CLOSED', executionId });
      expect((await socket.untilComplete(executionId)).at(-1)).toMatchObject({ status: 'success', result: 10 });
    } finally {
      await socket.close();
    }
  });

  it('calls a function when functionName is given; values keep their wire tags both ways', async () => {
    const socket = await TestSocket.open(wsUrl(port));
    try {
      socket.send({
        event: 'execute',
        requestId: 'call',
        language: 'python',
        code: 'def double(x):\n    return x * 2\n',
        functionName: 'double',
        args: [{ $bigint: '9007199254740993' }],
      });
      const { executionId } = await socket.next((m) => m.event === 'execution-started');
      expect((await socket.untilComplete(executionId)).at(-1)).toMatchObject({ status: 'success', result: { $bigint: '18014398509481986' } });
    } finally {
      await socket.close();
    }
  });

  it('cancel ends a run with status cancelled; a request error is an error message carrying the requestId', async () => {
    const socket = await TestSocket.open(wsUrl(port));
    try {
      socket.send({ event: 'execute', requestId: 'spin', language: 'python', code: `print("spinning", flush=True)\n${SPIN}`, timeoutMs: 30_000 });
      const { executionId } = await socket.next((m) => m.event === 'execution-started');
      await socket.next((m) => m.event === 'execution-output');
      socket.send({ event: 'cancel', executionId });
      expect((await socket.untilComplete(executionId)).at(-1)).toMatchObject({ event: 'execution-complete', status: 'cancelled' });
      socket.send({ event: 'execute', requestId: 'bad', language: 'cobol', code: 'x' });
      expect(await socket.next((m) => m.event === 'error')).toMatchObject({ requestId: 'bad', code: 'UNSUPPORTED_LANGUAGE' });
      socket.send({ event: 'execute', requestId: 'big', language: 'python', code: 'x', memoryLimitMb: 1 << 20 });
      expect(await socket.next((m) => m.event === 'error')).toMatchObject({ requestId: 'big', code: 'OVER_SERVER_LIMIT', field: 'memoryLimitMb' });
    } finally {
      await socket.close();
    }
  });

  it('a closed socket cancels its runs (seen by a second socket that joined the run)', async () => {
    const first = await TestSocket.open(wsUrl(port));
    const second = await TestSocket.open(wsUrl(port));
    try {
      first.send({ event: 'execute', requestId: 'spin', language: 'python', code: `print("up", flush=True)\n${SPIN}`, timeoutMs: 30_000 });
      const { executionId } = await first.next((m) => m.event === 'execution-started');
      await first.next((m) => m.event === 'execution-output');
      second.send({ event: 'join', executionId });
      expect(await second.next((m) => m.event === 'execution-output')).toMatchObject({ executionId, data: 'up\n' });
      await first.close();
      expect((await second.untilComplete(executionId)).at(-1)).toMatchObject({ event: 'execution-complete', status: 'cancelled' });
    } finally {
      await second.close();
    }
  });

  it('joins a run started over HTTP with ?wait=false, and can cancel it', async () => {
    const base = `http://127.0.0.1:${port}/api/sandbox`;
    const accepted = await post(base, '/exec?wait=false', { language: 'python', code: `print("http", flush=True)\n${SPIN}`, timeoutMs: 30_000 });
    const { id } = (await accepted.json()) as any;
    const socket = await TestSocket.open(wsUrl(port));
    try {
      socket.send({ event: 'join', executionId: id });
      expect(await socket.next((m) => m.event === 'execution-output')).toMatchObject({ executionId: id, type: 'stdout', data: 'http\n' });
      socket.send({ event: 'cancel', executionId: id });
      expect((await socket.untilComplete(id)).at(-1)).toMatchObject({ status: 'cancelled' });
      socket.send({ event: 'join', executionId: 'no-such-run' });
      expect(await socket.next((m) => m.event === 'error')).toMatchObject({ code: 'EXECUTION_NOT_FOUND', executionId: 'no-such-run' });
    } finally {
      await socket.close();
    }
  });
});

describe('caps', () => {
  it('a socket gets at most maxRunsPerSocket runs at once; the server its job slots', async () => {
    await withServer({ maxRunsPerSocket: 1, maxConcurrentJobs: 1, maxPendingJobs: 0 }, async (p) => {
      const socket = await TestSocket.open(wsUrl(p));
      const other = await TestSocket.open(wsUrl(p));
      try {
        socket.send({ event: 'execute', requestId: 'a', language: 'python', code: SPIN, timeoutMs: 30_000 });
        const { executionId } = await socket.next((m) => m.event === 'execution-started');
        socket.send({ event: 'execute', requestId: 'b', language: 'python', code: '1' });
        expect(await socket.next((m) => m.event === 'error')).toMatchObject({ code: 'TOO_MANY_RUNS', requestId: 'b' });
        other.send({ event: 'execute', requestId: 'c', language: 'python', code: '1' });
        expect(await other.next((m) => m.event === 'error')).toMatchObject({ code: 'SERVER_BUSY', requestId: 'c' });
        socket.send({ event: 'cancel', executionId });
        await socket.untilComplete(executionId);
        // The places are free again.
        other.send({ event: 'execute', requestId: 'd', language: 'python', code: '6 * 7' });
        const started = await other.next((m) => m.event === 'execution-started');
        expect((await other.untilComplete(started.executionId)).at(-1)).toMatchObject({ status: 'success', result: 42 });
      } finally {
        await socket.close();
        await other.close();
      }
    });
  });
});

describe('bad messages', () => {
  it('each is answered with an error message and a stable code; the socket keeps working', async () => {
    const socket = await TestSocket.open(wsUrl(port));
    try {
      const cases: [unknown, string][] = [
        ['{not json', 'BAD_MESSAGE'],
        ['[1, 2]', 'BAD_MESSAGE'],
        ['"text"', 'BAD_MESSAGE'],
        [{ no: 'event' }, 'BAD_MESSAGE'],
        [{ event: 'format-disk' }, 'UNKNOWN_MESSAGE'],
        [{ event: 'execute', language: 'python', code: '1' }, 'BAD_MESSAGE'],
        [{ event: 'execute', requestId: 'x'.repeat(500), language: 'python', code: '1' }, 'BAD_MESSAGE'],
        [{ event: 'execute', requestId: 'u', language: 'python', code: '1', onStdout: 'x' }, 'INVALID_REQUEST'],
        [{ event: 'execute', requestId: 's', sessionId: 'guessed', code: '1' }, 'SESSION_NOT_FOUND'],
        [{ event: 'stdin-data', executionId: 'nope', data: 'x' }, 'EXECUTION_NOT_FOUND'],
        [{ event: 'stdin-data' }, 'BAD_MESSAGE'],
        [{ event: 'cancel', executionId: 42 }, 'BAD_MESSAGE'],
        [{ event: 'stdin-end', executionId: 'nope' }, 'EXECUTION_NOT_FOUND'],
        [{ event: 'execute', requestId: 'big', language: 'python', code: `"${'x'.repeat(20 * 1024)}"` }, 'MESSAGE_TOO_LARGE'],
      ];
      for (const [message, code] of cases) {
        socket.send(message);
        expect(await socket.next(), JSON.stringify(message).slice(0, 80)).toMatchObject({ event: 'error', code, message: expect.any(String) });
      }
      socket.ws.send(Buffer.from([0xff, 0x00]), { binary: true });
      expect(await socket.next()).toMatchObject({ event: 'error', code: 'BAD_MESSAGE' });
      socket.send({ event: 'execute', requestId: 'ok', language: 'python', code: '1 + 1' });
      const { executionId } = await socket.next((m) => m.event === 'execution-started');
      expect((await socket.untilComplete(executionId)).at(-1)).toMatchObject({ status: 'success', result: 2 });
    } finally {
      await socket.close();
    }
  });

  it('a message far over the limit closes the socket with 1009 (never buffered whole); the server goes on', async () => {
    const socket = await TestSocket.open(wsUrl(port));
    socket.send('x'.repeat(64 * 1024));
    expect(await socket.closed).toBe(1009);
    const again = await TestSocket.open(wsUrl(port));
    try {
      again.send({ event: 'execute', requestId: 'ok', language: 'python', code: '3' });
      const { executionId } = await again.next((m) => m.event === 'execution-started');
      expect((await again.untilComplete(executionId)).at(-1)).toMatchObject({ result: 3 });
    } finally {
      await again.close();
    }
  });
});

describe('the upgrade is checked like any HTTP request', () => {
  it('without the token, or with another, the upgrade is refused with 401; header, subprotocol and query parameter pass', async () => {
    await withServer({ token: 's3cret' }, async (p) => {
      await expect(TestSocket.open(wsUrl(p))).rejects.toMatchObject({ status: 401 });
      await expect(TestSocket.open(wsUrl(p), { headers: { authorization: 'Bearer wrong' } })).rejects.toMatchObject({ status: 401 });
      await expect(TestSocket.open(wsUrl(p, '?token=wrong'))).rejects.toMatchObject({ status: 401 });
      await expect(TestSocket.open(wsUrl(p), { protocols: ['sandbox-executor', 'bearer.wrong'] })).rejects.toMatchObject({ status: 401 });
      const byHeader = await TestSocket.open(wsUrl(p), { headers: { authorization: 'Bearer s3cret' } });
      await byHeader.close();
      const byProtocol = await TestSocket.open(wsUrl(p), { protocols: ['sandbox-executor', 'bearer.s3cret'] });
      // The server picks the named protocol, never the entry carrying the token.
      expect(byProtocol.ws.protocol).toBe('sandbox-executor');
      await byProtocol.close();
      const byQuery = await TestSocket.open(wsUrl(p, '?token=s3cret'));
      byQuery.send({ event: 'execute', requestId: 'ok', language: 'python', code: '5' });
      const { executionId } = await byQuery.next((m) => m.event === 'execution-started');
      expect((await byQuery.untilComplete(executionId)).at(-1)).toMatchObject({ result: 5 });
      await byQuery.close();
    });
  });

  it('a foreign Origin or Host is refused with 403, an unknown path with 404', async () => {
    await withServer({ allowedOrigins: ['https://app.example'] }, async (p) => {
      await expect(TestSocket.open(wsUrl(p), { origin: 'https://evil.example' })).rejects.toMatchObject({
        status: 403,
        body: expect.stringContaining('ORIGIN_NOT_ALLOWED'),
      });
      await expect(TestSocket.open(wsUrl(p), { headers: { host: `evil.example:${p}` } })).rejects.toMatchObject({
        status: 403,
        body: expect.stringContaining('HOST_NOT_ALLOWED'),
      });
      await expect(TestSocket.open(`ws://127.0.0.1:${p}/api/sandbox/nowhere`)).rejects.toMatchObject({ status: 404 });
      const allowed = await TestSocket.open(wsUrl(p), { origin: 'https://app.example' });
      await allowed.close();
    });
  });

  it('a run is followed and cancelled only by the token that started it', async () => {
    await withServer({ token: ['token-a', 'token-b'] }, async (p) => {
      const a = await TestSocket.open(wsUrl(p, '?token=token-a'));
      const b = await TestSocket.open(wsUrl(p, '?token=token-b'));
      try {
        a.send({ event: 'execute', requestId: 'a', language: 'python', code: SPIN, timeoutMs: 30_000 });
        const { executionId } = await a.next((m) => m.event === 'execution-started');
        b.send({ event: 'join', executionId });
        expect(await b.next()).toMatchObject({ event: 'error', code: 'EXECUTION_NOT_FOUND' });
        b.send({ event: 'cancel', executionId });
        expect(await b.next()).toMatchObject({ event: 'error', code: 'EXECUTION_NOT_FOUND' });
        b.send({ event: 'stdin-data', executionId, data: 'x' });
        expect(await b.next()).toMatchObject({ event: 'error', code: 'EXECUTION_NOT_FOUND' });
        const sse = await fetch(`http://127.0.0.1:${p}/api/sandbox/exec/${executionId}/events`, { headers: { authorization: 'Bearer token-b' } });
        expect(sse.status).toBe(404);
        a.send({ event: 'cancel', executionId });
        expect((await a.untilComplete(executionId)).at(-1)).toMatchObject({ status: 'cancelled' });
      } finally {
        await a.close();
        await b.close();
      }
    });
  });
});
