/**
 * `bullmq` and `ioredis` are optional peer dependencies: the rest of the package works without them, and
 * only creating a queue or a worker loads them, failing with a {@link QueueDependencyError} that names
 * what is missing.
 */
import type * as BullMQ from 'bullmq';
import type { Redis as IORedis } from 'ioredis';
import { QueueDependencyError } from './errors.js';

/** The modules the adapter uses. */
export interface QueueDependencies {
  bullmq: typeof BullMQ;
  Redis: typeof IORedis;
}

let loaded: Promise<QueueDependencies> | undefined;

/**
 * Loads both packages (once per process).
 *
 * @param specifiers module names to load, for tests that need one to be missing
 * @throws QueueDependencyError when either cannot be loaded
 */
export function loadQueueDependencies(specifiers = { bullmq: 'bullmq', ioredis: 'ioredis' }): Promise<QueueDependencies> {
  const custom = specifiers.bullmq !== 'bullmq' || specifiers.ioredis !== 'ioredis';
  if (loaded && !custom) return loaded;
  const loading = (async () => {
    const [bullmq, ioredis] = await Promise.allSettled([import(specifiers.bullmq), import(specifiers.ioredis)]);
    const missing: string[] = [];
    if (bullmq.status === 'rejected') missing.push('bullmq');
    if (ioredis.status === 'rejected') missing.push('ioredis');
    if (bullmq.status === 'rejected' || ioredis.status === 'rejected') {
      const cause = bullmq.status === 'rejected' ? bullmq.reason : (ioredis as PromiseRejectedResult).reason;
      throw new QueueDependencyError(missing, { cause });
    }
    const redisModule = ioredis.value as { default?: unknown; Redis?: unknown };
    // ioredis is CommonJS: its constructor is the module's `default` (and also its `Redis` export).
    const Redis = (redisModule.Redis ?? redisModule.default) as typeof IORedis;
    return { bullmq: bullmq.value as typeof BullMQ, Redis };
  })();
  if (custom) return loading;
  loaded = loading;
  loading.catch(() => {
    loaded = undefined;
  });
  return loading;
}
