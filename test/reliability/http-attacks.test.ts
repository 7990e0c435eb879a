/**
 * The HTTP adapter attacked over real sockets: cross-site requests, DNS rebinding, missing tokens, limits
 * chosen by the client, a full queue, a slowloris, malformed paths. HTTP clients are not trusted: none of
 * these may run code it should not, touch files, or pin or bloat the server.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxExecutor } from '../../src/index.js';
import { createSandboxServer, type SandboxServer, type SandboxServerOptions } from '../../src/server/index.js';

const executor = new SandboxExecutor({ poolSize: 2 });
afterAll(() => executor.close());

let folder: string;
beforeAll(async () => {
  folder = await mkdtemp(join(tmpdir(), 'sandbox-http-'));
});
afterAll(() => rm(folder, { recursive: true, force: true }));

/** Starts a server on 127.0.0.1 for one test; stops it after. */
async function withServer(options: SandboxServerOptions, test: (port: number, server: SandboxServer) => Promise<void>): Promise<void> {
  const server = createSandboxServer({ executor, ...options });
  const { port } = await server.listen(0);
  try {
    await test(port, server);
  } finally {
    await server.close();
  }
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: any;
}

/** One request with exactly the headers given (node:http adds only Host, unless given, and Content-Length). */
function send(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = JSON.parse(text);
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode!, headers: res.headers, body: parsed });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const JSON_TYPE = { 'content-type': 'application/json' };
const exec = (port: number, body: unknown, headers: Record<string, string> = JSON_TYPE, query = '') =>
  send(port, 'POST', `/api/sandbox/exec${query}`, headers, JSON.stringify(body));
const WRITE_MARK = (path: string) => `def f():\n    open(${JSON.stringify(path)}, "w").write("ran")\n    return 1\n`;

describe('cross-site requests and DNS rebinding', () => {
  it('a text/plain POST (what a page on another site can send without asking) gets 415 and runs nothing', async () => {
    await withServer({ allowedMountRoots: [{ path: folder, operations: ['read', 'create', 'modify'] }] }, async (port) => {
      const body = { language: 'python', code: WRITE_MARK('csrf.txt'), functionName: 'f', mounts: [{ hostPath: folder }], permissions: { default: 'allow' } };
      const plain = await exec(port, body, { 'content-type': 'text/plain;charset=UTF-8' });
      expect(plain.status).toBe(415);
      expect(plain.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      const crossSite = await exec(port, body, { 'content-type': 'text/plain', origin: 'https://evil.example' });
      expect(crossSite.status).toBe(403);
      const noType = await exec(port, body, {});
      expect(noType.status).toBe(415);
      await expect(readFile(join(folder, 'csrf.txt'))).rejects.toThrow();
    });
  });

  it('a foreign Origin is refused with 403; an allowed one gets CORS headers and its preflight', async () => {
    await withServer({ allowedOrigins: ['https://app.example'] }, async (port) => {
      const body = { language: 'python', code: 'def f():\n    return 1\n', functionName: 'f' };
      const foreign = await exec(port, body, { ...JSON_TYPE, origin: 'https://evil.example' });
      expect(foreign.status).toBe(403);
      expect(foreign.body.error.code).toBe('ORIGIN_NOT_ALLOWED');
      expect((await send(port, 'GET', '/api/sandbox/health', { origin: 'null' })).status).toBe(403);
      const preflight = await send(port, 'OPTIONS', '/api/sandbox/exec', { origin: 'https://app.example', 'access-control-request-method': 'POST' });
      expect(preflight.status).toBe(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example');
      expect((await send(port, 'OPTIONS', '/api/sandbox/exec', { origin: 'https://evil.example' })).status).toBe(403);
      const allowed = await exec(port, body, { ...JSON_TYPE, origin: 'https://app.example' });
      expect(allowed.status).toBe(200);
      expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example');
      expect(allowed.body.result).toBe(1);
    });
  });

  it('a foreign Host header (DNS rebinding) is refused with 403; localhost, the address and allowedHosts pass', async () => {
    await withServer({ allowedHosts: ['sandbox.internal'] }, async (port) => {
      const body = { language: 'python', code: 'def f():\n    return 1\n', functionName: 'f' };
      const rebound = await exec(port, body, { ...JSON_TYPE, host: `evil.example:${port}` });
      expect(rebound.status).toBe(403);
      expect(rebound.body.error.code).toBe('HOST_NOT_ALLOWED');
      expect((await send(port, 'GET', '/api/sandbox/health', { host: 'evil.example' })).status).toBe(403);
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `LOCALHOST:${port}`, `sandbox.internal:${port}`]) {
        expect((await send(port, 'GET', '/api/sandbox/health', { host })).status, host).toBe(200);
      }
    });
  });

  it('a request cannot widen what the server allows in a mount root: read-only unless the operator says so', async () => {
    await writeFile(join(folder, 'precious.txt'), 'keep me');
    await withServer({ allowedMountRoots: [folder] }, async (port) => {
      const answer = await exec(port, {
        language: 'python',
        code: 'import os\ndef f():\n    os.remove("precious.txt")\n    open("new.txt", "w").write("x")\n    return 1\n',
        functionName: 'f',
        mounts: [{ hostPath: folder, allowedOperations: ['read', 'create', 'modify', 'delete'] }],
        permissions: { default: 'allow' },
        sync: { onDenied: 'skip' },
      });
      expect(answer.status).toBe(200);
      expect(answer.body.files.sync.denied.map((c: any) => c.reason).sort()).toEqual([
        'create not allowed on this mount (allowedOperations)',
        'delete not allowed on this mount (allowedOperations)',
      ]);
      expect(await readFile(join(folder, 'precious.txt'), 'utf8')).toBe('keep me');
      await expect(readFile(join(folder, 'new.txt'))).rejects.toThrow();
    });
  });
});

