/**
 * Sessions over HTTP, the way a control plane exposes them: `POST {base}/sessions` starts one (with
 * `code`: a session of its functions; without: a context, a live interpreter for snippets), `POST
 * {base}/sessions/{id}/exec` runs a snippet or calls a function in it, `GET` describes it, `DELETE`
 * closes it.
 *
 * A session holds a worker thread and an interpreter, so HTTP clients get few of them: at most
 * `maxSessions` on the server (503 beyond) and `maxSessionsPerToken` per client identity (429 beyond).
 * Each closes after `idleTimeoutMs` without a run (the library's idle timer) and after `maxLifetimeMs`
 * whatever it does. A session belongs to the identity (token) that created it: for any other, its id
 * does not exist (404, never 403, so that ids do not leak). Ids are random UUIDs.
 */
import { randomUUID } from 'node:crypto';
import { InvalidRequestError } from '../errors.js';
import type { SandboxExecutor } from '../executor.js';
import type { Context } from '../session/context.js';
import type { Session } from '../session/session.js';
import type { ExecutionResult } from '../types.js';
import { HttpError } from './http-error.js';
import { atMost, filesBytes, type RequestCeilings } from './request-limits.js';
import type { BeginRun } from './server-runs.js';

/** The server's limits on HTTP sessions, resolved. */
export interface SessionCeilings {
  maxSessions: number;
  maxSessionsPerToken: number;
  maxSessionLifetimeMs: number;
  maxSessionIdleMs: number;
}

/** Default idle timeout of an HTTP session (when under the server's ceiling). */
const DEFAULT_IDLE_MS = 60_000;

/** The fields of `POST /sessions`. */
const CREATE_FIELDS = new Set(['language', 'code', 'env', 'argv', 'files', 'idleTimeoutMs', 'maxLifetimeMs', 'timeoutMs', 'memoryLimitMb', 'maxOutputBytes']);
/** The fields of `POST /sessions/{id}/exec`. */
const EXEC_FIELDS = new Set(['code', 'functionName', 'args', 'kwargs', 'timeoutMs']);

interface Entry {
  id: string;
  owner: string;
  kind: 'session' | 'context';
  handle: Session | Context;
  /** The functions of a session's code. */
  functions?: string[];
  createdAt: number;
  expiresAt: number;
  idleTimeoutMs: number;
  timeoutMs: number;
  lifetime: NodeJS.Timeout;
}

export class HttpSessions {
  private readonly entries = new Map<string, Entry>();
  /** Sessions being created, per identity (they count against the caps while they start). */
  private readonly starting = new Map<string, number>();
  private startingTotal = 0;

  constructor(
    private readonly executor: SandboxExecutor,
    private readonly ceilings: RequestCeilings,
    private readonly limits: SessionCeilings,
  ) {}

  /**
   * Creates a session (with `code`) or a context (without) for `owner`.
   *
   * @throws HttpError 503 SESSION_LIMIT (server full) or 429 TOKEN_SESSION_LIMIT (this identity's quota),
   *   400 for a bad or over-limit field; the executor's errors (a language without contexts, code that
   *   does not build)
   */
  async create(owner: string, body: unknown): Promise<Record<string, unknown>> {
    const options = this.checkCreate(body);
    this.prune();
    if (this.entries.size + this.startingTotal >= this.limits.maxSessions) {
      throw new HttpError(503, 'SESSION_LIMIT', `This server has ${this.limits.maxSessions} sessions open (maxSessions); try again later.`, {
        'retry-after': '5',
      });
    }
    const mine = [...this.entries.values()].filter((entry) => entry.owner === owner).length + (this.starting.get(owner) ?? 0);
    if (mine >= this.limits.maxSessionsPerToken) {
      throw new HttpError(
        429,
        'TOKEN_SESSION_LIMIT',
        `You have ${this.limits.maxSessionsPerToken} sessions open (maxSessionsPerToken); delete one, or wait for one to close.`,
        { 'retry-after': '5' },
      );
    }
    this.starting.set(owner, (this.starting.get(owner) ?? 0) + 1);
    this.startingTotal += 1;
    let handle: Session | Context;
    try {
      const { maxLifetimeMs: _lifetime, code, ...common } = options;
      handle = code === undefined ? await this.executor.createContext(common as never) : await this.executor.createSession({ ...common, code } as never);
    } finally {
      this.startingTotal -= 1;
      this.starting.set(owner, (this.starting.get(owner) ?? 1) - 1);
    }
    const id = randomUUID();
    const now = Date.now();
    const entry: Entry = {
      id,
      owner,
      kind: options.code === undefined ? 'context' : 'session',
      handle,
      functions:
        options.code === undefined ? undefined : this.executor.describe({ language: handle.language, code: options.code }).functions.map((f) => f.name),
      createdAt: now,
      expiresAt: now + options.maxLifetimeMs,
      idleTimeoutMs: options.idleTimeoutMs,
      timeoutMs: options.timeoutMs,
      lifetime: setTimeout(() => void this.drop(entry), options.maxLifetimeMs),
    };
    entry.lifetime.unref();
    this.entries.set(id, entry);
    return this.describe(entry);
  }

  /** What `GET /sessions/{id}` answers. @throws HttpError 404 */
  get(id: string, owner: string): Record<string, unknown> {
    return this.describe(this.find(id, owner));
  }

  /** Closes a session. @throws HttpError 404 */
  async delete(id: string, owner: string): Promise<void> {
    await this.drop(this.find(id, owner));
  }

