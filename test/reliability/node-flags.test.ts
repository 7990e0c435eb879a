/**
 * Hosts started with the Node flags production uses (issue 14, §5). Each case is a real child process,
 * `node <flags> host.mjs`, that imports the built package and makes one call.
 *
 * Workers refuse V8 and per-process flags (ERR_WORKER_INVALID_EXEC_ARGV); they must get only the flags
 * they accept, and a worker that cannot start must fail calls with RuntimeUnavailableError naming the
 * cause after a few attempts, never loop.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const distIndex = pathToFileURL(fileURLToPath(new URL('../../dist/index.js', import.meta.url))).href;

const HOST = `
import { SandboxExecutor } from ${JSON.stringify(distIndex)};
const executor = new SandboxExecutor({ poolSize: 1, prestart: 0 });
try {
  const r = await executor.invoke({ language: 'javascript', code: 'export function add(a, b) { return a + b; }', args: [2, 3] });
  console.log(JSON.stringify({ status: r.status, result: r.result }));
} catch (error) {
  console.log(JSON.stringify({ rejected: error.name, code: error.code, message: error.message }));
} finally {
  await executor.close();
}
`;

/** Loaded in every thread by --import / --require; says so from worker threads. */
const PRELOAD = `
const { isMainThread } = require('node:worker_threads');
if (!isMainThread) process.stderr.write('preload in worker\\n');
`;

/** A preload that breaks worker threads (the host itself starts fine). */
const BROKEN_PRELOAD = `
import { isMainThread } from 'node:worker_threads';
if (!isMainThread) {
  process.stderr.write('broken preload in worker\\n');
  throw new Error('boom in worker preload');
}
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-node-flags-'));
  await writeFile(join(dir, 'host.mjs'), HOST);
  await writeFile(join(dir, 'preload.cjs'), PRELOAD);
  await writeFile(join(dir, 'broken-preload.mjs'), BROKEN_PRELOAD);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** Runs the host with `flags`; a child still running after 40 s is killed (the old runaway loop). */
function runHost(flags: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, join(dir, 'host.mjs')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const guard = setTimeout(() => child.kill('SIGKILL'), 40_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('hosts started with common Node flags', () => {
  it.each([
    [['--max-old-space-size=4096']],
    [['--expose-gc']],
    [['--no-liftoff']],
    [['--inspect=127.0.0.1:0']],
    [['--enable-source-maps']],
    [['--stack-size=2000', '--max-semi-space-size=16']],
  ])('%j: calls work', async (flags) => {
    const run = await runHost(flags);
    expect(JSON.parse(run.stdout)).toEqual({ status: 'success', result: 5 });
    expect(run.code).toBe(0);
  });

  it.each([[['--require', './preload.cjs']], [['--import', './preload.cjs']]])('%j: the preload reaches the workers too', async (flags) => {
    const run = await runHost([...flags, '--max-old-space-size=4096', '--expose-gc']);
    expect(JSON.parse(run.stdout)).toEqual({ status: 'success', result: 5 });
    // Flags that workers accept are passed on, those they refuse are not.
    expect(run.stderr).toContain('preload in worker');
  });

  it('a worker that cannot start: RuntimeUnavailableError naming the cause, after 3 attempts', async () => {
    const run = await runHost(['--import', './broken-preload.mjs']);
    const outcome = JSON.parse(run.stdout);
    expect(outcome).toMatchObject({ rejected: 'RuntimeUnavailableError', code: 'RUNTIME_UNAVAILABLE' });
    expect(outcome.message).toContain('boom in worker preload');
    expect(run.stderr.match(/broken preload in worker/g)).toHaveLength(3);
    expect(run.code).toBe(0);
  });
});