describe('authentication', () => {
  it('with a token, requests without it (or with another) get 401', async () => {
    await withServer({ token: 's3cret-token' }, async (port) => {
      const body = { language: 'python', code: 'def f():\n    return 1\n', functionName: 'f' };
      const none = await exec(port, body);
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toContain('Bearer');
      expect((await exec(port, body, { ...JSON_TYPE, authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await send(port, 'GET', '/api/sandbox/health', {})).status).toBe(401);
      const good = await exec(port, body, { ...JSON_TYPE, authorization: 'Bearer s3cret-token' });
      expect(good.status).toBe(200);
      expect(good.body.result).toBe(1);
    });
  });

  it('listening beyond loopback without a token is refused, and says why', async () => {
    const server = createSandboxServer({ executor });
    const error = await server.listen(0, '0.0.0.0').then(
      () => undefined,
      (e: Error) => e,
    );
    await server.close();
    expect(error?.message).toContain('without a token');
  });
});

describe('limits chosen by the client', () => {
  it('8 requests asking for a 450 MB output limit are refused, and the server does not grow', async () => {
    await withServer({}, async (port) => {
      const flood = 'def f():\n    chunk = "x" * (1 << 20)\n    for _ in range(32):\n        print(chunk)\n    return 1\n';
      const before = process.memoryUsage().rss;
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => exec(port, { language: 'python', code: flood, functionName: 'f', maxOutputBytes: 450 * 1024 * 1024 })),
      );
      const grown = process.memoryUsage().rss - before;
      for (const answer of answers) {
        expect(answer.status).toBe(400);
        expect(answer.body.error).toMatchObject({ code: 'OVER_SERVER_LIMIT', field: 'maxOutputBytes', limit: 16 * 1024 * 1024 });
        expect(answer.body.error.message).toContain('maxOutputBytes');
      }
      expect(grown).toBeLessThan(200 * 1024 * 1024);
    });
  });

  it('memory and file limits above the ceilings are refused with the limit named', async () => {
    await withServer({ allowedMountRoots: [folder], maxFsBytes: 1024 * 1024 }, async (port) => {
      const code = 'def f():\n    return 1\n';
      const memory = await exec(port, { language: 'python', code, functionName: 'f', memoryLimitMb: 4096 });
      expect(memory.status).toBe(400);
      expect(memory.body.error).toMatchObject({ field: 'memoryLimitMb', limit: 1024 });
      const mount = await exec(port, { language: 'python', code, functionName: 'f', mounts: [{ hostPath: folder, maxTotalBytes: 2 ** 40 }] });
      expect(mount.body.error).toMatchObject({ code: 'OVER_SERVER_LIMIT', field: 'mounts[0].maxTotalBytes' });
      const within = await exec(port, { language: 'python', code, functionName: 'f', memoryLimitMb: 256 });
      expect(within.body.status).toBe('success');
    });
  });

  it('?wait=false answers 503 at submit time when the background places are full', async () => {
    const own = new SandboxExecutor({ poolSize: 1 });
    const server = createSandboxServer({ executor: own, maxConcurrentJobs: 1, maxPendingJobs: 1 });
    const { port } = await server.listen(0);
    try {
      const spin = { language: 'python', code: 'def spin():\n    while True:\n        pass\n', functionName: 'spin', timeoutMs: 30_000 };
      expect((await exec(port, spin, JSON_TYPE, '?wait=false')).status).toBe(202); // runs
      expect((await exec(port, spin, JSON_TYPE, '?wait=false')).status).toBe(202); // waits
      const refused = await exec(port, spin, JSON_TYPE, '?wait=false');
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('SERVER_BUSY');
      expect(refused.headers['retry-after']).toBe('1');
      expect((await exec(port, spin)).status).toBe(503);
    } finally {
      await server.close();
      // Ends the spinning calls at once.
      await own.close();
    }
  });
});

