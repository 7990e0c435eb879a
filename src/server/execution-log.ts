/**
 * The executions a server has started, with their events, so that a client can follow one by id while it
 * runs (and shortly after it ended) over Server-Sent Events.
 */
import type { ExecutionPhaseEvent } from '../types.js';

/** An event of one execution, as sent to followers, with the time the server recorded it (ms since 1970). */
export type ExecutionEvent = { timestamp?: number } & (
  | { type: 'execution-output'; id: string; stream: 'stdout' | 'stderr'; data: string }
  /** A phase of the call starts or ends (the library's `ExecutionPhaseEvent`, with the server's id). */
  | ({ type: 'execution-phase'; id: string } & Omit<ExecutionPhaseEvent, 'id'>)
  | { type: 'execution-complete'; id: string; result: Record<string, unknown> }
  | { type: 'execution-failed'; id: string; error: Record<string, unknown> }
);

interface Entry {
  /** The identity of the client that started it: only the same identity may follow it. */
  owner: string;
  events: ExecutionEvent[];
  /** Bytes of output events kept, to bound memory. */
  bytes: number;
  truncated: boolean;
  done: boolean;
  /** Size of the final event, counted against the retained total once the execution ended. */
  finalBytes: number;
  followers: Set<(event: ExecutionEvent) => void>;
  expiry?: NodeJS.Timeout;
}

export class ExecutionLog {
  private readonly entries = new Map<string, Entry>();
  /** Bytes held by finished executions (their output and final event). */
  private retainedBytes = 0;

  constructor(
    /** How long a finished execution stays available to late followers. */
    private readonly retainMs: number,
    /** Most output bytes replayed to a late follower. */
    private readonly maxReplayBytes: number,
    /**
     * Most bytes kept for finished executions, all together: past it the oldest are forgotten early, so
     * that many calls with large results cannot pile up in memory for `retainMs`.
     */
    private readonly maxRetainedBytes = 64 * 1024 * 1024,
  ) {}

  open(id: string, owner: string): void {
    this.entries.set(id, { owner, events: [], bytes: 0, truncated: false, done: false, finalBytes: 0, followers: new Set() });
  }

  /** Whether `owner` may follow the execution `id` (false for an unknown id, or one another client started). */
  has(id: string, owner: string): boolean {
    return this.entries.get(id)?.owner === owner;
  }

  record(event: ExecutionEvent): void {
    const entry = this.entries.get(event.id);
    if (!entry || entry.done) return;
    event.timestamp ??= Date.now();
    if (event.type === 'execution-output') {
      entry.bytes += Buffer.byteLength(event.data);
      if (entry.bytes <= this.maxReplayBytes) entry.events.push(event);
      else entry.truncated = true;
    } else if (event.type === 'execution-phase') {
      // A handful per call: always kept for replay.
      entry.events.push(event);
    } else {
      entry.events.push(event);
      entry.done = true;
      entry.finalBytes = JSON.stringify(event).length + Math.min(entry.bytes, this.maxReplayBytes);
      this.retainedBytes += entry.finalBytes;
      entry.expiry = setTimeout(() => this.forget(event.id), this.retainMs);
      entry.expiry.unref();
    }
    for (const follower of entry.followers) follower(event);
    if (entry.done) {
      entry.followers.clear();
      this.evictOldest(event.id);
    }
  }

  private forget(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    clearTimeout(entry.expiry);
    if (entry.done) this.retainedBytes -= entry.finalBytes;
    this.entries.delete(id);
  }

  /** Forgets the oldest finished executions (never `keep`, the one just finished) while over the cap. */
  private evictOldest(keep: string): void {
    for (const [id, entry] of this.entries) {
      if (this.retainedBytes <= this.maxRetainedBytes) return;
      if (entry.done && id !== keep) this.forget(id);
    }
  }

  /**
   * Replays what happened so far, then calls `listener` for each new event until the execution ends.
   * Returns a function that stops following, or undefined for an unknown id.
   */
  follow(id: string, listener: (event: ExecutionEvent) => void): (() => void) | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    for (const event of entry.events) listener(event);
    if (entry.done) return () => undefined;
    entry.followers.add(listener);
    return () => entry.followers.delete(listener);
  }

  /** Whether some output was not kept for replay. */
  truncated(id: string): boolean {
    return this.entries.get(id)?.truncated ?? false;
  }

  clear(): void {
    for (const entry of this.entries.values()) clearTimeout(entry.expiry);
    this.entries.clear();
    this.retainedBytes = 0;
  }
}
