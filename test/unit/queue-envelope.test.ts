/**
 * The queue's request envelope and values, without Redis: what travels, what is refused and why, and the
 * error a missing optional dependency gives.
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError, UnserializableValueError, UserCodeError, FunctionNotFoundError, ExecutionCancelledError } from '../../src/index.js';
import * as queueApi from '../../src/queue/index.js';
import { loadQueueDependencies } from '../../src/queue/dependencies.js';
import { decodeEnvelope, encodeEnvelope } from '../../src/queue/envelope.js';
import { languageOf, publicEvent, storedFailure } from '../../src/queue/events.js';
import { registeredLanguages } from '../../src/languages/registry.js';
import { decodeQueueValue, encodeQueueValue } from '../../src/queue/wire-json.js';
import { errorNamesOf, QUEUE_ERROR_CONSTRUCTOR_ARGUMENTS } from '../helpers/error-classes.js';

const OPTIONS = { retries: 1, maxRequestBytes: 1024 * 1024, allowMounts: false };

/** Through JSON, as on the queue. */
const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

describe('queue request envelope', () => {
  it('carries every value the library accepts, exactly', () => {
    const request = {
      language: 'python' as const,
      code: 'def f(*a, **k):\n    return a\n',
      args: [2n ** 80n, -0, NaN, Infinity, new Uint8Array([0, 255]), { $bigint: 'not a tag' }, [undefined, null], new Date(0)],
      kwargs: { nested: { bytes: new Uint8Array([7]) } },
      stdin: new Uint8Array([1, 2]),
      files: { 'a.bin': new Uint8Array([9]), 'b.txt': 'text' },
      deterministic: { seed: 3, now: new Date(5000) },
      timeoutMs: 1000,
    };
    const { envelope } = encodeEnvelope(request, OPTIONS);
    expect(envelope).toMatchObject({ v: 1, kind: 'invoke', retries: 1 });
    const decoded = decodeEnvelope(roundTrip(envelope));
    expect(decoded.kind).toBe('invoke');
    expect(decoded.request).toEqual({
      ...request,
      args: [2n ** 80n, -0, NaN, Infinity, new Uint8Array([0, 255]), { $bigint: 'not a tag' }, [null, null], '1970-01-01T00:00:00.000Z'],
      deterministic: { seed: 3, now: 5000 },
    });
    expect(Object.is((decoded.request.args as unknown[])[1], -0)).toBe(true);
  });

  it('refuses functions, signals, hooks, manual sync, mounts and unknown fields, naming the field and what to do', () => {
    const base = { language: 'python' as const, code: 'def f():\n    return 1\n' };
    const refused = (extra: object, options = OPTIONS) => {
      try {
        encodeEnvelope({ ...base, ...extra } as never, options);
      } catch (error) {
        return error as InvalidRequestError;
      }
      throw new Error('not refused');
    };
    expect(refused({ onStdout: () => undefined })).toMatchObject({ field: 'onStdout', message: expect.stringContaining("'output' events") });
    expect(refused({ onStderr: () => undefined }).field).toBe('onStderr');
    expect(refused({ signal: new AbortController().signal })).toMatchObject({ field: 'signal', message: expect.stringContaining('cancel()') });
    expect(refused({ beforeSync: () => true }).field).toBe('beforeSync');
    expect(refused({ afterSync: () => undefined }).field).toBe('afterSync');
    expect(refused({ sync: { mode: 'manual' } }).field).toBe('sync.mode');
    expect(refused({ mounts: [{ hostPath: '/srv' }] })).toMatchObject({ field: 'mounts', message: expect.stringContaining('allowMounts') });
    expect(refused({ color: 1 })).toMatchObject({ field: 'color', name: 'InvalidRequestError' });
    expect(refused({ args: [() => 1] })).toBeInstanceOf(UnserializableValueError);
    expect(refused({ args: [{ when: new (class Point {})() }] })).toMatchObject({ path: 'args[0].when' });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(refused({ kwargs: { circular } })).toMatchObject({ valueType: 'a circular reference' });
    expect(refused({ files: { 'big.txt': 'x'.repeat(2000) } }, { ...OPTIONS, maxRequestBytes: 1000 })).toMatchObject({
      name: 'QueueRequestTooLargeError',
      limit: 1000,
    });
    // Mounts travel on a queue that allows them (the worker then checks its own roots).
    expect(decodeEnvelope(encodeEnvelope({ ...base, mounts: [{ hostPath: '/srv' }] }, { ...OPTIONS, allowMounts: true }).envelope).request.mounts).toEqual([
      { hostPath: '/srv' },
    ]);
  });

  it('a worker refuses an envelope of a kind or version it does not know, rather than running it', () => {
    const { envelope } = encodeEnvelope({ language: 'python', code: 'def f():\n    return 1\n' }, OPTIONS);
    expect(() => decodeEnvelope({ ...envelope, kind: 'run' })).toThrow(expect.objectContaining({ field: 'kind', message: expect.stringContaining('"run"') }));
    expect(() => decodeEnvelope({ ...envelope, v: 2 })).toThrow(expect.objectContaining({ field: 'v' }));
  });

  it('a result of a call that never ran names its language by the registry: every alias, any letter case', () => {
    for (const language of registeredLanguages()) {
      for (const name of [language.id, ...language.aliases]) expect(languageOf(` ${name.toUpperCase()} `)).toBe(language.id);
    }
    expect(languageOf('Cobol')).toBe('cobol');
    expect(languageOf(42)).toBe('');
  });

  it('values: tags round-trip, and an object that looks like a tag stays an object', () => {
    const value = { $bytes: 'x', list: [1n, new Uint8Array([1]), -Infinity], deep: { $object: 1 } };
    expect(decodeQueueValue(roundTrip(encodeQueueValue(value, 'v')))).toEqual(value);
    expect(() => decodeQueueValue({ $nope: 1 })).toThrow(SyntaxError);
  });

  it('errors from a worker are rebuilt as the library classes, with their fields', () => {
    const stored = roundTrip(storedFailure(new FunctionNotFoundError('ad', ['add'])));
    const event = publicEvent({ ...stored, entryId: '1-0' });
    if (event.type !== 'failed') throw new Error('expected a failed event');
    expect(event.error).toBeInstanceOf(FunctionNotFoundError);
    expect(event.error).toMatchObject({ name: 'FunctionNotFoundError', code: 'FUNCTION_NOT_FOUND', candidates: ['add'], functionName: 'ad' });
    const result = {
      id: 'x',
      status: 'cancelled',
      stdout: 'partial',
      stderr: '',
      exitCode: null,
      durationMs: 1,
      usage: {},
      language: 'python',
      functionName: 'f',
      result: 1n,
    } as never;
    const cancelled = publicEvent({ ...roundTrip(storedFailure(new ExecutionCancelledError(result, 'stop'))), entryId: '2-0' });
    if (cancelled.type !== 'failed') throw new Error('expected a failed event');
    expect(cancelled.error).toBeInstanceOf(ExecutionCancelledError);
    expect((cancelled.error as ExecutionCancelledError).result).toMatchObject({ stdout: 'partial', result: 1n });
    expect(cancelled.error).not.toBeInstanceOf(UserCodeError);
    const unknown = publicEvent({ ...roundTrip(storedFailure(new TypeError('boom'))), entryId: '3-0' });
    expect(unknown.type === 'failed' && unknown.error).toMatchObject({ name: 'SandboxError', code: 'WORKER_ERROR', message: expect.stringContaining('boom') });
  });
});