  /**
   * How to run a snippet (`code`, in a context) or a call (`functionName`, `args`, `kwargs`) in a session,
   * as a server run. @throws HttpError 404, InvalidRequestError for a bad body
   */
  beginExec(id: string, owner: string, body: unknown): BeginRun {
    const entry = this.find(id, owner);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequestError('request', 'The body must be a JSON object.');
    const fields = body as Record<string, unknown>;
    for (const key of Object.keys(fields)) if (!EXEC_FIELDS.has(key)) throw new InvalidRequestError(key, `Unknown field ${JSON.stringify(key)}.`);
    const timeoutMs = typeof fields.timeoutMs === 'number' ? Math.min(fields.timeoutMs, this.ceilings.maxTimeoutMs) : entry.timeoutMs;
    if (fields.code !== undefined) {
      if (fields.functionName !== undefined) throw new InvalidRequestError('code', 'Send a snippet (code) or a call (functionName), not both.');
      if (entry.kind === 'session') {
        throw new InvalidRequestError(
          'code',
          'This session calls the functions of its code: send functionName. Snippets run in a context (a session created without code).',
        );
      }
      const context = entry.handle as Context;
      return ({ signal, onStdout, onStderr }) => ({ result: context.run(fields.code as string, { timeoutMs, signal, onStdout, onStderr }) });
    }
    if (fields.functionName === undefined) throw new InvalidRequestError('functionName', 'Send a snippet (code) or a call (functionName, args, kwargs).');
    const call = { functionName: fields.functionName as string, args: fields.args as unknown[], kwargs: fields.kwargs as Record<string, unknown>, timeoutMs };
    return ({ signal, onStdout, onStderr }) => ({
      result: (entry.handle.invoke as (request: object) => Promise<ExecutionResult>).call(entry.handle, { ...call, signal, onStdout, onStderr }),
    });
  }

  /** Closes every session (the server closes). */
  async closeAll(): Promise<void> {
    await Promise.all([...this.entries.values()].map((entry) => this.drop(entry)));
  }

  /** @throws HttpError 404 for an unknown id, one of another identity, or a session that has closed */
  private find(id: string, owner: string): Entry {
    this.prune();
    const entry = this.entries.get(id);
    if (entry === undefined || entry.owner !== owner) {
      throw new HttpError(404, 'SESSION_NOT_FOUND', `No session ${JSON.stringify(id.slice(0, 80))} (it may have closed: idle, past its lifetime, or deleted).`);
    }
    return entry;
  }

  /** Forgets the sessions that closed by themselves (idle timeout, a timeout or crash of a run). */
  private prune(): void {
    for (const entry of this.entries.values()) {
      if (entry.handle.state === 'closed') {
        clearTimeout(entry.lifetime);
        this.entries.delete(entry.id);
      }
    }
  }

  private async drop(entry: Entry): Promise<void> {
    clearTimeout(entry.lifetime);
    this.entries.delete(entry.id);
    await entry.handle.close().catch(() => undefined);
  }

  private describe(entry: Entry): Record<string, unknown> {
    return {
      id: entry.id,
      kind: entry.kind,
      language: entry.handle.language,
      state: entry.handle.state,
      ...(entry.functions ? { functions: entry.functions } : {}),
      idleTimeoutMs: entry.idleTimeoutMs,
      createdAt: new Date(entry.createdAt).toISOString(),
      expiresAt: new Date(entry.expiresAt).toISOString(),
    };
  }

  /** The fields of `POST /sessions`, checked against the server's ceilings. */
  private checkCreate(body: unknown): {
    language: unknown;
    code?: string;
    idleTimeoutMs: number;
    maxLifetimeMs: number;
    timeoutMs: number;
    [field: string]: unknown;
  } {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new InvalidRequestError('request', 'The body must be a JSON object.');
    const fields: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) {
      if (!CREATE_FIELDS.has(key)) throw new InvalidRequestError(key, `Unknown field ${JSON.stringify(key)}.`);
      if (value !== undefined) fields[key] = value;
    }
    if (fields.code !== undefined && typeof fields.code !== 'string')
      throw new InvalidRequestError('code', 'code must be a string (or left out, for a context).');
    const idleTimeoutMs = duration(
      fields,
      'idleTimeoutMs',
      Math.min(DEFAULT_IDLE_MS, this.limits.maxSessionIdleMs),
      this.limits.maxSessionIdleMs,
      'maxSessionIdleMs',
    );
    const maxLifetimeMs = duration(fields, 'maxLifetimeMs', this.limits.maxSessionLifetimeMs, this.limits.maxSessionLifetimeMs, 'maxSessionLifetimeMs');
    const timeoutMs = typeof fields.timeoutMs === 'number' ? Math.min(fields.timeoutMs, this.ceilings.maxTimeoutMs) : this.ceilings.maxTimeoutMs;
    atMost('memoryLimitMb', fields.memoryLimitMb, this.ceilings.maxMemoryLimitMb, 'maxMemoryLimitMb');
    atMost('maxOutputBytes', fields.maxOutputBytes, this.ceilings.maxOutputBytes, 'maxOutputBytes');
    atMost('files', filesBytes(fields.files), this.ceilings.maxFsBytes, 'maxFsBytes');
    return { ...fields, language: fields.language, idleTimeoutMs, maxLifetimeMs, timeoutMs };
  }
}

/** A positive duration field, its default, at most the server's ceiling (400 OVER_SERVER_LIMIT above it). */
function duration(fields: Record<string, unknown>, field: string, fallback: number, ceiling: number, option: string): number {
  const value = fields[field];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidRequestError(field, `${field} must be a number of milliseconds above 0 (at most ${ceiling}).`);
  }
  atMost(field, value, ceiling, option);
  return value;
}
