/**
 * Sessions over HTTP: contexts for snippets, sessions of functions, their life (delete, idle timeout,
 * lifetime), and runs in them over HTTP and over the WebSocket.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxExecutor } from '../../src/index.js';
import { createSandboxServer, type SandboxServer } from '../../src/server/index.js';
import { post, readEvents, TestSocket } from '../helpers/http-client.js';

const executor = new SandboxExecutor({ poolSize: 1 });
let server: SandboxServer;
let base: string;
let port: number;

beforeAll(async () => {
  server = createSandboxServer({ executor, maxSessionIdleMs: 120_000, maxSessions: 4 });
  ({ port } = await server.listen(0));
  base = `http://127.0.0.1:${port}/api/sandbox`;
});
afterAll(async () => {
  await server.close();
  await executor.close();
});

const json = async (response: Response | Promise<Response>): Promise<any> => (await response).json();
const remove = (id: string) => fetch(`${base}/sessions/${id}`, { method: 'DELETE' });

/** Waits until the session is gone (GET answers 404), asking again each time the previous answer came. */
async function untilGone(id: string): Promise<void> {
  while ((await fetch(`${base}/sessions/${id}`)).status !== 404);
}

describe('contexts over HTTP', () => {
  it('snippets keep their variables and definitions; a function a snippet defined can be called; DELETE closes it', async () => {
    const created = await post(base, '/sessions', { language: 'python', env: { UNIT: 'cm' }, argv: ['--x'] });
    expect(created.status).toBe(201);
    const context = await json(created);
    expect(context).toMatchObject({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), kind: 'context', language: 'python', state: 'open', idleTimeoutMs: 60_000 });
    const run = (body: unknown) => json(post(base, `/sessions/${context.id}/exec`, body));
    expect(await run({ code: 'import os, sys\nunit = os.environ["UNIT"]\nargs = sys.argv[1:]' })).toMatchObject({ status: 'success' });
    expect(await run({ code: 'def area(r):\n    return r * r * 3' })).toMatchObject({ status: 'success' });
    expect(await run({ code: 'print(unit, args)\narea(2)' })).toMatchObject({ status: 'success', stdout: "cm ['--x']\n", result: 12 });
    expect(await run({ functionName: 'area', args: [10] })).toMatchObject({ status: 'success', result: 300 });
    expect(await run({ code: 'area("x" * 0) + 1' })).toMatchObject({ status: 'error', error: { type: 'TypeError' } });
    expect(await json(fetch(`${base}/sessions/${context.id}`))).toMatchObject({ id: context.id, state: 'open' });
    expect((await remove(context.id)).status).toBe(204);
    expect((await fetch(`${base}/sessions/${context.id}`)).status).toBe(404);
    const after = await post(base, `/sessions/${context.id}/exec`, { code: '1' });
    expect(after.status).toBe(404);
    expect((await json(after)).error.code).toBe('SESSION_NOT_FOUND');
  });

  it('a snippet can run in the background and be followed over /events', async () => {
    const { id } = await json(post(base, '/sessions', { language: 'ruby' }));
    try {
      const accepted = await post(base, `/sessions/${id}/exec?wait=false`, { code: 'puts "hi"\n40 + 2' });
      expect(accepted.status).toBe(202);
      const { id: runId } = await json(accepted);
      const events = await readEvents(await fetch(`${base}/exec/${runId}/events`));
      expect(events.filter((e) => e.event === 'execution-output').map((e) => e.data.data)).toEqual(['hi\n']);
      expect(events.at(-1)).toMatchObject({ event: 'execution-complete', data: { result: { status: 'success', result: 42 } } });
    } finally {
      await remove(id);
    }
  });

  it('C has no contexts: creating one is a 400 that says so', async () => {
    const refused = await post(base, '/sessions', { language: 'c' });
    expect(refused.status).toBe(400);
    expect((await json(refused)).error).toMatchObject({ code: 'INVALID_REQUEST', field: 'language' });
  });
});

