/**
 * Packages that cannot load, refused with PackageError before anything runs (the packages the tests make
 * themselves, in test/fixtures/packages/), and the kinds of package each language accepts.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PackageError, SandboxExecutor, type ExecutionRequest } from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const fixtures = fileURLToPath(new URL('../fixtures/packages/', import.meta.url));
const executor = new SandboxExecutor({ poolSize: 2 });
const temporary: string[] = [];
afterAll(async () => {
  await executor.close();
  for (const dir of temporary) await rm(dir, { recursive: true, force: true });
});

/** Runs a call and records whether any of it started: a refused package must stop it before it runs. */
async function refused(request: ExecutionRequest): Promise<PackageError> {
  const phases: string[] = [];
  const error = await rejection(executor.invoke({ ...request, onPhase: (event) => phases.push(event.phase) }));
  expect(phases).not.toContain('running');
  expect(error).toBeInstanceOf(PackageError);
  expect((error as PackageError).code).toBe('PACKAGE_ERROR');
  expect((error as PackageError).name).toBe('PackageError');
  return error as PackageError;
}

const pythonCall = (packages: string[]): ExecutionRequest => ({
  language: 'python',
  code: 'import greeting\ndef hello(name):\n    return greeting.greet(name)\n',
  functionName: 'hello',
  args: ['sandbox'],
  packages,
});

describe('Python wheels', () => {
  it('unpacks a pure-Python wheel in memory and imports it, its RECORD checked', async () => {
    const r = await executor.invoke(pythonCall([`${fixtures}python/greeting-1.0-py3-none-any.whl`]));
    expect(r.error).toBeUndefined();
    expect(r.result).toBe('Hello, sandbox!');
  });

  it('refuses a wheel whose file does not match its RECORD hash, naming the file', async () => {
    const error = await refused(pythonCall([`${fixtures}python/tampered-1.0-py3-none-any.whl`]));
    expect(error.file).toBe('greeting/words.py');
    expect(error.message).toMatch(/does not match its hash in RECORD/);
  });

  it('refuses a C-extension wheel by its tags', async () => {
    const error = await refused(pythonCall([`${fixtures}python/fastmath-1.0-cp311-cp311-linux_x86_64.whl`]));
    expect(error.message).toMatch(/C extension/);
    expect(error.file).toBe('fastmath-1.0-cp311-cp311-linux_x86_64.whl');
  });

  it('refuses a package folder holding a native library, naming the .so', async () => {
    const error = await refused(pythonCall([`${fixtures}python/native_folder`]));
    expect(error.file).toBe('speedy/_speedups.cpython-311-x86_64-linux-gnu.so');
    expect(error.message).toMatch(/native code/);
  });
});

describe('JavaScript packages', () => {
  it('refuses a CommonJS-only package, naming it', async () => {
    const error = await refused({
      language: 'javascript',
      code: 'import cjs from "cjs-only";\nexport function twice(n) { return cjs.twice(n); }\n',
      functionName: 'twice',
      args: [2],
      packages: [`${fixtures}javascript/cjs-only`],
    });
    expect(error.message).toMatch(/package cjs-only is CommonJS/);
  });

  it('refuses a package whose dependency is not given, naming the dependency', async () => {
    const error = await refused({
      language: 'javascript',
      code: 'import { padded } from "needs-dep";\nexport function pad(text) { return padded(text); }\n',
      functionName: 'pad',
      args: ['x'],
      packages: [`${fixtures}javascript/needs-dep`],
    });
    expect(error.message).toMatch(/needs-dep imports left-pad-esm, but no package named left-pad-esm/);
  });

  it('refuses an import of a package that is not given', async () => {
    const error = await refused({
      language: 'javascript',
      code: 'import x from "nowhere";\nexport function f() { return x; }\n',
      functionName: 'f',
      packages: [`${fixtures}javascript/needs-dep`],
    });
    expect(error.message).toMatch(/no package named nowhere/);
  });
});

