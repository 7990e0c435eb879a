/**
 * The `sandbox-executor` command, run as a real process from the built package.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CLI = fileURLToPath(new URL('../../dist/cli.js', import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-cli-'));
  await writeFile(
    join(dir, 'math.py'),
    'import sys\n\ndef add(a, b):\n    print("adding", a, b)\n    print("to stderr", file=sys.stderr)\n    return a + b\n\ndef fail():\n    raise ValueError("nope")\n\ndef spin():\n    while True:\n        pass\n',
  );
  await writeFile(join(dir, 'one.py'), 'def only(name="world"):\n    return {"hello": name, "big": 2 ** 70}\n');
  await writeFile(join(dir, 'writer.py'), 'def write(text):\n    open("note.txt", "w").write(text)\n    return len(text)\n');
  await writeFile(join(dir, 'script.unknown'), 'x');
  await writeFile(
    join(dir, 'script.py'),
    'import os, sys\ntext = sys.stdin.read()\nprint(os.environ["GREETING"], sys.argv[1:], text.strip().upper())\nsys.exit(3)\n',
  );
  await writeFile(join(dir, 'ask.py'), 'name = input("Name? ")\nprint(f"Hello, {name}!")\n');
  await writeFile(join(dir, 'broken.py'), 'def f():\n    raise ValueError("nope")\n\nf()\n');
});
afterAll(() => rm(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { cwd: dir, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Runs the command with `input` on its standard input, then its end. */
function runWithInput(args: string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('sandbox-executor run', () => {
  it('without --fn runs the file as a script: arguments after --, standard input piped through, its exit code', async () => {
    const r = await runWithInput(['run', 'script.py', '--env', 'GREETING=hi', '--', 'a', '--b'], 'piped in\n');
    expect(r).toEqual({ code: 3, stdout: "hi ['a', '--b'] PIPED IN\n", stderr: '' });
  });

  it('a script answers prompts as the input comes', async () => {
    const child = spawn(process.execPath, [CLI, 'run', 'ask.py'], { cwd: dir });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // The answer goes in only once the prompt is out.
      if (stdout === 'Name? ') child.stdin.end('Ada\n');
    });
    const code = await new Promise((resolve) => child.once('close', resolve));
    expect({ code, stdout }).toEqual({ code: 0, stdout: 'Name? Hello, Ada!\n' });
  });

  it("a script's uncaught error prints its traceback and exits with 1; --json prints the result", async () => {
    const r = await runWithInput(['run', 'broken.py'], '');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('File "user_code.py", line 2, in f');
    const json = await runWithInput(['run', 'script.py', '--json', '--stdin', 'given', '--env', 'GREETING=hey'], '');
    expect(json.code).toBe(3);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: 'error', exitCode: 3, stdout: 'hey [] GIVEN\n', error: { type: 'Exit' } });
  });

  it('prints output as it comes, then the result; exit code 0', async () => {
    const r = await run(['run', 'math.py', '--fn', 'add', '--args', '[2, 3]']);
    expect(r).toEqual({ code: 0, stdout: 'adding 2 3\n5\n', stderr: 'to stderr\n' });
  });

  it('auto-detects the function and language, takes kwargs, prints big integers as tagged JSON', async () => {
    const r = await run(['run', 'one.py', '--kwargs', '{"name": "Ada"}']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ hello: 'Ada', big: { $bigint: '1180591620717411303424' } });
  });

  it('--json prints the whole result, with user output kept off stdout', async () => {
    const r = await run(['run', 'math.py', '--fn', 'add', '--args', '[1, 2]', '--json']);
    expect(r.code).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ status: 'success', result: 3, stdout: 'adding 1 2\n', language: 'python', functionName: 'add' });
    expect(r.stderr).toBe('adding 1 2\nto stderr\n');
  });

  it('exit codes: 1 for an error, 2 for a timeout, 64 for bad usage', async () => {
    const failed = await run(['run', 'math.py', '--fn', 'fail']);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain('ValueError: nope');
    expect(failed.stderr).toContain('line 9');
    const timedOut = await run(['run', 'math.py', '--fn', 'spin', '--timeout', '500']);
    expect(timedOut.code).toBe(2);
    expect(timedOut.stderr).toContain('[timeout]');
    for (const args of [['run'], ['run', 'math.py', '--args', 'not json'], ['run', 'script.unknown'], ['run', 'math.py', '--bogus'], ['frobnicate']]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stderr).toMatch(/^sandbox-executor: /);
    }
    const missingFn = await run(['run', 'math.py', '--fn', 'ad']);
    expect(missingFn.code).toBe(64);
    expect(missingFn.stderr).toContain('Did you mean "add"?');
  });

  it('--mount with --write syncs files back', async () => {
    const r = await run(['run', 'writer.py', '--args', '["from the sandbox"]', '--mount', dir, '--write']);
    expect(r.code).toBe(0);
    expect(await readFile(join(dir, 'note.txt'), 'utf8')).toBe('from the sandbox');
  });

  it('--help for every command', async () => {
    for (const command of [[], ['run'], ['describe'], ['serve']]) {
      const r = await run([...command, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^Usage: sandbox-executor/);
    }
  });
});

describe('sandbox-executor describe', () => {
  it('prints the functions as JSON', async () => {
    const r = await run(['describe', 'math.py']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).functions.map((f: { name: string }) => f.name)).toEqual(['add', 'fail', 'spin']);
  });
});

describe('sandbox-executor serve', () => {
  it('serves the HTTP adapter until stopped', async () => {
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0'], { cwd: dir });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => resolve(chunk.toString()));
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      const url = /http:\/\/\S+/.exec(line)![0];
      const response = await fetch(`${url}/exec`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ language: 'python', code: 'def f(x):\n    return x * 2\n', args: [21] }),
      });
      expect(await response.json()).toMatchObject({ status: 'success', result: 42 });
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
    expect(child.exitCode).toBe(0);
  });

  it('refuses a non-loopback --host without a token, and says why', async () => {
    const r = await run(['serve', '--port', '0', '--host', '0.0.0.0']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--token');
    expect(r.stderr).toContain('--insecure');
  });

  it('--token (or SANDBOX_EXECUTOR_TOKEN) is required on every request; --insecure starts without one', async () => {
    for (const [args, env, token] of [
      [['--host', '0.0.0.0', '--token', 'from-flag'], {}, 'from-flag'],
      [['--host', '0.0.0.0'], { SANDBOX_EXECUTOR_TOKEN: 'from-env' }, 'from-env'],
      [['--host', '0.0.0.0', '--insecure'], {}, undefined],
    ] as const) {
      const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { cwd: dir, env: { ...process.env, ...env } });
      try {
        const line = await new Promise<string>((resolve, reject) => {
          child.stdout.on('data', (chunk: Buffer) => resolve(chunk.toString()));
          child.once('exit', (code) => reject(new Error(`exited ${code}`)));
        });
        const port = /:(\d+)\/api/.exec(line)![1];
        const health = (headers: Record<string, string>) => fetch(`http://127.0.0.1:${port}/api/sandbox/health`, { headers });
        if (token) {
          expect((await health({})).status).toBe(401);
          expect((await health({ authorization: `Bearer ${token}` })).status).toBe(200);
        } else {
          expect((await health({})).status).toBe(200);
        }
      } finally {
        child.kill('SIGTERM');
        await new Promise((resolve) => child.once('exit', resolve));
      }
    }
  });
});