describe('sessions of functions over HTTP', () => {
  it('calls keep module state; snippets are refused; the functions are listed', async () => {
    const code = 'count = 0\n\ndef inc(by=1):\n    global count\n    count += by\n    return count\n';
    const session = await json(post(base, '/sessions', { language: 'python', code }));
    try {
      expect(session).toMatchObject({ kind: 'session', functions: ['inc'] });
      const call = (body: unknown) => json(post(base, `/sessions/${session.id}/exec`, body));
      expect(await call({ functionName: 'inc' })).toMatchObject({ result: 1 });
      expect(await call({ functionName: 'inc', kwargs: { by: 10 } })).toMatchObject({ result: 11 });
      const snippet = await post(base, `/sessions/${session.id}/exec`, { code: 'count' });
      expect(snippet.status).toBe(400);
      expect((await json(snippet)).error).toMatchObject({ code: 'INVALID_REQUEST', field: 'code' });
    } finally {
      await remove(session.id);
    }
  });
});

describe('life of a session', () => {
  it('an idle session is closed and forgotten, which frees its place', async () => {
    const { id } = await json(post(base, '/sessions', { language: 'python', idleTimeoutMs: 50 }));
    await untilGone(id);
    expect(executor.status().sessions).toBe(0);
  });

  it('a session past maxLifetimeMs is closed even while it is used', async () => {
    const { id, expiresAt } = await json(post(base, '/sessions', { language: 'python', maxLifetimeMs: 300 }));
    expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now() - 1000);
    let answer: Response;
    do answer = await post(base, `/sessions/${id}/exec`, { code: '1' });
    while (answer.status === 200);
    expect(answer.status).toBe(404);
  });
});

describe('sessions over the WebSocket', () => {
  it('execute with sessionId runs snippets in the context; other request fields are refused', async () => {
    const { id } = await json(post(base, '/sessions', { language: 'javascript' }));
    const socket = await TestSocket.open(`ws://127.0.0.1:${port}/api/sandbox/ws`);
    try {
      socket.send({ event: 'execute', requestId: 'a', sessionId: id, code: 'var total = 40; console.log("set")' });
      const first = await socket.next((m) => m.event === 'execution-started');
      const messages = await socket.untilComplete(first.executionId);
      expect(messages.find((m) => m.event === 'execution-output')).toMatchObject({ type: 'stdout', data: 'set\n' });
      socket.send({ event: 'execute', requestId: 'b', sessionId: id, language: 'javascript', code: 'total + 2' });
      const second = await socket.next((m) => m.event === 'execution-started');
      expect((await socket.untilComplete(second.executionId)).at(-1)).toMatchObject({ status: 'success', result: 42 });
      socket.send({ event: 'execute', requestId: 'c', sessionId: id, code: '1', memoryLimitMb: 64 });
      expect(await socket.next((m) => m.event === 'error')).toMatchObject({ requestId: 'c', code: 'INVALID_REQUEST', field: 'memoryLimitMb' });
    } finally {
      await socket.close();
      await remove(id);
    }
  });

  it('a session run reads no input (STDIN_CLOSED); cancelling it ends the context', async () => {
    const { id } = await json(post(base, '/sessions', { language: 'python' }));
    const socket = await TestSocket.open(`ws://127.0.0.1:${port}/api/sandbox/ws`);
    try {
      socket.send({ event: 'execute', requestId: 'spin', sessionId: id, code: 'print("spinning", flush=True)\nwhile True:\n    pass', timeoutMs: 30_000 });
      const { executionId } = await socket.next((m) => m.event === 'execution-started');
      await socket.next((m) => m.event === 'execution-output');
      socket.send({ event: 'stdin-data', executionId, data: 'x' });
      expect(await socket.next((m) => m.event === 'error')).toMatchObject({ code: 'STDIN_CLOSED', executionId });
      socket.send({ event: 'cancel', executionId });
      expect((await socket.untilComplete(executionId)).at(-1)).toMatchObject({ event: 'execution-complete', status: 'cancelled' });
      expect((await fetch(`${base}/sessions/${id}`)).status).toBe(404);
    } finally {
      await socket.close();
    }
  });
});
