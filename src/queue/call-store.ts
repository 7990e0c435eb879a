/**
 * The state of each call in Redis, shared by every submitter, worker and server: BullMQ only schedules the
 * job; what the call did lives here, so that any process can follow it and no process's memory holds it.
 *
 * Per call, two keys with the same hash tag (`{id}`, so both sit in one Redis Cluster slot):
 *
 * - `<prefix>:<queue>:call:{<id>}:events`, a stream: every event of the call in order (`queued`, `start`
 *   of each attempt, `output`, then one final `result` or `failed`). Each entry is also published on the
 *   channel of the same name, so followers get it at once; the stream is what a late follower replays.
 * - `<prefix>:<queue>:call:{<id>}:state`, a hash: `attempts`, `owner` (the token of the attempt allowed to
 *   write: `<attempt>|<worker>`), `cancel`, `deadline`, `done`.
 *
 * Every write goes through a Lua script that checks the owner and that the call is not done: once a newer
 * attempt has claimed the call (its worker was presumed dead), the old attempt can no longer add output or
 * a result, and a call gets exactly one final event.
 */
import type { Redis as IORedis } from 'ioredis';

/** Redis keys of one call. */
export interface CallKeys {
  state: string;
  events: string;
}

/** Keys of call `id` on queue `name` under `prefix`. */
export function callKeys(prefix: string, name: string, id: string): CallKeys {
  const base = `${prefix}:${name}:call:{${id}}`;
  return { state: `${base}:state`, events: `${base}:events` };
}

/** The channel on which cancellations of a queue's calls are announced to its workers. */
export function cancelChannel(prefix: string, name: string): string {
  return `${prefix}:${name}:cancel`;
}

/** Events above this size are published without their body; followers read them from the stream. */
const INLINE_PUBLISH_BYTES = 64 * 1024;

// `TIME` is Redis's clock, the same for every process, so deadlines do not depend on machines' clocks.
const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

const PUBLISH = `
local function publish(id, body, inline)
  if inline == '1' then redis.call('PUBLISH', KEYS[2], id .. '\\n' .. body) else redis.call('PUBLISH', KEYS[2], id) end
end`;

const SCRIPTS = {
  /**
   * ARGV: ttlMs (how long an unfinished call is kept), (unused), inline, deadlineMs (0: none), retainMs
   * (how long a finished call is kept). Writes the \`queued\` event. Returns [entryId, now] or nil when the
   * call exists.
   */
  sandboxCallCreate: `${NOW} ${PUBLISH}
local body = '{"type":"queued","at":' .. now .. '}'
if redis.call('EXISTS', KEYS[1]) == 1 then return false end
redis.call('HSET', KEYS[1], 'created', now, 'attempts', 0, 'ttl', ARGV[1], 'retain', ARGV[5])
if tonumber(ARGV[4]) > 0 then redis.call('HSET', KEYS[1], 'deadline', now + tonumber(ARGV[4])) end
local id = redis.call('XADD', KEYS[2], '*', 'e', body)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
publish(id, body, '1')
return {id, tostring(now)}`,

  /**
   * ARGV: worker. Returns ['missing'], ['done'], or ['claimed', token, attempt, cancelReason,
   * msToDeadline (-1: none), queuedMs, now, worker1, started1, worker2, started2…] (the earlier attempts).
   */
  sandboxCallClaim: `${NOW}
if redis.call('EXISTS', KEYS[1]) == 0 then return {'missing'} end
if redis.call('HEXISTS', KEYS[1], 'done') == 1 then return {'done'} end
local attempt = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
local token = attempt .. '|' .. ARGV[1]
redis.call('HSET', KEYS[1], 'owner', token, 'worker:' .. attempt, ARGV[1], 'started:' .. attempt, now)
local ttl = redis.call('HGET', KEYS[1], 'ttl')
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('PEXPIRE', KEYS[2], ttl)
local deadline = redis.call('HGET', KEYS[1], 'deadline')
local reply = {'claimed', token, tostring(attempt), redis.call('HGET', KEYS[1], 'cancel') or '',
  deadline and tostring(tonumber(deadline) - now) or '-1', tostring(now - tonumber(redis.call('HGET', KEYS[1], 'created'))), tostring(now)}
for i = 1, attempt - 1 do
  reply[#reply + 1] = redis.call('HGET', KEYS[1], 'worker:' .. i) or ''
  reply[#reply + 1] = redis.call('HGET', KEYS[1], 'started:' .. i) or ''
end
return reply`,

  /**
   * ARGV: token ('' takes the call over: the submitter ends a call no worker holds), final ('1'/'0'),
   * event, inline. Returns the entry id, or nil when this writer no longer owns the call.
   */
  sandboxCallAppend: `${PUBLISH}
if redis.call('EXISTS', KEYS[1]) == 0 or redis.call('HEXISTS', KEYS[1], 'done') == 1 then return false end
if ARGV[1] == '' then redis.call('HSET', KEYS[1], 'owner', '') elseif redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return false end
local id = redis.call('XADD', KEYS[2], '*', 'e', ARGV[3])
publish(id, ARGV[3], ARGV[4])
if ARGV[2] == '1' then
  redis.call('HSET', KEYS[1], 'done', id)
  local retain = redis.call('HGET', KEYS[1], 'retain')
  redis.call('PEXPIRE', KEYS[1], retain)
  redis.call('PEXPIRE', KEYS[2], retain)
end
return id`,

  /** Returns milliseconds since the call was submitted (Redis's clock), or -1 when there is no such call. */
  sandboxCallAge: `${NOW}
local created = redis.call('HGET', KEYS[1], 'created')
if not created then return -1 end
return now - tonumber(created)`,

  /** ARGV: reason, channel, id. Returns -1 (no such call), 0 (already ended) or 1 (cancellation announced). */
  sandboxCallCancel: `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
if redis.call('HEXISTS', KEYS[1], 'done') == 1 then return 0 end
redis.call('HSET', KEYS[1], 'cancel', ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1`,
} as const;

