/**
 * Who may talk to the HTTP adapter: checks made on every request before any route runs.
 *
 * - `Host` must name the address the request came in on (or `localhost` on a loopback address), or one of
 *   `allowedHosts`: a web page that rebinds its own domain name to 127.0.0.1 (DNS rebinding) sends its own
 *   name and is refused.
 * - A browser says where a request comes from in `Origin`: only `allowedOrigins` (and the server's own
 *   origin) may call, so a page on another site cannot make a visitor's browser run code here (CSRF).
 * - With a token, every request must carry `Authorization: Bearer <token>`.
 * - Bodies must be declared `application/json`: a browser can send `text/plain` to any site without asking
 *   first, never `application/json`.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { InvalidRequestError } from '../errors.js';
import { HttpError } from './http-error.js';

/** The settings the guard enforces. */
export interface GuardOptions {
  allowedHosts?: readonly string[];
  allowedOrigins?: readonly string[];
  token?: string | readonly string[];
}

/** What the guard found out about an accepted request. */
export interface GuardVerdict {
  /** The request's `Origin` when it is one of `allowedOrigins` (the response then carries CORS headers). */
  corsOrigin?: string;
  /**
   * Who is calling: `token-N` for the N-th of the server's tokens, `anonymous` on a server without one.
   * Sessions and runs belong to the identity that created them.
   */
  identity: string;
}

export class RequestGuard {
  private readonly anyHost: boolean;
  private readonly hosts: Set<string>;
  private readonly origins: Set<string>;
  private readonly tokenDigests: Buffer[];

  constructor(options: GuardOptions) {
    const hosts = options.allowedHosts ?? [];
    this.anyHost = hosts.includes('*');
    this.hosts = new Set(hosts.map((host) => hostnameOf(host)));
    this.origins = new Set((options.allowedOrigins ?? []).map(normalizeOrigin));
    const tokens = options.token === undefined ? [] : typeof options.token === 'string' ? [options.token] : options.token;
    if (
      !Array.isArray(tokens) ||
      (options.token !== undefined && tokens.length === 0) ||
      tokens.some((token) => typeof token !== 'string' || token.length === 0)
    ) {
      throw new InvalidRequestError('token', 'token must be a non-empty string, or a non-empty list of them (one per client).');
    }
    this.tokenDigests = tokens.map(digest);
  }

  /** Whether requests must carry a token. */
  get requiresToken(): boolean {
    return this.tokenDigests.length > 0;
  }

  /**
   * @param presented the token when it came another way than the `Authorization` header (a WebSocket
   *   upgrade: browsers cannot set headers on one)
   * @throws HttpError 403 for a foreign host or origin, 401 without a valid token
   */
  check(req: IncomingMessage, presented?: string): GuardVerdict {
    if (!this.hostAllowed(req)) {
      throw new HttpError(
        403,
        'HOST_NOT_ALLOWED',
        `The Host header ${JSON.stringify(req.headers.host ?? '')} is not one this server answers to; add it to allowedHosts (serve --allow-host) if it is yours.`,
      );
    }
    const verdict: GuardVerdict = { identity: 'anonymous' };
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (this.origins.has(normalizeOrigin(origin))) verdict.corsOrigin = origin;
      else if (!sameOrigin(origin, req.headers.host)) {
        throw new HttpError(
          403,
          'ORIGIN_NOT_ALLOWED',
          `Requests from ${JSON.stringify(origin)} are not allowed; add the origin to allowedOrigins (serve --allow-origin) to let its pages call this server.`,
        );
      }
    }
    if (this.requiresToken) {
      const index = this.tokenIndex(presented ?? /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]);
      if (index < 0) {
        throw new HttpError(401, 'UNAUTHORIZED', 'This server needs the header Authorization: Bearer <token>.', {
          'www-authenticate': 'Bearer realm="sandbox-executor"',
        });
      }
      verdict.identity = `token-${index}`;
    }
    return verdict;
  }

  private hostAllowed(req: IncomingMessage): boolean {
    if (this.anyHost) return true;
    const header = req.headers.host;
    if (!header) return false;
    const name = hostnameOf(header);
    if (this.hosts.has(name)) return true;
    const local = hostnameOf(req.socket.localAddress ?? '');
    if (name === local) return true;
    return isLoopback(local) && (name === 'localhost' || isLoopback(name));
  }

  /** The index of the server's token that `token` is, or -1. Every token is compared, in constant time. */
  private tokenIndex(token: string | undefined): number {
    if (token === undefined) return -1;
    const presented = digest(token.trim());
    let found = -1;
    this.tokenDigests.forEach((expected, index) => {
      if (timingSafeEqual(presented, expected) && found < 0) found = index;
    });
    return found;
  }
}

/** @throws HttpError 415 unless the body is declared as JSON */
export function requireJsonBody(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') {
    throw new HttpError(
      415,
      'UNSUPPORTED_MEDIA_TYPE',
      `Send the body as JSON with the header Content-Type: application/json (got ${JSON.stringify(req.headers['content-type'] ?? 'none')}).`,
    );
  }
}

/** Whether an address or host name is the local machine's loopback. */
export function isLoopback(host: string): boolean {
  const name = hostnameOf(host);
  return name === 'localhost' || name === '::1' || (isIP(name) === 4 && name.startsWith('127.'));
}

/** The host name of a `Host` header or an address, without port or brackets, lower case (`::ffff:` IPv4 unwrapped). */
function hostnameOf(value: string): string {
  let name = value.trim().toLowerCase();
  if (name.startsWith('[')) name = name.slice(1, name.indexOf(']') === -1 ? undefined : name.indexOf(']'));
  else if (isIP(name) !== 6 && name.includes(':')) name = name.slice(0, name.lastIndexOf(':'));
  if (name.startsWith('::ffff:') && isIP(name.slice(7)) === 4) name = name.slice(7);
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

function normalizeOrigin(origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '');
}

/** Whether `origin` is this server itself, as the client reached it. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return host !== undefined && new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}
