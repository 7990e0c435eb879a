/**
 * Where Redis is, as plain data (so that the adapter's types do not depend on a Redis client's), and the
 * ioredis clients made from it.
 */
import type { Redis as IORedis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import { InvalidRequestError } from '../index.js';

/** How to reach Redis: a `redis://` / `rediss://` URL, or its parts. */
export type QueueConnection =
  | string
  | {
      /** Default `127.0.0.1`. */
      host?: string;
      /** Default 6379. */
      port?: number;
      username?: string;
      password?: string;
      /** Database number (default 0). */
      db?: number;
      /** Connect with TLS: `true`, or Node `tls.connect` options. */
      tls?: boolean | Record<string, unknown>;
    };

/**
 * A new client. `blocking`: commands wait while Redis is unreachable instead of failing after a few
 * retries (what BullMQ needs for a worker's connections).
 */
export function createRedisClient(Redis: typeof IORedis, connection: QueueConnection, role: string, blocking: boolean): IORedis {
  const common: RedisOptions = {
    connectionName: `sandbox-executor:${role}`,
    maxRetriesPerRequest: blocking ? null : 20,
    // Reconnect quickly after a restart of Redis, never give up.
    retryStrategy: (times) => Math.min(50 * times, 1000),
  };
  if (typeof connection === 'string') {
    if (!/^rediss?:\/\//.test(connection))
      throw new InvalidRequestError('connection', `connection must be a redis:// or rediss:// URL or { host, port, … }, got ${JSON.stringify(connection)}.`);
    return new Redis(connection, common);
  }
  if (connection === null || typeof connection !== 'object')
    throw new InvalidRequestError('connection', 'connection is required: a redis:// URL or { host, port, … }.');
  const { host, port, username, password, db, tls } = connection;
  if (port !== undefined && (!Number.isInteger(port) || port <= 0 || port > 65535))
    throw new InvalidRequestError('connection.port', `connection.port must be a TCP port, got ${String(port)}.`);
  return new Redis({ ...common, host, port, username, password, db, tls: tls === true ? {} : tls === false ? undefined : tls });
}
