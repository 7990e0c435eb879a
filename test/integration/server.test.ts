/**
 * The HTTP adapter, on 127.0.0.1, with a real HTTP client (fetch) and Server-Sent Events.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxExecutor } from '../../src/index.js';
import { createSandboxServer, type SandboxServer } from '../../src/server/index.js';

const executor = new SandboxExecutor({ poolSize: 2 });
let server: SandboxServer;
let base: string;
let allowed: string;

beforeAll(async () => {
  allowed = await mkdtemp(join(tmpdir(), 'sandbox-server-'));
  server = createSandboxServer({
    executor,
    maxBodyBytes: 64 * 1024,
    maxTimeoutMs: 2_000,
    allowedMountRoots: [{ path: allowed, operations: ['read', 'create', 'modify'] }],
  });
  const address = await server.listen(0);
  base = `http://127.0.0.1:${address.port}/api/sandbox`;
});
afterAll(async () => {
  await server.close();
  await executor.close();
  await rm(allowed, { recursive: true, force: true });
});

const post = (path: string, body: unknown) =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** Reads a Server-Sent Events stream to its end. */
async function readEvents(response: Response): Promise<{ event: string; data: any }[]> {
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.startsWith('event:'))
    .map((block) => {
      const [eventLine, dataLine] = block.split('\n');
      return { event: eventLine!.slice('event: '.length), data: JSON.parse(dataLine!.slice('data: '.length)) };
    });
}

describe('POST /exec', () => {
  it('runs a call and answers with the result; values keep their wire tags', async () => {
    const response = await post('/exec', {
      language: 'python',
      code: 'def f(x):\n    print("hi")\n    return [x * 2, 2 ** 64, b"\\x00\\xff"]\n',
      args: [{ $bigint: '21' }],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body).toMatchObject({ status: 'success', stdout: 'hi\n', result: [42, { $bigint: '18446744073709551616' }, { $bytes: 'AP8=' }] });
    expect(typeof body.id).toBe('string');
  });

  it('typed request errors are 400 with a code; unknown routes 404; wrong methods 405', async () => {
    const unknown = await post('/exec', { language: 'cobol', code: 'x' });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).error).toMatchObject({ code: 'UNSUPPORTED_LANGUAGE', name: 'UnsupportedLanguageError' });
    const missing = await post('/exec', { language: 'python', code: 'def add(a, b):\n    return a + b\n', functionName: 'ad' });
    expect(((await missing.json()) as any).error).toMatchObject({ code: 'FUNCTION_NOT_FOUND', candidates: ['add'] });
    expect((await post('/exec', '{not json')).status).toBe(400);
    expect((await post('/exec', { language: 'python', code: 'def f():\n    pass\n', onStdout: 1 })).status).toBe(400);
    expect((await fetch(`${base}/nowhere`)).status).toBe(404);
    expect((await fetch(`${base}/exec`)).status).toBe(405);
  });

  it('refuses bodies over the limit with 413', async () => {
    const response = await post('/exec', { language: 'python', code: `def f(s):\n    return len(s)\n`, args: ['x'.repeat(100 * 1024)] });
    expect(response.status).toBe(413);
    expect(((await response.json()) as any).error.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('caps the time limit', async () => {
    const started = performance.now();
    const response = await post('/exec', {
      language: 'python',
      code: 'def spin():\n    while True:\n        pass\n',
      functionName: 'spin',
      timeoutMs: 600_000,
    });
    const body = (await response.json()) as any;
    expect(body.status).toBe('timeout');
    expect(body.error.message).toContain('2000 ms');
    expect(performance.now() - started).toBeLessThan(15_000);
  });

  it('mounts only inside the allowed roots', async () => {
    const code = 'def w():\n    open("out.txt", "w").write("ok")\n    return 1\n';
    const outside = await post('/exec', { language: 'python', code, functionName: 'w', mounts: [{ hostPath: tmpdir() }] });
    expect(outside.status).toBe(403);
    const traversal = await post('/exec', { language: 'python', code, functionName: 'w', mounts: [{ hostPath: join(allowed, '..') }] });
    expect(traversal.status).toBe(403);
    const inside = await post('/exec', { language: 'python', code, functionName: 'w', mounts: [{ hostPath: allowed }], permissions: { default: 'allow' } });
    expect(((await inside.json()) as any).status).toBe('success');
    expect(await readFile(join(allowed, 'out.txt'), 'utf8')).toBe('ok');
  });
});

describe('GET /exec/{id}/events', () => {
  it('streams output while the call runs, then the completion', async () => {
    const code = 'import time\n\ndef tick(n):\n    for i in range(n):\n        print("tick", i)\n        time.sleep(0.1)\n    return n\n';
    const started = await post('/exec?wait=false', { language: 'python', code, args: [4] });
    expect(started.status).toBe(202);
    const { id, events } = (await started.json()) as any;
    expect(events).toBe(`/api/sandbox/exec/${id}/events`);
    const stream = await fetch(`${base}/exec/${id}/events`);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const received = await readEvents(stream);
    const output = received
      .filter((e) => e.event === 'execution-output')
      .map((e) => e.data.data)
      .join('');
    expect(output).toBe('tick 0\ntick 1\ntick 2\ntick 3\n');
    expect(received.at(-1)).toMatchObject({ event: 'execution-complete', data: { id, result: { status: 'success', result: 4 } } });
  });

  it('replays a finished execution to a late follower; unknown ids are 404', async () => {
    // The call is the only one running: its end is the next one the executor reports.
    const ended = new Promise((resolve) => executor.once('execution:end', resolve));
    const started = await post('/exec?wait=false', { language: 'python', code: 'def f():\n    print("early")\n    return 1\n', functionName: 'f' });
    const { id } = (await started.json()) as any;
    await ended;
    const received = await readEvents(await fetch(`${base}/exec/${id}/events`));
    expect(received.map((e) => e.event).filter((event) => event !== 'execution-phase')).toEqual(['execution-output', 'execution-complete']);
    expect((await fetch(`${base}/exec/nope/events`)).status).toBe(404);
  });

  it('streams the phases of a call (execution-phase), with the server id, before its completion', async () => {
    const ended = new Promise((resolve) => executor.once('execution:end', resolve));
    const started = await post('/exec?wait=false', { language: 'python', code: 'def f():\n    print("phases")\n    return 2\n', functionName: 'f' });
    const { id } = (await started.json()) as any;
    await ended;
    const received = await readEvents(await fetch(`${base}/exec/${id}/events`));
    const phases = received.filter((e) => e.event === 'execution-phase');
    expect(phases.slice(-2).map((e) => [e.data.phase, e.data.state])).toEqual([
      ['running', 'start'],
      ['running', 'end'],
    ]);
    for (const phase of phases) expect(phase.data).toMatchObject({ id, language: 'python', elapsedMs: expect.any(Number), phaseMs: expect.any(Number) });
    expect(received.map((e) => e.event).slice(-3)).toEqual(['execution-output', 'execution-phase', 'execution-complete']);
  });
});

describe('other routes', () => {
  it('health, languages and describe', async () => {
    expect((await (await fetch(`${base}/health`)).json()) as any).toMatchObject({ ok: true });
    expect(((await (await fetch(`${base}/languages`)).json()) as any).languages).toContain('python');
    const described = (await (await post('/describe', { language: 'python', code: 'def add(a: int, b: int):\n    return a + b\n' })).json()) as any;
    expect(described.functions[0].schema.properties).toEqual({ a: { type: 'integer' }, b: { type: 'integer' } });
  });
});
