/**
 * Following calls' events from any process: one subscriber connection per queue object carries the
 * live events of every call it follows; each follower first replays the call's stream, then takes live
 * events newer than the last one it delivered. After the subscriber reconnects (Redis restarted, network
 * cut), each follower reads the stream again from its last entry, so a gap in Pub/Sub loses nothing.
 */
import type { Redis as IORedis } from 'ioredis';
import { CallNotFoundError } from './errors.js';
import type { CallStore } from './call-store.js';
import type { StoredEvent } from './events.js';

/** Compares two stream entry ids (`<ms>-<seq>`). */
function compareIds(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number) as [number, number];
  const [bm, bs] = b.split('-').map(Number) as [number, number];
  return am - bm || as - bs;
}

interface Follower {
  lastId: string;
  /** Live messages that arrived while the stream was being read. */
  held: string[] | undefined;
  /** The reading in progress (one at a time, so events stay in order). */
  reading: Promise<void>;
  deliver(event: StoredEvent): void;
  fail(error: unknown): void;
  ended: boolean;
}

export class CallFollowers {
  private readonly byChannel = new Map<string, Set<Follower>>();
  private connectedOnce = false;

  constructor(
    private readonly commands: IORedis,
    private readonly subscriber: IORedis,
    private readonly store: CallStore,
  ) {
    subscriber.on('message', (channel: string, message: string) => {
      for (const follower of this.byChannel.get(channel) ?? []) this.onMessage(channel, follower, message);
    });
    subscriber.on('ready', () => {
      // ioredis subscribes again by itself; what was published in between is read from the streams.
      if (this.connectedOnce) for (const [channel, followers] of this.byChannel) for (const follower of followers) this.catchUp(channel, follower);
      this.connectedOnce = true;
    });
  }

  /**
   * Calls `deliver` with every event of call `id`, from its first, in order, until its final event.
   * `fail` gets a {@link CallNotFoundError} when there is no such call, or a Redis error.
   * Returns a function that stops following.
   */
  follow(id: string, deliver: (event: StoredEvent) => void, fail: (error: unknown) => void): () => void {
    const channel = this.store.keys(id).events;
    const follower: Follower = { lastId: '0-0', held: [], reading: Promise.resolve(), deliver, fail, ended: false };
    let followers = this.byChannel.get(channel);
    if (!followers) {
      followers = new Set();
      this.byChannel.set(channel, followers);
    }
    followers.add(follower);
    const stop = (): void => {
      follower.ended = true;
      const set = this.byChannel.get(channel);
      if (!set?.delete(follower) || set.size > 0) return;
      this.byChannel.delete(channel);
      this.subscriber.unsubscribe(channel).catch(() => undefined);
    };
    follower.deliver = (event) => {
      deliver(event);
      if (event.final) stop();
    };
    follower.fail = (error) => {
      stop();
      fail(error);
    };
    // Subscribed before the stream is read, so that nothing published in between is missed.
    this.subscriber.subscribe(channel).then(
      () => this.catchUp(channel, follower, true),
      (error: unknown) => follower.fail(error),
    );
    return stop;
  }

  private onMessage(channel: string, follower: Follower, message: string): void {
    if (follower.ended) return;
    if (follower.held) {
      follower.held.push(message);
      return;
    }
    const newline = message.indexOf('\n');
    if (newline < 0) {
      // Published without its body (a large event): read it, and anything after it, from the stream.
      if (compareIds(message, follower.lastId) > 0) this.catchUp(channel, follower);
      return;
    }
    this.take(follower, message.slice(0, newline), message.slice(newline + 1));
  }

  private take(follower: Follower, id: string, body: string): void {
    if (follower.ended || compareIds(id, follower.lastId) <= 0) return;
    follower.lastId = id;
    follower.deliver({ ...JSON.parse(body), entryId: id } as StoredEvent);
  }

  /** Reads the stream after the last delivered entry, holding live messages meanwhile, then releases them. */
  private catchUp(channel: string, follower: Follower, first = false): void {
    follower.held ??= [];
    follower.reading = follower.reading.then(async () => {
      if (follower.ended) return;
      try {
        const start = follower.lastId === '0-0' ? '-' : `(${follower.lastId}`;
        const entries = await this.commands.xrange(channel, start, '+');
        // Nothing at all (first reading), or nothing left after a reconnection (Redis restarted without
        // persistence): without its state the call is gone, and its followers must not wait for ever.
        if (entries.length === 0 && (first || !(await this.store.exists(this.idOf(channel))))) {
          follower.fail(new CallNotFoundError(this.idOf(channel)));
          return;
        }
        for (const [id, fields] of entries) this.take(follower, id, fields[1]!);
        const held = follower.held ?? [];
        follower.held = undefined;
        for (const message of held) this.onMessage(channel, follower, message);
      } catch (error) {
        follower.fail(error);
      }
    });
  }

  private idOf(channel: string): string {
    return channel.replace(/^.*:call:\{(.*)\}:events$/, '$1');
  }

  /** Stops every follower. */
  clear(): void {
    for (const followers of this.byChannel.values()) for (const follower of followers) follower.ended = true;
    this.byChannel.clear();
  }
}
