import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProgramBuildError } from '../../src/languages/language.js';
import { BuildCache, cacheKey } from '../../src/languages/native/compile-cache.js';
import { cleanDiagnostics, describeDiagnostics, programKey } from '../../src/languages/native/compile-pipeline.js';
import { generateDispatcher } from '../../src/languages/native/dispatcher.js';
import { inferNativeSignatures } from '../../src/languages/native/inference.js';
import { TemplateLoader } from '../../src/languages/templates.js';

const templates = new TemplateLoader();

const bytes = (text: string) => new TextEncoder().encode(text);

describe('C/C++ compile cache', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'native-cache-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('gives stable keys that change with any input and with part boundaries', () => {
    const code = 'int add(int a, int b) { return a + b; }\n';
    const sources = { dialect: 'c' as const, userCode: code, dispatcher: generateDispatcher(inferNativeSignatures(code, 'c'), 'c', templates) };
    const runtime = bytes('runtime object');
    const key = programKey(sources, runtime, templates);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect(programKey({ ...sources }, bytes('runtime object'), templates)).toBe(key);
    expect(programKey({ ...sources, userCode: `${code} ` }, runtime, templates)).not.toBe(key);
    expect(programKey({ ...sources, dialect: 'cpp' }, runtime, templates)).not.toBe(key);
    expect(programKey(sources, bytes('runtime object 2'), templates)).not.toBe(key);
    expect(cacheKey(['ab', 'c'])).not.toBe(cacheKey(['a', 'bc']));
  });

  it('shares one build between concurrent requests and serves repeats from memory', async () => {
    const cache = new BuildCache();
    let builds = 0;
    // The build stays pending until all three requests are made.
    let finish!: () => void;
    const gate = new Promise<void>((resolve) => (finish = resolve));
    const build = async () => {
      builds++;
      await gate;
      return bytes('wasm');
    };
    const pending = Promise.all([1, 2, 3].map(() => cache.get('k', 'test', undefined, build)));
    finish();
    const outputs = await pending;
    expect(outputs.map((o) => new TextDecoder().decode(o))).toEqual(['wasm', 'wasm', 'wasm']);
    await cache.get('k', 'test', undefined, build);
    expect(builds).toBe(1);
    expect(cache.stats).toEqual({ builds: 1, memoryHits: 3, diskHits: 0 });
  });

  it('remembers compile errors but retries other failures', async () => {
    const cache = new BuildCache();
    let attempts = 0;
    const failing = (error: Error) => async () => {
      attempts++;
      throw error;
    };
    const compileError = new ProgramBuildError({ type: 'CompileError', message: 'bad' });
    await expect(cache.get('a', 'test', undefined, failing(compileError))).rejects.toBe(compileError);
    await expect(cache.get('a', 'test', undefined, failing(compileError))).rejects.toBe(compileError);
    expect(attempts).toBe(1);
    await expect(cache.get('b', 'test', undefined, failing(new Error('tool timed out')))).rejects.toThrow('timed out');
    await Promise.resolve();
    await expect(cache.get('b', 'test', undefined, failing(new Error('tool timed out')))).rejects.toThrow('timed out');
    expect(attempts).toBe(3);
  });

  it('stores entries on disk atomically and ignores corrupt ones', async () => {
    let builds = 0;
    const build = async () => {
      builds++;
      return bytes(`wasm ${builds}`);
    };
    await new BuildCache().get('abc', 'test', dir, build);
    const files = await readdir(dir);
    expect(files).toEqual(['test-abc.bin']);
    expect(await new BuildCache().get('abc', 'test', dir, build)).toEqual(bytes('wasm 1'));
    expect(builds).toBe(1);

    const stored = await readFile(join(dir, files[0]));
    stored[stored.length - 1] ^= 1;
    await writeFile(join(dir, files[0]), stored);
    const fresh = new BuildCache();
    expect(await fresh.get('abc', 'test', dir, build)).toEqual(bytes('wasm 2'));
    expect(fresh.stats).toMatchObject({ builds: 1, diskHits: 0 });
    expect(await readdir(dir)).toEqual(['test-abc.bin']);

    await writeFile(join(dir, files[0]), '');
    expect(await new BuildCache().get('abc', 'test', dir, build)).toEqual(bytes('wasm 3'));
  });

  it('builds anyway when the cache directory cannot be written', async () => {
    const blocked = join(dir, 'file');
    await writeFile(blocked, 'not a directory');
    expect(await new BuildCache().get('k', 'test', join(blocked, 'sub'), async () => bytes('ok'))).toEqual(bytes('ok'));
  });
});

