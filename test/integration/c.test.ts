/**
 * C through the real toolchain (clang + wasm-ld in the sandbox). Builds are slow (~0.1–1 s each), so the
 * tests share a few sources: most calls hit the compile cache, which is itself under test here.
 */
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { FunctionNotFoundError, InvalidRequestError, SandboxExecutor } from '../../src/index.js';
import { ToolRunner } from '../../src/runtime/tool-runner.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 2 });
afterAll(() => executor.close());
afterEach(() => vi.restoreAllMocks());

const TYPES = `#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int add_int(int a, int b) { return a + b; }
long add_long(long a, long b) { return a + b; }
long long twice(long long x) { return 2 * x; }
unsigned int flip(unsigned int x) { return ~x; }
unsigned long long next_u64(uint64_t x) { return x + 1; }
short neg_short(short x) { return (short)-x; }
int8_t tiny(int8_t x) { return x; }
size_t length(const char *text) { return text ? strlen(text) : 0; }
float third(float x) { return x / 3; }
double half(double x) { return x / 2; }
bool negate(bool b) { return !b; }
_Bool is_positive(double x) { return x > 0; }
char *shout(char *text) {
  for (char *p = text; *p; p++) if (*p >= 'a' && *p <= 'z') *p -= 32;
  return text;
}
const char *maybe(int give) { return give ? "given" : NULL; }
int or_default(const int *value) { return value ? *value : -1; }
const double *pick(bool give) {
  static const double value = 2.5;
  return give ? &value : NULL;
}
void nothing(void) {}
static int helper(int x) { return x; }
int uses_helper(int x) { return helper(x) + 1; }
int proto_only(int x);
int main(void) { return 7; }
`;

const call = (code: string, functionName: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}) =>
  executor.invoke({ language: 'c', code, functionName, args, kwargs });

const value = async (functionName: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}) => {
  const result = await call(TYPES, functionName, args, kwargs);
  expect(result.status, JSON.stringify(result.error)).toBe('success');
  return result.result;
};

describe('C values', () => {
  it('passes and returns every supported scalar type', async () => {
    expect(await value('add_int', [2, 3])).toBe(5);
    expect(await value('add_long', [-7, 2])).toBe(-5);
    expect(await value('twice', [2 ** 52])).toBe(2n ** 53n);
    expect(await value('twice', [2n ** 61n])).toBe(2n ** 62n);
    expect(await value('twice', [-(2n ** 61n)])).toBe(-(2n ** 62n));
    expect(await value('flip', [0])).toBe(4294967295);
    expect(await value('next_u64', [2n ** 64n - 2n])).toBe(2n ** 64n - 1n);
    expect(await value('neg_short', [123])).toBe(-123);
    expect(await value('tiny', [-128])).toBe(-128);
    expect(await value('length', ['héllo'])).toBe(6);
    expect(await value('length', [null])).toBe(0);
    expect(await value('third', [1])).toBe(0.33333334);
    expect(await value('half', [1])).toBe(0.5);
    expect(await value('half', [Infinity])).toBe(Infinity);
    expect(await value('half', [NaN])).toBeNaN();
    expect(Object.is(await value('half', [-0]), -0)).toBe(true);
    expect(await value('negate', [true])).toBe(false);
    expect(await value('is_positive', [3])).toBe(true);
    expect(await value('shout', ['abc, ünï'])).toBe('ABC, üNï');
    expect(await value('maybe', [1])).toBe('given');
    expect(await value('maybe', [0])).toBeNull();
    expect(await value('or_default', [null])).toBe(-1);
    expect(await value('or_default', [41])).toBe(41);
    expect(await value('pick', [true])).toBe(2.5);
    expect(await value('pick', [false])).toBeNull();
    expect(await value('nothing')).toBeNull();
    expect(await value('uses_helper', [1])).toBe(2);
  });

  it('maps keyword arguments by parameter name', async () => {
    expect(await value('add_long', [], { b: 1, a: 10 })).toBe(11);
    expect(await value('add_long', [10], { b: -1 })).toBe(9);
  });

  it('reports a value that does not fit the parameter as a TypeError naming it', async () => {
    const outOfRange = await call(TYPES, 'add_int', [2 ** 31, 1]);
    expect(outOfRange.status).toBe('error');
    expect(outOfRange.error).toMatchObject({ type: 'TypeError' });
    expect(outOfRange.error?.message).toContain("argument 'a' of add_int()");
    expect(outOfRange.error?.message).toContain('out of range for int');
    const fraction = await call(TYPES, 'tiny', [1.5]);
    expect(fraction.error?.message).toMatch(/argument 'x' of tiny\(\): expected signed char, got 1\.5/);
    const negative = await call(TYPES, 'flip', [-1]);
    expect(negative.error?.message).toContain('out of range for unsigned int');
    const wrongKind = await call(TYPES, 'shout', [12]);
    expect(wrongKind.error).toMatchObject({ type: 'TypeError', message: "argument 'text' of shout(): expected a string, got a number" });
  });

  it('offers only the non-static functions with a body, never main', async () => {
    const error = await rejection(call(TYPES, 'helper', [1]));
    expect(error).toBeInstanceOf(FunctionNotFoundError);
    expect(error.candidates).not.toContain('helper');
    expect(error.candidates).not.toContain('main');
    expect(error.candidates).not.toContain('proto_only');
    expect(error.candidates).toContain('uses_helper');
  });
});

