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
      {
        name: 'tags',
        kind: 'keyword',
        required: false,
        default: 'None',
        type: 'Optional[list[str]]',
        schema: { anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'null' }], default: null },
      },
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

/** A realistic file per language: several functions, defaults, declared types, a doc comment. */
const FILES: Record<string, { code: string; functions: string[]; search: { name: string; kind: string; required: boolean; schema: object }[]; doc: string }> = {
  ruby: {
    code:
      '# Searches the catalogue.\n# @param query [String] what to look for\n# @param limit [Integer] how many\n# @param tags [Array<String>, nil]\n' +
      'def search(query, limit = 10, tags: nil, **opts)\n  []\nend\n\ndef helper(*rest, &block)\nend\n\nclass Catalogue\n  def method_in_class; end\nend\n',
    functions: ['search', 'helper'],
    search: [
      { name: 'query', kind: 'positional-only', required: true, schema: { type: 'string' } },
      { name: 'limit', kind: 'positional-only', required: false, schema: { type: 'integer', default: 10 } },
      { name: 'tags', kind: 'keyword', required: false, schema: { anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'null' }], default: null } },
      { name: 'opts', kind: 'variadic-keyword', required: false, schema: {} },
    ],
    doc: 'Searches the catalogue.',
  },
  javascript: {
    code:
      '/**\n * Searches the catalogue.\n * @param {string} query what to look for\n * @param {number} [limit=10]\n */\n' +
      'export async function search(query, limit = 10, { tags = null } = {}) {\n  return [];\n}\n\nconst helper = (...rest) => rest.length;\n\nclass Catalogue { method() {} }\n',
    functions: ['search', 'helper'],
    search: [
      { name: 'query', kind: 'positional', required: true, schema: { type: 'string' } },
      { name: 'limit', kind: 'positional', required: false, schema: { type: 'number', default: 10 } },
      { name: 'tags', kind: 'keyword', required: false, schema: { default: null } },
    ],
    doc: 'Searches the catalogue.',
  },
  php: {
    code:
      '<?php\n/**\n * Searches the catalogue.\n */\nfunction search(string $query, int $limit = 10, ?array $tags = null, float|int ...$weights): array {\n    return [];\n}\n\n' +
      'function helper(&$ref, $plain) {}\n\nclass Catalogue { function method() {} }\n',
    functions: ['search', 'helper'],
    search: [
      { name: 'query', kind: 'positional', required: true, schema: { type: 'string' } },
      { name: 'limit', kind: 'positional', required: false, schema: { type: 'integer', default: 10 } },
      { name: 'tags', kind: 'positional', required: false, schema: { default: null } },
      { name: 'weights', kind: 'variadic', required: false, schema: { anyOf: [{ type: 'number' }, { type: 'integer' }] } },
    ],
    doc: 'Searches the catalogue.',
  },
  c: {
    code:
      '#include <stdbool.h>\n/** Searches the catalogue. */\nint search(const char *query, unsigned long limit, double weight, bool exact) { return 0; }\n\n' +
      'static int hidden(int x) { return x; }\n\nint count(int n) { return n; }\n\nint main(void) { return 0; }\n',
    functions: ['search', 'count'],
    search: [
      { name: 'query', kind: 'positional', required: true, schema: { type: 'string' } },
      { name: 'limit', kind: 'positional', required: true, schema: { type: 'integer', minimum: 0, maximum: 4294967295 } },
      { name: 'weight', kind: 'positional', required: true, schema: { type: 'number' } },
      { name: 'exact', kind: 'positional', required: true, schema: { type: 'boolean' } },
    ],
    doc: 'Searches the catalogue.',
  },
  cpp: {
    code:
      '#include <map>\n#include <string>\n#include <vector>\n/// Searches the catalogue.\n' +
      'std::vector<std::string> search(const std::string& query, int limit = 10, std::map<std::string, double> weights = {}) { return {}; }\n\nint count(int n) { return n; }\n',
    functions: ['search', 'count'],
    search: [
      { name: 'query', kind: 'positional', required: true, schema: { type: 'string' } },
      { name: 'limit', kind: 'positional', required: false, schema: { type: 'integer', minimum: -2147483648, maximum: 2147483647, default: 10 } },
      { name: 'weights', kind: 'positional', required: false, schema: { type: 'object', additionalProperties: { type: 'number' } } },
    ],
    doc: 'Searches the catalogue.',
  },
};

describe.each(Object.entries(FILES))('describe() for %s', (language, file) => {
  it('finds the callable functions, their parameters, types and doc comment', () => {
    const { functions } = executor.describe({ language: language as never, code: file.code });
    expect(functions.map((f) => f.name)).toEqual(file.functions);
    const search = functions[0]!;
    expect(search.parameters.map(({ name, kind, required, schema }) => ({ name, kind, required, schema }))).toEqual(file.search);
    expect(search.doc?.split('\n')[0]).toBe(file.doc);
    expect(search.schema.required).toEqual(file.search.filter((p) => p.required).map((p) => p.name));
  });
});

describe('describe() schemas come from the type table calls use', () => {
  it('C and C++: every integer type a call accepts is an integer of its range, and what a call refuses is any value', () => {
    const code =
      'int f(unsigned char a, signed char b, long long int c, unsigned d, short e, uint64_t g, const int *h, char *s) { return 0; }\n' +
      'int g(struct point p) { return 0; }\n';
    for (const language of ['c', 'cpp'] as const) {
      const [f, g] = executor.describe({ language, code }).functions;
      expect(f.parameters.map((p) => p.schema)).toEqual([
        { type: 'integer', minimum: 0, maximum: 255 },
        { type: 'integer', minimum: -128, maximum: 127 },
        { type: 'integer', minimum: -(2 ** 63), maximum: 2 ** 63 - 1 },
        { type: 'integer', minimum: 0, maximum: 4294967295 },
        { type: 'integer', minimum: -32768, maximum: 32767 },
        { type: 'integer', minimum: 0, maximum: 2 ** 64 - 1 },
        { anyOf: [{ type: 'integer', minimum: -2147483648, maximum: 2147483647 }, { type: 'null' }] },
        { type: 'string' },
      ]);
      expect(g.parameters[0].schema).toEqual({});
    }
  });

  it('validateArgs refuses an integer outside its C type before anything runs', async () => {
    const error = await rejection(executor.invoke({ language: 'c', code: 'int f(unsigned char a) { return a; }\n', args: [256], validateArgs: true }));
    expect(error).toBeInstanceOf(ArgumentValidationError);
    expect(error.violations).toEqual([{ path: 'args[0]', message: 'must be <= 255' }]);
  });
});