describe('C/C++ diagnostics', () => {
  it('reports the first error in the user file with its line, without the dispatcher lines', () => {
    const raw = [
      'In file included from /build/program.c:11:',
      "/build/user_code.c:3:9: warning: unused variable 'x'",
      '/build/user_code.c:4:10: error: expected expression',
      '  return 1 +;',
      '           ^',
      '1 warning and 1 error generated.',
    ].join('\n');
    const cleaned = cleanDiagnostics(raw, 'user_code.c');
    expect(cleaned).not.toContain('program.c');
    expect(cleaned).toContain('user_code.c:4:10: error: expected expression');
    expect(describeDiagnostics(cleaned, 'user_code.c', 'a\nb\nc\nd\n')).toEqual({ message: 'expected expression', line: 4 });
  });

  it('points at the user file when the error shows in the dispatcher', () => {
    const text = "program.c:14:1: error: function definition is not allowed here\nuser_code.c:1:14: note: to match this '{'\n";
    expect(describeDiagnostics(text, 'user_code.c', 'int f(void) {\n  return 1;\n')).toEqual({ message: 'function definition is not allowed here', line: 1 });
  });

  it('never points past the user code when the only error is in the generated code', () => {
    const text = "program.cpp:31:16: error: called object type 'size_t' (aka 'unsigned long') is not a function or function pointer\n";
    const code = 'int first(void) { return 1; }\nint second(void) { return 2; }\n';
    const { message, line } = describeDiagnostics(text, 'user_code.cpp', code);
    expect(line).toBe(2);
    expect(message).toContain("called object type 'size_t'");
    expect(message).toContain('generated');
  });

  it('reads linker errors', () => {
    expect(describeDiagnostics('wasm-ld: error: /build/program.o: undefined symbol: helper\n', 'user_code.c', '', 'linker')).toEqual({
      message: 'undefined symbol: helper',
    });
  });
});

describe('C/C++ dispatcher generation', () => {
  it('includes the user file first and dispatches every callable function', () => {
    const source = generateDispatcher(
      inferNativeSignatures('int add(int a, int b) { return a + b; }\nstruct p { int x; };\nint skip(struct p v) { return 0; }\nvoid noop(void) {}\n', 'c'),
      'c',
      templates,
    );
    expect(source.indexOf('#include "user_code.c"')).toBeLessThan(source.indexOf('int sbx_dispatch('));
    expect(source).toContain('#define main sbx_user_main');
    expect(source).toContain('__builtin_strcmp(sbx_name, "add")');
    expect(source).toContain('__builtin_strcmp(sbx_name, "noop")');
    expect(source).not.toContain('"skip"');
    expect(source).not.toContain('{{');
  });

  it('calls C++ functions with fewer arguments when trailing ones are left out', () => {
    const source = generateDispatcher(
      inferNativeSignatures('#include <string>\nstd::string pad(std::string s, int n = 2, std::string e = "|") { return s; }\n', 'cpp'),
      'cpp',
      templates,
    );
    expect(source).toContain('#include <string>');
    expect(source).toContain('sbx_finish(::pad(sbx_a0));');
    expect(source).toContain('sbx_finish(::pad(sbx_a0, sbx_a1, sbx_a2));');
    expect(source).toContain('if (!sbx_v1 && sbx_count > 1) sbx_a1 = (2);');
  });

  // A generated name that is not reserved can hide one of the user's: a C++ function named `count` with a
  // default argument failed to compile ("called object type 'size_t' is not a function").
  it.each(['c', 'cpp'] as const)('every name the %s dispatcher adds after the user code is reserved (sbx_)', (dialect) => {
    const code = [
      'const int *count(const int *names, int args, double t)',
      'bool r(bool kwargs, unsigned long long v0, char *p0, sandbox_json s0)',
      ...(dialect === 'cpp' ? ['std::vector<std::map<std::string, int>> a0(const std::optional<std::string> &name, int start = 1, int end = 2)'] : []),
    ]
      .map((signature) => `${signature} { return 0; }\n`)
      .join('');
    const source = generateDispatcher(inferNativeSignatures(code, dialect), dialect, templates);
    const generated = source.slice(source.indexOf('#include "sandbox_'));
    const words = new Set(
      generated
        .replace(/"(?:[^"\\]|\\.)*"/g, '""')
        .replace(/\/\*[\s\S]*?\*\//g, '')
        .match(/(?<!\w)[A-Za-z_]\w*/g),
    );
    const language = new Set([
      'include',
      'static',
      'void',
      'const',
      'char',
      'int',
      'long',
      'unsigned',
      'double',
      'bool',
      '_Bool',
      'if',
      'else',
      'return',
      'switch',
      'case',
      'default',
      'break',
      'extern',
      'nullptr',
      'std',
      'string',
      'vector',
      'map',
      'optional',
      '__builtin_strcmp',
      'size_t',
      'define',
      'hpp',
      'decode' /* sbx_codec<T>::decode, a member */,
    ]);
    const userFunctions = ['count', 'r', 'a0'];
    const unreserved = [...words].filter((word) => !language.has(word) && !userFunctions.includes(word) && !/^(sbx_|SBX_)/.test(word));
    expect(unreserved).toEqual([]);
  });
});
