/**
 * How the playground's files are served (no browser needed): content types, caching, the
 * Content-Security-Policy, no way out of the playground's folder whatever the path's escaping, the page
 * public while the API keeps its token, and the `serve` flags.
 */
import { request } from 'node:http';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import { InvalidRequestError } from '../../src/errors.js';
import { createSandboxServer, type SandboxServer } from '../../src/server/index.js';
import { PLAYGROUND_CSP } from '../../src/server/playground-site.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** A request whose path is sent exactly as given (fetch and URL would normalize `..` and escapes). */
function raw(port: number, path: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the playground served by createSandboxServer({ playground: true })', () => {
  let server: SandboxServer;
  let port: number;

  beforeAll(async () => {
    server = createSandboxServer({ playground: true, token: 'api-secret', maxConcurrentJobs: 1 });
    ({ port } = await server.listen(0));
  });
  afterAll(() => server.close());

  it('serves the page with its content type, revalidation, nosniff and a CSP that allows only its own origin', async () => {
    const page = await raw(port, '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['x-content-type-options']).toBe('nosniff');
    expect(page.headers['content-security-policy']).toBe(PLAYGROUND_CSP);
    expect(PLAYGROUND_CSP).toMatch(/default-src 'none'/);
    expect(PLAYGROUND_CSP).not.toMatch(/unsafe|\*|https?:/);
    const html = page.body.toString('utf8');
    expect(html).toContain('<meta name="sandbox-executor-api" content="/api/sandbox" />');
    // No script or style of its own inline: the CSP would block them.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=/i);
    const again = await raw(port, '/', { headers: { 'if-none-match': String(page.headers.etag) } });
    expect(again.status).toBe(304);
    expect(again.body.byteLength).toBe(0);
  });

  it('serves the script, its chunks and the style sheet, cached for good under their hashed names, gzipped when asked', async () => {
    const html = (await raw(port, '/')).body.toString('utf8');
    const script = /src="([^"]+\.js)"/.exec(html)![1];
    const styles = /href="([^"]+\.css)"/.exec(html)![1];
    const js = await raw(port, `/${script}`);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const css = await raw(port, `/${styles}`, { headers: { 'accept-encoding': 'gzip, br' } });
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(css.body).equals(await readFile(join(ROOT, 'dist', 'playground', styles)))).toBe(true);
    // Every chunk the script imports is there.
    const chunks = [...js.body.toString('utf8').matchAll(/"\.\/(chunks\/[^"]+\.js)"/g)].map((match) => match[1]);
    expect(chunks.length).toBeGreaterThan(0);
    for (const chunk of chunks) expect((await raw(port, `/${chunk}`)).status).toBe(200);
  });

  it('never answers with a file outside the playground, whatever the escaping of the path', async () => {
    const secret = await readFile(join(ROOT, 'package.json'));
    for (const path of [
      '/../package.json',
      '/../../package.json',
      '/%2e%2e/package.json',
      '/%2e%2e/%2e%2e/package.json',
      '/chunks/..%2f..%2f..%2fpackage.json',
      '/%2E%2E%2Fpackage.json',
      '/chunks/../../package.json',
      '/chunks/..%2f..%2fpackage.json',
      '/..%5c..%5cpackage.json',
      '/..\\package.json',
      '//etc/passwd',
      '/%2fetc%2fpasswd',
      '/index.html%00.js',
      '/chunks/',
      '/chunks',
    ]) {
      const answer = await raw(port, path);
      expect([404, 400, 401], path).toContain(answer.status);
      expect(answer.body.includes(secret.subarray(0, 40)), path).toBe(false);
      expect(answer.body.toString('utf8'), path).not.toContain('root:');
    }
  });

  it('answers only GET and HEAD for the page', async () => {
    expect((await raw(port, '/', { method: 'POST' })).status).toBe(405);
    const head = await raw(port, '/', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body.byteLength).toBe(0);
  });

  it('keeps the page public and the API behind its token', async () => {
    expect((await raw(port, '/')).status).toBe(200);
    expect((await raw(port, '/api/sandbox/health')).status).toBe(401);
    expect((await raw(port, '/api/sandbox/exec', { method: 'POST', headers: { 'content-type': 'application/json' } })).status).toBe(401);
    expect((await raw(port, '/api/sandbox/health', { headers: { authorization: 'Bearer api-secret' } })).status).toBe(200);
  });
});