describe('Ruby and PHP packages', () => {
  it('refuses a native gem (one that builds a C extension)', async () => {
    const error = await refused({
      language: 'ruby',
      code: 'require "native_gem"\ndef f\n  1\nend\n',
      functionName: 'f',
      packages: [`${fixtures}ruby/native-gem`],
    });
    expect(error.file).toBe('ext/native_gem/extconf.rb');
  });

  it("loads a Composer vendor/ folder: require 'vendor/autoload.php' works", async () => {
    const r = await executor.invoke({
      language: 'php',
      code: "<?php\nrequire 'vendor/autoload.php';\nfunction slug($text) { return Acme\\Slugify\\Slugify::slug($text); }\n",
      functionName: 'slug',
      args: ['Hello, Sandbox World'],
      packages: [`${fixtures}php/vendor`],
    });
    expect(r.error).toBeUndefined();
    expect(r.result).toBe('hello-sandbox-world');
  });
});

describe('C and C++ packages', () => {
  const packages = [`${fixtures}c/include-mathx`, `${fixtures}c/mathx.c`];
  it('puts header folders on the include path and compiles sources in, for C and C++', async () => {
    const c = await executor.invoke({
      language: 'c',
      code: '#include "mathx.h"\nint gcd_plus(int a, int b) { return mathx_gcd(a, b) * 100 + MATHX_VERSION; }\n',
      functionName: 'gcd_plus',
      args: [84, 36],
      packages,
    });
    expect(c.error).toBeUndefined();
    expect(c.result).toBe(1203);
    const cpp = await executor.invoke({
      language: 'cpp',
      code: '#include <string>\n#include "mathx.h"\nstd::string gcd_text(int a, int b) { return std::to_string(mathx_gcd(a, b)); }\n',
      functionName: 'gcd_text',
      args: [84, 36],
      packages,
    });
    expect(cpp.error).toBeUndefined();
    expect(cpp.result).toBe('12');
  });

  it('rebuilds when a package changes: its contents are part of the program cache key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-native-'));
    temporary.push(dir);
    await writeFile(join(dir, 'answer.c'), 'int answer(void) { return 41; }\n');
    const request: ExecutionRequest = {
      language: 'c',
      code: 'int answer(void);\nint get(void) { return answer(); }\n',
      functionName: 'get',
      packages: [join(dir, 'answer.c')],
    };
    expect((await executor.invoke(request)).result).toBe(41);
    await writeFile(join(dir, 'answer.c'), 'int answer(void) { return 42; } /* changed */\n');
    expect((await executor.invoke(request)).result).toBe(42);
  });
});

describe('what any package is checked for', () => {
  it('refuses a link that leads out of the package folder, and follows one that stays inside', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-packages-'));
    temporary.push(dir);
    await writeFile(join(dir, 'secret.txt'), 'host secret');
    await mkdir(join(dir, 'pkg'));
    await writeFile(join(dir, 'pkg', '__init__.py'), 'VALUE = open(__file__.replace("__init__.py", "inside.txt")).read()\n');
    await writeFile(join(dir, 'pkg', 'real.txt'), 'inside');
    await symlink(join(dir, 'pkg', 'real.txt'), join(dir, 'pkg', 'inside.txt'));
    const code = 'import pkg\ndef value():\n    return pkg.VALUE\n';
    const inside = await executor.invoke({ language: 'python', code, functionName: 'value', packages: [join(dir, 'pkg')] });
    expect(inside.result).toBe('inside');

    await symlink(join(dir, 'secret.txt'), join(dir, 'pkg', 'escape.txt'));
    const error = await refused({ language: 'python', code, functionName: 'value', packages: [join(dir, 'pkg')] });
    expect(error.file).toBe('escape.txt');
    expect(error.message).toMatch(/outside the package/);
  });

  it('refuses a path that does not exist, and a language without packages', async () => {
    expect((await refused(pythonCall([join(fixtures, 'no-such-package')]))).message).toMatch(/cannot be read/);
    expect(
      (await refused({ language: 'sql', code: '-- name: one$\nSELECT 1;', functionName: 'one', packages: [`${fixtures}python/greeting-1.0-py3-none-any.whl`] }))
        .message,
    ).toMatch(/SQL takes no packages/);
  });
});
