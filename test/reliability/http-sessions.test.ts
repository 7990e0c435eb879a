/**
 * Sessions over HTTP attacked by hostile clients: another token using a session's id, guessed ids, a
 * flood of creations, oversize bodies and limits, cross-site creation. A session is a worker thread and
 * an interpreter: no client may use another's, learn that it exists, or make the server start more than
 * its caps.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { SandboxExecutor } from '../../src/index.js';
import { createSandboxServer, type SandboxServerOptions } from '../../src/server/index.js';
import { post, TestSocket } from '../helpers/http-client.js';

const executor = new SandboxExecutor({ poolSize: 1 });
afterAll(() => executor.close());

const TOKENS = ['token-alice', 'token-bob', 'token-eve'];
const as = (token: string) => ({ authorization: `Bearer ${token}` });

/** Starts a server with tokens for one test; stops it (and its sessions) after. */
async function withServer(options: SandboxServerOptions, test: (base: string, port: number) => Promise<void>): Promise<void> {
  const server = createSandboxServer({ executor, token: TOKENS, ...options });
  const { port } = await server.listen(0);
  try {
    await test(`http://127.0.0.1:${port}/api/sandbox`, port);
  } finally {
    await server.close();
  }
  expect(executor.status().sessions).toBe(0);
}

describe('a session belongs to the token that created it', () => {
  it("another token gets exactly the answer of an unknown id, for GET, exec and DELETE; the owner's session is untouched", async () => {
    await withServer({}, async (base, port) => {
      const { id } = (await (await post(base, '/sessions', { language: 'python' }, as('token-alice'))).json()) as any;
      await post(base, `/sessions/${id}/exec`, { code: 'secret = 42' }, as('token-alice'));
      const unknown = randomUUID();
      for (const target of [id, unknown]) {
        const get = await fetch(`${base}/sessions/${target}`, { headers: as('token-eve') });
        const exec = await post(base, `/sessions/${target}/exec`, { code: 'secret' }, as('token-eve'));
        const del = await fetch(`${base}/sessions/${target}`, { method: 'DELETE', headers: as('token-eve') });
        for (const answer of [get, exec, del]) {
          expect(answer.status).toBe(404);
          const body = (await answer.json()) as any;
          expect(body.error.code).toBe('SESSION_NOT_FOUND');
          expect(body.error.message).not.toContain('token');
        }
      }
      // Over the WebSocket too.
      const socket = await TestSocket.open(`ws://127.0.0.1:${port}/api/sandbox/ws`, { headers: as('token-eve') });
      socket.send({ event: 'execute', requestId: 'steal', sessionId: id, code: 'secret' });
      expect(await socket.next()).toMatchObject({ event: 'error', code: 'SESSION_NOT_FOUND', requestId: 'steal' });
      await socket.close();
      // Without any token, nothing at all.
      expect((await fetch(`${base}/sessions/${id}`)).status).toBe(401);
      const mine = (await (await post(base, `/sessions/${id}/exec`, { code: 'secret' }, as('token-alice'))).json()) as any;
      expect(mine).toMatchObject({ status: 'success', result: 42 });
    });
  });

  it('guessed ids (sequential, numeric, empty, escaped, other UUIDs) find nothing', async () => {
    await withServer({}, async (base) => {
      const { id } = (await (await post(base, '/sessions', { language: 'python' }, as('token-alice'))).json()) as any;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      const guesses = ['1', '0', 'session-1', 'context-1', '..', '%2e%2e', id.toUpperCase(), `${id} `, ...Array.from({ length: 50 }, () => randomUUID())];
      for (const guess of guesses) {
        const answer = await fetch(`${base}/sessions/${encodeURIComponent(guess)}`, { headers: as('token-bob') });
        expect(answer.status, guess).toBe(404);
      }
      expect((await fetch(`${base}/sessions/%E0%A4%A`, { headers: as('token-bob') })).status).toBe(400);
    });
  });
});