describe('connection hygiene', () => {
  it('3000 idle sockets (slowloris) are capped and timed out; the server answers afterwards', async () => {
    await withServer({ headersTimeoutMs: 500, maxConnections: 50 }, async (port, server) => {
      const sockets: Socket[] = [];
      const closed: Promise<void>[] = [];
      const settled: Promise<void>[] = [];
      for (let i = 0; i < 3000; i++) {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        // Read what the server sends, so that its closing the connection is seen here.
        socket.resume();
        closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
        settled.push(
          new Promise((resolve) => {
            socket.once('connect', () => {
              // Headers that never end.
              socket.write('POST /api/sandbox/exec HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
              resolve();
            });
            socket.once('close', () => resolve());
          }),
        );
        sockets.push(socket);
      }
      await Promise.all(settled);
      const open = await new Promise<number>((resolve, reject) => server.http.getConnections((error, count) => (error ? reject(error) : resolve(count))));
      expect(open).toBeLessThanOrEqual(50);
      // Every socket is closed by the server: at once beyond the cap, after the headers timeout otherwise.
      await Promise.all(closed);
      expect(sockets.every((socket) => socket.destroyed)).toBe(true);
      const health = await send(port, 'GET', '/api/sandbox/health', {});
      expect(health.status).toBe(200);
    });
  });

  it('a body that never finishes is cut off by the request timeout (408)', async () => {
    await withServer({ headersTimeoutMs: 300, requestTimeoutMs: 600 }, async (port) => {
      const socket = connect(port, '127.0.0.1');
      const received: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => received.push(chunk));
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      socket.write('POST /api/sandbox/exec HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"language":');
      await closed;
      expect(Buffer.concat(received).toString()).toMatch(/^HTTP\/1\.1 408/);
    });
  });

  it('a malformed % escape in the path is a 400, not a 500', async () => {
    await withServer({}, async (port) => {
      const answer = await send(port, 'GET', '/api/sandbox/exec/%E0%A4%A/events', {});
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('BAD_REQUEST');
    });
  });
});
