/**
 * Every exported error class: `name` is the class name, `code` is stable, and `instanceof` holds for the
 * class, its base classes and the same classes of another copy of the package (its other build).
 */
import { describe, expect, it, vi } from 'vitest';
import * as api from '../../src/index.js';
import { ERROR_CONSTRUCTOR_ARGUMENTS, errorNamesOf } from '../helpers/error-classes.js';

describe('error classes', () => {
  it('each exported error class names its errors after itself', () => {
    const names = errorNamesOf(api, ERROR_CONSTRUCTOR_ARGUMENTS);
    expect(Object.keys(names).sort()).toEqual(Object.keys(ERROR_CONSTRUCTOR_ARGUMENTS).sort());
    for (const [name, errorName] of Object.entries(names)) expect(errorName, name).toBe(name);
  });

  it('errors of another copy of the package are instances of the classes of the same name', async () => {
    // A second copy of the module graph, as when a program loads both the ESM and the CommonJS build:
    // after resetModules, importing the package again evaluates every one of its modules anew.
    vi.resetModules();
    const other = (await import('../../src/index.js')) as typeof api;
    expect(other.UserCodeError).not.toBe(api.UserCodeError);
    const error = new other.UserCodeError({ error: { type: 'KeyError', message: 'x' } } as never);
    expect(error).toBeInstanceOf(api.UserCodeError);
    expect(error).toBeInstanceOf(api.ExecutionError);
    expect(error).toBeInstanceOf(api.SandboxError);
    expect(error).not.toBeInstanceOf(api.ExecutionTimeoutError);
    expect(error).not.toBeInstanceOf(api.InvalidRequestError);
    expect(new api.FunctionNotFoundError('f', [])).toBeInstanceOf(other.FunctionNotFoundError);
    // Only errors of this package: an unrelated class of the same name is not one.
    class UserCodeError extends Error {}
    expect(new UserCodeError()).not.toBeInstanceOf(api.UserCodeError);
    expect({}).not.toBeInstanceOf(api.SandboxError);
    expect(null).not.toBeInstanceOf(api.SandboxError);
  });
});
