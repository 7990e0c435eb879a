/**
 * Following calls' events from any process: one subscriber connection per queue object carries the
 * live events of every call it follows; each follower first replays the call's stream, then takes live
 * events newer than the last one it delivered. After the subscriber reconnects (Redis restarted, network
 * cut), each follower reads the stream again from its last entry, so a gap in Pub/Sub loses nothing.
 * When Redis answers "not now" (still loading its data after a restart, busy, or the command gave up while
 * reconnecting), the follower tries again after a short back-off instead of failing a call that exists.
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
  /** Whether Redis confirmed the subscription to the call's channel. */
  subscribed: boolean;
  /** The next attempt after Redis answered "not now" (one at a time: it does what is still to do). */
  retry: NodeJS.Timeout | undefined;
  /** "Not now" answers in a row, for the back-off. */
  setbacks: number;
}

/** Longest wait between two attempts of a follower, like the connections' own reconnection delay. */
const MAX_RETRY_DELAY_MS = 1000;

/**
 * Whether Redis will answer this command later: it is loading its data set (a client that connected
 * during a restart's load, a replica's sync, `DEBUG RELOAD`), busy with a script, failing over, or ioredis
 * gave the command up while reconnecting. Anything else is a real failure of the follower.
 */
function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (/^(LOADING|BUSY|TRYAGAIN|MASTERDOWN|CLUSTERDOWN) /.test(error.message)) return true;
  return error.name === 'MaxRetriesPerRequestError' || error.name === 'AbortError';
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
    const follower: Follower = {
      lastId: '0-0',
      held: [],
      reading: Promise.resolve(),
      deliver,
      fail,
      ended: false,
      subscribed: false,
      retry: undefined,
      setbacks: 0,
    };
    let followers = this.byChannel.get(channel);
    if (!followers) {
      followers = new Set();
      this.byChannel.set(channel, followers);
    }
    followers.add(follower);
    const stop = (): void => {
      follower.ended = true;
      clearTimeout(follower.retry);
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
    this.subscribe(channel, follower);
    return stop;
  }

  /** Subscribes before the stream is read, so that nothing published in between is missed. */
  private subscribe(channel: string, follower: Follower): void {
    if (follower.ended) return;
    this.subscriber.subscribe(channel).then(
      () => {
        follower.subscribed = true;
        this.catchUp(channel, follower);
      },
      (error: unknown) => this.setback(channel, follower, error),
    );
  }

  /**
   * After Redis answered "not now", subscribes (if that is still to do) and reads again after a back-off;
   * fails the follower on any other error.
   */
  private setback(channel: string, follower: Follower, error: unknown): void {
    if (follower.ended) return;
    if (!isTransient(error)) {
      follower.fail(error);
      return;
    }
    if (follower.retry) return;
    const delay = Math.min(50 * 2 ** follower.setbacks, MAX_RETRY_DELAY_MS);
    follower.setbacks += 1;
    follower.retry = setTimeout(() => {
      follower.retry = undefined;
      if (follower.ended) return;
      if (follower.subscribed) this.catchUp(channel, follower);
      else this.subscribe(channel, follower);
    }, delay);
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

  /**
   * Reads the stream after the last delivered entry, holding live messages meanwhile, then releases them.
   * Several readings may be asked for at once (the subscription confirmed, the subscriber reconnected, a
   * large event announced); they run one after the other, each from where the previous one stopped.
   */
  private catchUp(channel: string, follower: Follower): void {
    follower.held ??= [];
    follower.reading = follower.reading.then(async () => {
      if (follower.ended) return;
      try {
        const start = follower.lastId === '0-0' ? '-' : `(${follower.lastId}`;
        const entries = await this.commands.xrange(channel, start, '+');
        follower.setbacks = 0;
        for (const [id, fields] of entries) this.take(follower, id, fields[1]!);
        const held = follower.held ?? [];
        follower.held = undefined;
        for (const message of held) this.onMessage(channel, follower, message);
        if (entries.length > 0 || follower.ended) return;
        // A call's stream starts with its `queued` event, written in the same script as its state: a stream
        // without any entry means there is no call. Nothing after the last delivered entry is ordinary (an
        // earlier reading took it all), and means the call is gone only when its state is gone too (Redis
        // restarted without persistence): then its followers must not wait for ever.
        if (follower.lastId === '0-0' || !(await this.store.exists(this.idOf(channel)))) follower.fail(new CallNotFoundError(this.idOf(channel)));
      } catch (error) {
        this.setback(channel, follower, error);
      }
    });
  }

  private idOf(channel: string): string {
    return channel.replace(/^.*:call:\{(.*)\}:events$/, '$1');
  }

  /** Stops every follower. */
  clear(): void {
    for (const followers of this.byChannel.values()) {
      for (const follower of followers) {
        follower.ended = true;
        clearTimeout(follower.retry);
      }
    }
    this.byChannel.clear();
  }
}