type ScriptName = keyof typeof SCRIPTS;
type ScriptClient = IORedis & Record<ScriptName, (...args: (string | number)[]) => Promise<unknown>>;

/** An event as written: JSON with its `type`; `final` ends the call. */
export type CallEvent = { type: string; final?: boolean; [field: string]: unknown };

/** What a claim found. */
export type Claim =
  | { kind: 'missing' | 'done' }
  | {
      kind: 'claimed';
      token: string;
      attempt: number;
      /** Why the call was cancelled, if it was before this attempt. */
      cancelled: string | undefined;
      /** Milliseconds left before the call's deadline, if it has one. */
      deadlineInMs: number | undefined;
      /** Milliseconds from submission to this claim, on Redis's clock. */
      queuedMs: number;
      /** When this attempt started (Redis time, ms since the epoch). */
      startedAt: number;
      /** The earlier attempts: which worker started each, and when (Redis time, ms since the epoch). */
      earlier: { attempt: number; worker: string; startedAt: number }[];
    };

/** Calls' state in Redis, through one client. */
export class CallStore {
  private readonly redis: ScriptClient;

  constructor(
    redis: IORedis,
    readonly prefix: string,
    readonly name: string,
  ) {
    for (const [script, lua] of Object.entries(SCRIPTS)) {
      if (!(script in redis)) redis.defineCommand(script, { numberOfKeys: script === 'sandboxCallCancel' || script === 'sandboxCallAge' ? 1 : 2, lua });
    }
    this.redis = redis as ScriptClient;
  }

  keys(id: string): CallKeys {
    return callKeys(this.prefix, this.name, id);
  }

  /** Creates the call's state with its `queued` event; undefined when a call with this id exists already. */
  async create(id: string, times: { ttlMs: number; retainMs: number; deadlineMs: number | undefined }): Promise<{ submittedAt: number } | undefined> {
    const keys = this.keys(id);
    const reply = (await this.redis.sandboxCallCreate(keys.state, keys.events, times.ttlMs, '', '1', times.deadlineMs ?? 0, times.retainMs)) as
      [string, string] | null;
    return reply ? { submittedAt: Number(reply[1]) } : undefined;
  }

  async claim(id: string, worker: string): Promise<Claim> {
    const keys = this.keys(id);
    const reply = (await this.redis.sandboxCallClaim(keys.state, keys.events, worker)) as string[];
    if (reply[0] !== 'claimed') return { kind: reply[0] as 'missing' | 'done' };
    const earlier: { attempt: number; worker: string; startedAt: number }[] = [];
    for (let i = 7; i + 1 < reply.length; i += 2) earlier.push({ attempt: earlier.length + 1, worker: reply[i]!, startedAt: Number(reply[i + 1]) });
    const deadline = Number(reply[4]);
    return {
      kind: 'claimed',
      token: reply[1]!,
      attempt: Number(reply[2]),
      cancelled: reply[3] === '' ? undefined : reply[3],
      deadlineInMs: deadline === -1 ? undefined : deadline,
      queuedMs: Number(reply[5]),
      startedAt: Number(reply[6]),
      earlier,
    };
  }

  /**
   * Appends an event if `token` still owns the call (`''`: take the call over). A final event ends the
   * call: its keys expire the queue's `retainMs` later. Resolves with whether it was written.
   */
  async append(id: string, token: string, event: CallEvent): Promise<boolean> {
    const keys = this.keys(id);
    const body = JSON.stringify(event);
    return (await this.redis.sandboxCallAppend(keys.state, keys.events, token, event.final ? '1' : '0', body, inline(body))) !== null;
  }

  /** Marks the call cancelled and tells the workers. */
  async cancel(id: string, reason: string): Promise<'not-found' | 'ended' | 'announced'> {
    const reply = Number(await this.redis.sandboxCallCancel(this.keys(id).state, reason, cancelChannel(this.prefix, this.name), id));
    return reply === -1 ? 'not-found' : reply === 0 ? 'ended' : 'announced';
  }

  /** Milliseconds since the call was submitted, on Redis's clock (0 when it is gone). */
  async age(id: string): Promise<number> {
    return Math.max(0, Number(await this.redis.sandboxCallAge(this.keys(id).state)));
  }

  /** Why the call was cancelled, if it was. */
  async cancelReason(id: string): Promise<string | undefined> {
    return (await this.redis.hget(this.keys(id).state, 'cancel')) ?? undefined;
  }

  /** Whether the call exists (its state has not expired). */
  async exists(id: string): Promise<boolean> {
    return (await this.redis.exists(this.keys(id).state)) === 1;
  }
}

function inline(body: string): '1' | '0' {
  return body.length <= INLINE_PUBLISH_BYTES ? '1' : '0';
}
