/**
 * Serves the web playground (dist/playground/, built by `npm run build`) from the HTTP adapter.
 *
 * The files are read once, when the server is created, into a table keyed by URL path: a request is
 * answered from that table or not at all, so no part of a request's path ever reaches the filesystem (no
 * directory traversal, whatever the escaping). Each answer carries its content type, `nosniff`, an ETag,
 * and a Content-Security-Policy that lets the page load and connect to its own origin only. Files whose
 * names hold a content hash are cached by browsers for good; the page itself is revalidated every time.
 *
 * The page is public: it holds no secret. The API it calls keeps every check (Host, Origin, token).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, relative, sep } from 'node:path';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { InvalidRequestError } from '../errors.js';
import { packageRoot } from '../runtime/package-paths.js';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Only the page's own origin, for scripts, styles, requests (the API and its WebSocket) and images; no
 * inline script or style, no plug-ins, no framing by other sites.
 */
export const PLAYGROUND_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data: blob:; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** A name with esbuild's content hash (`app-6L2AHVFK.js`): its content never changes under that name. */
const HASHED_NAME = /-[A-Z0-9]{8}\.(js|css)$/;

interface Asset {
  body: Buffer;
  gzip?: Buffer;
  type: string;
  etag: string;
  immutable: boolean;
}

/** The folder the build writes the playground to. */
export function playgroundDir(): string {
  return join(packageRoot(), 'dist', 'playground');
}

export class PlaygroundSite {
  private readonly assets = new Map<string, Asset>();
  /** The path the page is served at, with a trailing slash (`/`, `/playground/`). */
  readonly path: string;

  constructor(path: string, apiBase: string, dir = playgroundDir()) {
    if (typeof path !== 'string' || !path.startsWith('/') || /[?#\\]|\/\.\.?(\/|$)/.test(path))
      throw new InvalidRequestError('playgroundPath', `playgroundPath must be a URL path such as "/" or "/playground", got ${JSON.stringify(path)}.`);
    this.path = path.endsWith('/') ? path : `${path}/`;
    if (this.path.startsWith(`${apiBase}/`) || this.path === `${apiBase}/`)
      throw new InvalidRequestError('playgroundPath', `playgroundPath ${path} lies under the API's basePath ${apiBase}: choose another.`);
    let files: string[];
    try {
      files = listFiles(dir);
    } catch {
      files = [];
    }
    if (!files.includes('index.html'))
      throw new InvalidRequestError(
        'playground',
        `The playground's files are missing from ${dir}; build them with "npm run build" (a published package ships them).`,
      );
    for (const file of files) {
      let body = readFileSync(join(dir, ...file.split('/')));
      // The page finds the API through this tag, so that a server with another basePath works too.
      if (file === 'index.html')
        body = Buffer.from(body.toString('utf8').replace(/(<meta name="sandbox-executor-api" content=")[^"]*(")/, `$1${escapeAttribute(apiBase)}$2`));
      const type = CONTENT_TYPES[extname(file)] ?? 'application/octet-stream';
      const compressible = /^(text\/|application\/json|image\/svg)/.test(type);
      this.assets.set(file, {
        body,
        gzip: compressible ? gzipSync(body, { level: 9 }) : undefined,
        type,
        etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
        immutable: HASHED_NAME.test(file),
      });
    }
  }

  /**
   * Answers a request for a path under the playground's (404 for a file it does not have) and returns
   * true, or returns false for any other path (the caller goes on with its routes). The caller keeps the
   * API's paths from it.
   */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    const bare = this.path.slice(0, -1);
    if (pathname === bare && bare !== '') {
      // `/playground` → `/playground/`, so that the page's relative links resolve under it.
      res.writeHead(308, { location: this.path, 'content-length': 0 });
      res.end();
      return true;
    }
    if (!pathname.startsWith(this.path)) return false;
    const name = pathname.slice(this.path.length) || 'index.html';
    const asset = this.assets.get(name);
    if (!asset) {
      notFound(res);
      return true;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('Use GET.\n');
      return true;
    }
    const headers: Record<string, string | number> = {
      'content-type': asset.type,
      etag: asset.etag,
      'cache-control': asset.immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      'content-security-policy': PLAYGROUND_CSP,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      vary: 'Accept-Encoding',
    };
    if (matchesEtag(req.headers['if-none-match'], asset.etag)) {
      res.writeHead(304, headers);
      res.end();
      return true;
    }
    const gzip = asset.gzip !== undefined && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    const body = gzip ? asset.gzip! : asset.body;
    if (gzip) headers['content-encoding'] = 'gzip';
    headers['content-length'] = body.byteLength;
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  }
}

/** Every file under `dir`, as `/`-separated paths relative to it. */
function listFiles(dir: string): string[] {
  const files: string[] = [];
  const walk = (folder: string): void => {
    for (const entry of readdirSync(folder)) {
      const full = join(folder, entry);
      if (statSync(full).isDirectory()) walk(full);
      else files.push(relative(dir, full).split(sep).join('/'));
    }
  };
  walk(dir);
  return files;
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag || tag.trim() === '*');
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  res.end('Not found.\n');
}

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
}