describe('C requests refused before compiling', () => {
  it('names the parameter and the type that cannot be passed, without running clang', async () => {
    const runTool = vi.spyOn(ToolRunner.prototype, 'runTool');
    const code = 'struct point { int x, y; };\nint area(struct point p, int scale) {\n  return p.x * p.y * scale;\n}\n';
    const error = await rejection(call(code, 'area', [{ x: 1, y: 2 }, 3]));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.field).toBe('functionName');
    expect(error.message).toContain("Parameter 'p' of area() has the type 'struct point'");
    const variadic = await rejection(call('int sum(int count, ...) {\n  return count;\n}\n', 'sum', [1]));
    expect(variadic.message).toContain('variadic');
    const returned = await rejection(call('long double big(void) {\n  return 1;\n}\n', 'big'));
    expect(returned.message).toContain("big() returns the type 'long double'");
    expect(runTool).not.toHaveBeenCalled();
  });

  it('refuses missing, extra and unknown arguments', async () => {
    expect(await rejection(call(TYPES, 'add_int', [1]))).toMatchObject({ field: 'args', message: expect.stringContaining("'b'") });
    expect(await rejection(call(TYPES, 'add_int', [1, 2, 3]))).toMatchObject({ field: 'args' });
    expect(await rejection(call(TYPES, 'add_int', [1], { c: 2 }))).toMatchObject({ field: 'kwargs', message: expect.stringContaining("'c'") });
    expect(await rejection(call(TYPES, 'add_int', [1, 2], { a: 2 }))).toMatchObject({ field: 'kwargs' });
  });
});