describe('queue dependencies and errors', () => {
  it('a missing bullmq or ioredis gives QueueDependencyError naming it and how to install both', async () => {
    const error = await loadQueueDependencies({ bullmq: 'bullmq-that-is-not-installed', ioredis: 'ioredis' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(queueApi.QueueDependencyError);
    expect(error).toMatchObject({ code: 'QUEUE_DEPENDENCY_MISSING', missing: ['bullmq'], message: expect.stringContaining('npm install bullmq') });
    const both = await loadQueueDependencies({ bullmq: 'no-bullmq-here', ioredis: 'no-ioredis-here' }).catch((e: unknown) => e);
    expect(both).toMatchObject({ missing: ['bullmq', 'ioredis'] });
    const loaded = await loadQueueDependencies();
    expect(typeof loaded.bullmq.Queue).toBe('function');
  });

  it('each error class of the queue entry names its errors after itself', () => {
    const names = errorNamesOf(queueApi, QUEUE_ERROR_CONSTRUCTOR_ARGUMENTS);
    expect(Object.keys(names).sort()).toEqual(Object.keys(QUEUE_ERROR_CONSTRUCTOR_ARGUMENTS).sort());
    for (const [name, errorName] of Object.entries(names)) expect(errorName, name).toBe(name);
  });
});