describe('the package', () => {
  it('ships the built page (dist/playground) and no screenshot', async () => {
    const { execFileSync } = await import('node:child_process');
    const listing = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const files = (JSON.parse(listing) as { files: { path: string }[] }[])[0].files.map((file) => file.path);
    const built = files.filter((file) => file.startsWith('dist/playground/'));
    expect(built).toContain('dist/playground/index.html');
    expect(built.filter((file) => file.endsWith('.css'))).toHaveLength(1);
    expect(built.filter((file) => file.startsWith('dist/playground/chunks/')).length).toBeGreaterThan(0);
    expect(files.filter((file) => file.startsWith('docs/images/') || file.startsWith('playground/'))).toEqual([]);
  });
});

describe('where the playground is served', () => {
  it('at playgroundPath, telling the page where the API is', async () => {
    const server = createSandboxServer({ playground: true, playgroundPath: '/play', basePath: '/v1/sandbox', maxConcurrentJobs: 1 });
    try {
      const { port } = await server.listen(0);
      const bare = await raw(port, '/play');
      expect(bare.status).toBe(308);
      expect(bare.headers.location).toBe('/play/');
      const page = await raw(port, '/play/');
      expect(page.status).toBe(200);
      expect(page.body.toString('utf8')).toContain('content="/v1/sandbox"');
      expect((await raw(port, '/')).status).toBe(404);
      expect((await raw(port, '/v1/sandbox/health')).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('not at all by default, and never inside the API', async () => {
    const server = createSandboxServer({ maxConcurrentJobs: 1 });
    try {
      const { port } = await server.listen(0);
      expect((await raw(port, '/')).status).toBe(404);
    } finally {
      await server.close();
    }
    expect(() => createSandboxServer({ playground: true, playgroundPath: '/api/sandbox/ui' })).toThrow(InvalidRequestError);
    expect(() => createSandboxServer({ playground: true, playgroundPath: 'play' })).toThrow(/playgroundPath/);
  });
});

describe('sandbox-executor serve and the playground', () => {
  /** Runs `serve` in this process until it prints where the playground is, then stops it. */
  async function serve(args: string[]): Promise<{ code: number; stdout: string; stderr: string; opened: string[]; pageStatus?: number }> {
    let stdout = '';
    let stderr = '';
    const opened: string[] = [];
    let stop!: () => void;
    const stopSignal = new Promise<void>((resolve) => (stop = resolve));
    let pageStatus: number | undefined;
    const out = new Writable({
      write(chunk: Buffer, _encoding, done) {
        stdout += chunk.toString();
        const api = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stdout);
        if (api && stdout.endsWith('\n') && (stdout.includes('playground:') || args.includes('--no-playground'))) {
          void raw(Number(api[1]), args.includes('--no-playground') ? '/' : (/playground: http:\/\/[^/]+(\S+)/.exec(stdout)?.[1] ?? '/'))
            .then((answer) => (pageStatus = answer.status))
            .finally(stop);
        }
        done();
      },
    });
    const err = new Writable({
      write(chunk: Buffer, _encoding, done) {
        stderr += chunk.toString();
        done();
      },
    });
    const code = await main(['serve', '--port', '0', ...args], { stdout: out, stderr: err, openUrl: (url) => opened.push(url), stopSignal });
    return { code, stdout, stderr, opened, pageStatus };
  }

  it('serves the playground by default, and --open opens it in a browser', async () => {
    const r = await serve(['--open']);
    expect(r.code).toBe(0);
    const url = /playground: (\S+)/.exec(r.stdout)![1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    expect(r.opened).toEqual([url]);
    expect(r.pageStatus).toBe(200);
  });

  it('--playground-path moves it; --no-playground leaves it out, and refuses --open with it', async () => {
    const moved = await serve(['--playground-path', '/ui']);
    expect(moved.stdout).toMatch(/playground: http:\/\/127\.0\.0\.1:\d+\/ui\/\n/);
    expect(moved.pageStatus).toBe(200);
    expect(moved.opened).toEqual([]);
    const none = await serve(['--no-playground']);
    expect(none.stdout).not.toContain('playground:');
    expect(none.pageStatus).toBe(404);
    const refused = await serve(['--no-playground', '--open']);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain('--no-playground excludes --open');
  });
});