describe('C builds', () => {
  it('reports a compiler error as CompileError with the line in the user code', async () => {
    const code = '#include <stdio.h>\n\nint ok(void) {\n  return undefined_name;\n}\n';
    const r = await call(code, 'ok');
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('CompileError');
    expect(r.error?.line).toBe(4);
    expect(r.error?.message).toContain("undeclared identifier 'undefined_name'");
    expect(r.error?.traceback).toContain('user_code.c:4:');
    expect(r.error?.traceback).not.toContain('program.c');
  });

  it('points at the unclosed brace when the file ends inside a function', async () => {
    const r = await call('int ok(void) {\n  return 1;\n', 'ok');
    expect(r.error?.type).toBe('CompileError');
    expect(r.error?.line).toBe(1);
  });

  it('reports an undefined function as a link error', async () => {
    const r = await call('int missing(int x);\n\nint caller(int x) {\n  return missing(x);\n}\n', 'caller', [1]);
    expect(r.error?.type).toBe('CompileError');
    expect(r.error?.message).toContain('undefined symbol: missing');
  });

  it('compiles a code once: a repeated call starts neither clang nor wasm-ld', async () => {
    const code = 'int square(int x) {\n  return x * x;\n}\n';
    const runTool = vi.spyOn(ToolRunner.prototype, 'runTool');
    expect((await call(code, 'square', [3])).result).toBe(9);
    expect(runTool.mock.calls.map(([spec]) => spec.runtime)).toEqual(['clang', 'wasm-ld']);
    runTool.mockClear();
    const again = await call(code, 'square', [4]);
    expect(again.result).toBe(16);
    expect(runTool).not.toHaveBeenCalled();
    expect(again.durationMs).toBeLessThan(200);
  });

  it('shares one build between concurrent calls of the same code', async () => {
    const code = 'int cube(int x) {\n  return x * x * x;\n}\n';
    const runTool = vi.spyOn(ToolRunner.prototype, 'runTool');
    const results = await Promise.all([2, 3, 4].map((x) => call(code, 'cube', [x])));
    expect(results.map((r) => r.result)).toEqual([8, 27, 64]);
    expect(runTool).toHaveBeenCalledTimes(2);
  });

  it('keeps built programs in cacheDir: another executor does not compile, and a corrupt entry is rebuilt', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-c-cache-'));
    const code = 'int plus_seven(int x) {\n  return x + 7;\n}\n';
    try {
      const first = new SandboxExecutor({ poolSize: 1, cacheDir: dir });
      expect((await first.invoke({ language: 'c', code, args: [1] })).result).toBe(8);
      await first.close();
      const entries = (await readdir(dir)).filter((name) => name.startsWith('sandbox-c-program-'));
      expect(entries).toHaveLength(1);

      const runTool = vi.spyOn(ToolRunner.prototype, 'runTool');
      const second = new SandboxExecutor({ poolSize: 1, cacheDir: dir });
      expect((await second.invoke({ language: 'c', code, args: [2] })).result).toBe(9);
      await second.close();
      expect(runTool).not.toHaveBeenCalled();

      await writeFile(join(dir, entries[0]), 'not a program');
      const third = new SandboxExecutor({ poolSize: 1, cacheDir: dir });
      expect((await third.invoke({ language: 'c', code, args: [3] })).result).toBe(10);
      await third.close();
      expect(runTool.mock.calls.map(([spec]) => spec.runtime)).toEqual(['clang', 'wasm-ld']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('C at run time', () => {
  const RUNTIME = `#include <stdio.h>
#include <stdlib.h>
#include <assert.h>
#include <sandbox.h>

int chatty(int n) {
  for (int i = 0; i < n; i++) printf("line %d\\n", i);
  fprintf(stderr, "to stderr\\n");
  return n;
}

int read_number(void) {
  int value = 0;
  if (scanf("%d", &value) != 1) return -1;
  return value * 2;
}

void crash(void) {
  abort();
}

int checked(int x) {
  if (x < 0) sandbox_raise("ValueError", "x must not be negative");
  return x;
}

void spin(void) {
  volatile unsigned n = 0;
  for (;;) n++;
}

sandbox_json same_json(sandbox_json value) { return value; }
sandbox_json broken_json(void) { return "[1, 2"; }
`;

  it('keeps stdout and stderr apart from the result and from each other', async () => {
    const r = await call(RUNTIME, 'chatty', [2]);
    expect(r).toMatchObject({ status: 'success', result: 2, stdout: 'line 0\nline 1\n', stderr: 'to stderr\n' });
  });

  it('leaves the request stdin to the user code', async () => {
    const r = await executor.invoke({ language: 'c', code: RUNTIME, functionName: 'read_number', stdin: '21\n' });
    expect(r.result).toBe(42);
  });

  it('reports abort() as a crash', async () => {
    const r = await call(RUNTIME, 'crash');
    expect(r.status).toBe('crash');
  });

  it('reports sandbox_raise() with its type, message and line', async () => {
    expect((await call(RUNTIME, 'checked', [3])).result).toBe(3);
    const r = await call(RUNTIME, 'checked', [-1]);
    expect(r.error).toMatchObject({ type: 'ValueError', message: 'x must not be negative', line: 23 });
    expect(r.error?.traceback).toContain('user_code.c:23');
  });

  it('passes any value as JSON text with sandbox_json, wire tags included', async () => {
    const nested = { list: [1, 2.5, 'x', null, true, { deep: [[1, 'two']] }], $only: { a: 1 }, big: 2n ** 70n, nan: NaN, bytes: new Uint8Array([0, 255]) };
    const r = await call(RUNTIME, 'same_json', [nested]);
    expect(r.status, JSON.stringify(r.error)).toBe('success');
    expect(r.result).toEqual(nested);
    expect((await call(RUNTIME, 'same_json', [{ $ref: 'x' }])).result).toEqual({ $ref: 'x' });
    const broken = await call(RUNTIME, 'broken_json');
    expect(broken.error?.type).toBe('SerializationError');
    expect(broken.error?.message).toContain('broken_json() returned a sandbox_json that is not valid JSON');
  });

  it('a call started with start() ends when it returns, without waiting for the end of its input', async () => {
    const execution = executor.start({ language: 'c', code: 'int twice(int n) { return 2 * n; }', functionName: 'twice', args: [21], timeoutMs: 60_000 });
    // end() is never called: the call must not wait for it (it would end as a timeout).
    const result = await execution.result;
    expect(result).toMatchObject({ status: 'success', result: 42 });
  });

  it('stops an endless loop at the time limit', async () => {
    const r = await executor.invoke({ language: 'c', code: RUNTIME, functionName: 'spin', timeoutMs: 500 });
    expect(r.status).toBe('timeout');
  });
});