describe('a flood of creations', () => {
  it('starts no more interpreters than the caps: 429 per token, 503 for the server, both with Retry-After', async () => {
    await withServer({ maxSessions: 3, maxSessionsPerToken: 2 }, async (base) => {
      const flood = await Promise.all(Array.from({ length: 12 }, () => post(base, '/sessions', { language: 'python' }, as('token-eve'))));
      const statuses = flood.map((answer) => answer.status).sort();
      expect(statuses.filter((status) => status === 201)).toHaveLength(2);
      expect(statuses.filter((status) => status === 429)).toHaveLength(10);
      const refused = flood.find((answer) => answer.status === 429)!;
      expect(refused.headers.get('retry-after')).toBe('5');
      expect(((await refused.json()) as any).error.code).toBe('TOKEN_SESSION_LIMIT');
      expect(executor.status().sessions).toBe(2);
      expect((await post(base, '/sessions', { language: 'python' }, as('token-bob'))).status).toBe(201);
      const full = await post(base, '/sessions', { language: 'python' }, as('token-alice'));
      expect(full.status).toBe(503);
      expect(full.headers.get('retry-after')).toBe('5');
      expect(((await full.json()) as any).error.code).toBe('SESSION_LIMIT');
      expect(executor.status().sessions).toBe(3);
      // Deleting one gives its place back.
      const { id } = (await flood.find((answer) => answer.status === 201)!.json()) as any;
      expect((await fetch(`${base}/sessions/${id}`, { method: 'DELETE', headers: as('token-eve') })).status).toBe(204);
      expect((await post(base, '/sessions', { language: 'python' }, as('token-alice'))).status).toBe(201);
    });
  });
});

describe('oversize bodies and limits', () => {
  it('are refused before any interpreter starts: 413 for the body, 400 naming the ceiling for limits', async () => {
    await withServer({ maxBodyBytes: 8 * 1024, maxFsBytes: 1024, maxSessionLifetimeMs: 60_000, maxSessionIdleMs: 10_000 }, async (base) => {
      const alice = as('token-alice');
      const huge = await post(base, '/sessions', { language: 'python', code: `x = "${'x'.repeat(16 * 1024)}"` }, alice);
      expect(huge.status).toBe(413);
      const cases: [Record<string, unknown>, string][] = [
        [{ files: { 'big.txt': 'y'.repeat(2048) } }, 'files'],
        [{ maxLifetimeMs: 24 * 3_600_000 }, 'maxLifetimeMs'],
        [{ idleTimeoutMs: 3_600_000 }, 'idleTimeoutMs'],
        [{ memoryLimitMb: 1 << 20 }, 'memoryLimitMb'],
        [{ maxOutputBytes: 2 ** 40 }, 'maxOutputBytes'],
      ];
      for (const [fields, field] of cases) {
        const answer = await post(base, '/sessions', { language: 'python', ...fields }, alice);
        expect(answer.status, field).toBe(400);
        expect(((await answer.json()) as any).error).toMatchObject({ code: 'OVER_SERVER_LIMIT', field });
      }
      for (const [fields, field] of [
        [{ idleTimeoutMs: 0 }, 'idleTimeoutMs'],
        [{ mounts: [{ hostPath: '/' }] }, 'mounts'],
        [{ onStdout: 'x' }, 'onStdout'],
      ] as const) {
        const answer = await post(base, '/sessions', { language: 'python', ...fields }, alice);
        expect(answer.status, field).toBe(400);
        expect(((await answer.json()) as any).error).toMatchObject({ code: 'INVALID_REQUEST', field });
      }
      expect(executor.status().sessions).toBe(0);
      const { id } = (await (await post(base, '/sessions', { language: 'python' }, alice)).json()) as any;
      const bigSnippet = await post(base, `/sessions/${id}/exec`, { code: `"${'z'.repeat(16 * 1024)}"` }, alice);
      expect(bigSnippet.status).toBe(413);
      expect(((await (await post(base, `/sessions/${id}/exec`, { code: '7' }, alice)).json()) as any).result).toBe(7);
    });
  });

  it('a page on another site cannot create a session (text/plain, foreign Origin)', async () => {
    await withServer({}, async (base) => {
      const plain = await fetch(`${base}/sessions`, {
        method: 'POST',
        headers: { ...as('token-alice'), 'content-type': 'text/plain' },
        body: '{"language":"python"}',
      });
      expect(plain.status).toBe(415);
      const foreign = await post(base, '/sessions', { language: 'python' }, { ...as('token-alice'), origin: 'https://evil.example' });
      expect(foreign.status).toBe(403);
      expect(executor.status().sessions).toBe(0);
    });
  });
});
