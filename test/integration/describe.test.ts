/**
 * describe(): functions, parameters and argument schemas from real code; validateArgs before running.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ArgumentValidationError, SandboxExecutor } from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 1 });
afterAll(() => executor.close());

const PYTHON = `
from typing import Optional

def search(query: str, limit: int = 10, *, tags: Optional[list[str]] = None) -> list[dict]:
    """Search the catalogue.

    Returns at most \`limit\` items.
    """
    return [{"query": query, "limit": limit, "tags": tags}]

async def fetch(url, *rest: float, retries=3, **headers: str):
    return url

def _private_helper():
    pass

class Catalogue:
    def method(self):
        pass
`;

describe('describe()', () => {
  it('Python: parameters, kinds, defaults, types, docstrings and schema', () => {
    const { language, functions } = executor.describe({ language: 'py', code: PYTHON });
    expect(language).toBe('python');
    expect(functions.map((f) => f.name)).toEqual(['search', 'fetch', '_private_helper']);
    const [search, fetch] = functions;
    expect(search).toMatchObject({ line: 4, isAsync: false, returnType: 'list[dict]', doc: 'Search the catalogue.\n\nReturns at most `limit` items.' });
    expect(search!.parameters).toEqual([
      { name: 'query', kind: 'positional', required: true, type: 'str', schema: { type: 'string' } },
      { name: 'limit', kind: 'positional', required: false, default: '10', type: 'int', schema: { type: 'integer', default: 10 } },
      { name: 'tags', kind: 'keyword', required: false, default: 'None', type: 'Optional[list[str]]', schema: { anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'null' }], default: null } },
    ]);
    expect(search!.schema).toEqual({
      type: 'object',
      properties: { query: { type: 'string' }, limit: { type: 'integer', default: 10 }, tags: search!.parameters[2]!.schema },
      required: ['query'],
      additionalProperties: false,
      description: search!.doc,
    });
    expect(fetch!.isAsync).toBe(true);
    expect(fetch!.parameters.map((p) => [p.name, p.kind, p.required])).toEqual([
      ['url', 'positional', true],
      ['rest', 'variadic', false],
      ['retries', 'keyword', false],
      ['headers', 'variadic-keyword', false],
    ]);
    expect(fetch!.schema.properties!.rest).toEqual({ type: 'array', items: { type: 'number' } });
    expect(fetch!.schema.additionalProperties).toEqual({ type: 'string' });
  });
});

describe('validateArgs', () => {
  const call = (functionName: string, args: unknown[], kwargs: Record<string, unknown> = {}) =>
    executor.invoke({ language: 'python', code: PYTHON, functionName, args, kwargs, validateArgs: true });

  it('lets valid calls through', async () => {
    expect((await call('search', ['tea'], { tags: ['green'] })).result).toEqual([{ query: 'tea', limit: 10, tags: ['green'] }]);
    expect((await call('fetch', ['u', 1, 2.5], { retries: 1, accept: 'json' })).result).toBe('u');
  });

  it('rejects with every violation listed, before running', async () => {
    const error = await rejection(call('search', [42, 'ten', 'extra'], { tags: ['ok', 3], colour: 'red' }));
    expect(error).toBeInstanceOf(ArgumentValidationError);
    expect(error.violations).toEqual([
      { path: 'args[0]', message: 'expected string, got integer 42' },
      { path: 'args[1]', message: 'expected an integer, got string "ten"' },
      { path: 'args[2]', message: 'search() takes 2 positional arguments but 3 were given' },
      { path: 'kwargs.tags[1]', message: 'expected string, got integer 3' },
      { path: 'kwargs.colour', message: "search() has no parameter named 'colour'" },
    ]);
    expect(error.message).toContain('args[0]: expected string, got integer 42');
    const missing = await rejection(call('search', [], { limit: 1 }));
    expect(missing.violations).toEqual([{ path: 'query', message: "missing required argument 'query'" }]);
    const variadic = await rejection(call('fetch', ['u', 'x'], { accept: 1 }));
    expect(variadic.violations.map((v: { path: string }) => v.path)).toEqual(['args[1]', 'kwargs.accept']);
  });
});
