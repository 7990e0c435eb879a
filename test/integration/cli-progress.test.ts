/**
 * The command line on slow first calls: a progress line on stderr while the runtime loads and the
 * program compiles (only on a terminal, silenced by --quiet), compiled programs kept in a per-user cache
 * folder, and --compile-timeout. The terminal is a stream that says it is one (`isTTY`), and the line is
 * shown from the start of a phase (`progressDelayMs: 0`): which phases come is what the test reads, never
 * how long they take.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
let dir: string;
let xdgBefore: string | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-cli-progress-'));
  // The default cache folder of runs in this process: never the real home's.
  xdgBefore = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = join(dir, 'xdg-in-process');
  await writeFile(join(dir, 'add.c'), 'int add(int a, int b) { return a + b; }\n');
  await writeFile(join(dir, 'mul.c'), 'int mul(int a, int b) { return a * b; }\n');
});
afterAll(async () => {
  if (xdgBefore === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = xdgBefore;
  await rm(dir, { recursive: true, force: true });
});

function collector(isTTY: boolean) {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    }),
    { isTTY },
  );
  return { stream, text: () => text };
}

async function runInProcess(args: string[], tty = true) {
  const stdout = collector(false);
  const stderr = collector(tty);
  const code = await main(['run', ...args], { stdout: stdout.stream, stderr: stderr.stream, progressDelayMs: 0 });
  return { code, stdout: stdout.text(), stderr: stderr.text() };
}

function runProcess(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: dir, timeout: 120_000, env: { ...process.env, ...env } }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('sandbox-executor run on a terminal', () => {
  it('shows each slow phase on one line, erased before the result; a second run hits the cache and compiles nothing', async () => {
    const cache = join(dir, 'cache');
    const first = await runInProcess([join(dir, 'add.c'), '--args', '[1, 2]', '--cache-dir', cache]);
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('3\n');
    expect(first.stderr).toContain('sandbox-executor: loading the C runtime…');
    expect(first.stderr).toContain('sandbox-executor: compiling C…');
    expect(first.stderr.endsWith('\r\x1b[2K')).toBe(true);
    expect((await readdir(cache)).some((name) => name.startsWith('sandbox-c-program-'))).toBe(true);

    const second = await runInProcess([join(dir, 'add.c'), '--args', '[2, 3]', '--cache-dir', cache]);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('5\n');
    expect(second.stderr).not.toContain('compiling');
  });

  it('--quiet, or a stderr that is not a terminal: no progress line; --no-cache: nothing kept', async () => {
    const quiet = await runInProcess([join(dir, 'mul.c'), '--args', '[2, 3]', '--no-cache', '--quiet']);
    expect(quiet).toEqual({ code: 0, stdout: '6\n', stderr: '' });
    const piped = await runInProcess([join(dir, 'mul.c'), '--args', '[2, 4]', '--no-cache'], false);
    expect(piped).toEqual({ code: 0, stdout: '8\n', stderr: '' });
    expect(await readdir(process.env.XDG_CACHE_HOME!).catch(() => 'absent')).toBe('absent');
  });

  it('--compile-timeout ends a call whose program is not ready in time: exit code 2, nothing run', async () => {
    const r = await runInProcess([join(dir, 'mul.c'), '--args', '[2, 5]', '--no-cache', '--compile-timeout', '1', '--quiet']);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('[timeout] CompileTimeout');
  });

  it('--no-cache and --cache-dir exclude each other', async () => {
    const r = await runInProcess([join(dir, 'mul.c'), '--no-cache', '--cache-dir', dir]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--no-cache and --cache-dir');
  });
});

describe('sandbox-executor run as a process', () => {
  it('keeps compiled programs in $XDG_CACHE_HOME/sandbox-executor by default', async () => {
    const xdg = join(dir, 'xdg');
    const r = await runProcess(['run', 'add.c', '--args', '[20, 22]'], { XDG_CACHE_HOME: xdg });
    // stderr is a pipe here: no progress line.
    expect(r).toEqual({ code: 0, stdout: '42\n', stderr: '' });
    expect((await readdir(join(xdg, 'sandbox-executor'))).some((name) => name.startsWith('sandbox-c-program-'))).toBe(true);
  });
});
