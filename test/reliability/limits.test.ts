/**
 * Limits that hold for every configuration (issue 14, §5): a bounded number of threads with
 * `poolSize: 0`, and limits beyond what the runtime can honour refused before anything runs.
 */
import { constants as bufferConstants } from 'node:buffer';
import { availableParallelism } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidRequestError, QueueFullError, SandboxExecutor } from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const MIB = 1024 * 1024;
const ADD = 'export function add(a, b) { return a + b; }';
const executor = new SandboxExecutor({ poolSize: 1, prestart: 0 });
afterAll(() => executor.close());

describe('poolSize: 0', () => {
  it('runs at most one dedicated worker per core and honours maxQueue', async () => {
    const dedicated = new SandboxExecutor({ poolSize: 0, maxQueue: 1, prestart: 0 });
    const cores = availableParallelism();
    let mostWorkers = 0;
    dedicated.on('execution:start', () => (mostWorkers = Math.max(mostWorkers, dedicated.status().workers)));
    try {
      const calls = Array.from({ length: cores + 4 }, (_, i) => dedicated.invoke({ language: 'javascript', code: ADD, args: [i, 1] }));
      const settled = await Promise.allSettled(calls);
      const refused = settled.filter((s) => s.status === 'rejected');
      expect(refused).toHaveLength(3);
      for (const s of refused) expect((s as PromiseRejectedResult).reason).toBeInstanceOf(QueueFullError);
      const served = settled.filter((s): s is PromiseFulfilledResult<Awaited<(typeof calls)[number]>> => s.status === 'fulfilled');
      expect(served.map((s) => s.value.status)).toEqual(Array(cores + 1).fill('success'));
      expect(mostWorkers).toBeLessThanOrEqual(cores);
      expect(dedicated.status().workers).toBe(0);
    } finally {
      await dedicated.close();
    }
  });
});

describe('limits above what the runtime can honour are refused with InvalidRequestError', () => {
  const refused = async (promise: Promise<unknown>, field: string): Promise<void> => {
    const error = await rejection(promise);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.field).toBe(field);
  };

  it('memoryLimitMb above 4096 MiB (wasm32), in a request and a session', async () => {
    await refused(executor.invoke({ language: 'javascript', code: ADD, args: [1, 2], memoryLimitMb: 5_000 }), 'memoryLimitMb');
    await refused(executor.createSession({ language: 'javascript', code: ADD, memoryLimitMb: 5_000 }), 'memoryLimitMb');
    // The largest that wasm32 can address is accepted.
    expect(await executor.invoke({ language: 'javascript', code: ADD, args: [1, 2], memoryLimitMb: 4_096 })).toMatchObject({ status: 'success', result: 3 });
  });

  it('memoryLimitMb above the executor maxMemoryLimitMb', async () => {
    const capped = new SandboxExecutor({ poolSize: 1, prestart: 0, memoryLimitMb: 128, maxMemoryLimitMb: 256 });
    try {
      await refused(capped.invoke({ language: 'javascript', code: ADD, args: [1, 2], memoryLimitMb: 512 }), 'memoryLimitMb');
      expect(await capped.call({ language: 'javascript', code: ADD, args: [1, 2], memoryLimitMb: 256 })).toBe(3);
    } finally {
      await capped.close();
    }
    expect(() => new SandboxExecutor({ memoryLimitMb: 512, maxMemoryLimitMb: 256 })).toThrow(InvalidRequestError);
    expect(() => new SandboxExecutor({ maxMemoryLimitMb: 5_000 })).toThrow(InvalidRequestError);
    expect(() => new SandboxExecutor({ memoryLimitMb: 5_000 })).toThrow(InvalidRequestError);
  });

  it('maxOutputBytes and maxResultBytes above the longest string Node can build', async () => {
    const tooLong = bufferConstants.MAX_STRING_LENGTH + 1;
    await refused(executor.invoke({ language: 'javascript', code: ADD, args: [1, 2], maxOutputBytes: tooLong }), 'maxOutputBytes');
    await refused(executor.invoke({ language: 'javascript', code: ADD, args: [1, 2], maxResultBytes: tooLong }), 'maxResultBytes');
    await refused(executor.createSession({ language: 'javascript', code: ADD, maxOutputBytes: tooLong }), 'maxOutputBytes');
    expect(() => new SandboxExecutor({ maxOutputBytes: tooLong })).toThrow(InvalidRequestError);
    expect(() => new SandboxExecutor({ maxResultBytes: tooLong })).toThrow(InvalidRequestError);
    // A large limit that Node can honour is fine.
    expect(await executor.call({ language: 'javascript', code: ADD, args: [1, 2], maxOutputBytes: 400 * MIB })).toBe(3);
  });
});
