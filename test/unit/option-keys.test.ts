/**
 * Unknown option keys are refused with the key and the closest valid one (the executor's entry points
 * are attacked in test/integration/api-edges.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/errors.js';
import { closestName } from '../../src/closest-name.js';
import { assertKnownKeys, EXECUTOR_OPTION_KEYS, REQUEST_KEYS, SESSION_CALL_KEYS, SESSION_OPTION_KEYS } from '../../src/request/option-keys.js';

function refusal(options: object, known: Readonly<Record<string, true>>): InvalidRequestError {
  try {
    assertKnownKeys(options, known, 'the request');
  } catch (error) {
    return error as InvalidRequestError;
  }
  throw new Error('Expected the options to be refused');
}

describe('option keys', () => {
  it.each([
    ['timeout', REQUEST_KEYS, 'timeoutMs'],
    ['function', REQUEST_KEYS, 'functionName'],
    ['kwarg', REQUEST_KEYS, 'kwargs'],
    ['memoryLimit', SESSION_OPTION_KEYS, 'memoryLimitMb'],
    ['idleTimeout', SESSION_OPTION_KEYS, 'idleTimeoutMs'],
    ['poolsize', EXECUTOR_OPTION_KEYS, 'poolSize'],
    ['signals', SESSION_CALL_KEYS, 'signal'],
  ])('%s: refused, "did you mean" the closest key', (key, known, suggestion) => {
    const error = refusal({ [key]: 1 }, known);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.field).toBe(key);
    expect(error.message).toContain(JSON.stringify(key));
    expect(error.message).toContain(`Did you mean ${suggestion}?`);
  });

  it('lists the valid keys when none is close', () => {
    expect(refusal({ xyzzy: true }, SESSION_CALL_KEYS).message).toContain('Valid keys: functionName, args, kwargs, timeoutMs, signal, onStdout, onStderr.');
  });

  it('accepts every valid key, even when its value is undefined', () => {
    expect(() => assertKnownKeys({ language: 'python', code: 'x', timeoutMs: undefined }, REQUEST_KEYS, 'the request')).not.toThrow();
  });

  it('suggests close names only', () => {
    expect(closestName('ad', ['add', 'sub'])).toBe('add');
    expect(closestName('TIMEOUTMS', ['timeoutMs'])).toBe('timeoutMs');
    expect(closestName('completely', ['add'])).toBeUndefined();
  });

  it('refuses a renamed option with a message naming its new name', () => {
    const error = refusal({ prewarm: 0 }, EXECUTOR_OPTION_KEYS);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.field).toBe('prewarm');
    expect(error.message).toBe('Unknown option "prewarm" in the request: it is now called prestart.');
  });
});
