/**
 * The edges a newcomer hits first: misspelled options, missing fields, `await using`, and what
 * `console.log` shows.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import { InvalidRequestError, SandboxExecutor, type ExecutionRequest } from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 1 });
afterAll(() => executor.close());

const ADD = 'def add(a, b):\n    return a + b\n\ndef greet(name, greeting="Hello"):\n    return f"{greeting}, {name}"\n';
/** Would succeed if `timeout` were ignored: the point of refusing unknown keys. */
const SPIN = 'def spin():\n    while True:\n        pass\n';

function expectUnknownKey(error: unknown, key: string, suggestion: string): void {
  expect(error).toBeInstanceOf(InvalidRequestError);
  expect((error as InvalidRequestError).field).toBe(key);
  expect((error as InvalidRequestError).message).toContain(`Did you mean ${suggestion}?`);
}

/** The error a synchronous call throws. */
function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('Expected a throw');
}

describe('unknown option keys are refused with the closest valid key', () => {
  it('new SandboxExecutor()', () => {
    expectUnknownKey(
      thrown(() => new SandboxExecutor({ timeout: 500 } as never)),
      'timeout',
      'timeoutMs',
    );
    expectUnknownKey(
      thrown(() => new SandboxExecutor({ poolsize: 2 } as never)),
      'poolsize',
      'poolSize',
    );
  });

  it('invoke(), call() and stream(), before anything runs', async () => {
    const request = { language: 'python', code: SPIN, timeout: 500 } as unknown as ExecutionRequest;
    expectUnknownKey(await rejection(executor.invoke(request)), 'timeout', 'timeoutMs');
    expectUnknownKey(await rejection(executor.call(request)), 'timeout', 'timeoutMs');
    const streamed = (async () => {
      for await (const event of executor.stream(request)) void event;
    })();
    expectUnknownKey(await rejection(streamed), 'timeout', 'timeoutMs');
    expect(executor.status().busy).toBe(0);
  });

  it('createSession(), load() and calls on a session', async () => {
    expectUnknownKey(await rejection(executor.createSession({ language: 'python', code: ADD, idleTimeout: 10 } as never)), 'idleTimeout', 'idleTimeoutMs');
    expectUnknownKey(await rejection(executor.load({ language: 'python', code: ADD, memoryLimit: 64 } as never)), 'memoryLimit', 'memoryLimitMb');
    const session = await executor.createSession({ language: 'python', code: ADD });
    try {
      expectUnknownKey(await rejection(session.invoke({ functionName: 'add', arg: [1, 2] } as never)), 'arg', 'args');
      // A request option that a session call does not take is refused too, not ignored.
      const files = await rejection(session.invoke({ functionName: 'add', args: [1, 2], files: { 'a.txt': 'x' } } as never));
      expect(files).toBeInstanceOf(InvalidRequestError);
      expect(files.field).toBe('files');
      expect(await session.call('add', [1, 2])).toBe(3);
    } finally {
      await session.close();
    }
  });

  it('describe()', () => {
    expectUnknownKey(
      thrown(() => executor.describe({ language: 'python', code: ADD, langauge: 'python' } as never)),
      'langauge',
      'language',
    );
    const unrelated = thrown(() => executor.describe({ language: 'python', code: ADD, functionName: 'add' } as never)) as InvalidRequestError;
    expect(unrelated.message).toContain('Valid keys: language, code, runtime.');
  });
});

describe('messages say what to do', () => {
  it('a missing language lists the supported ones', async () => {
    const error = await rejection(executor.invoke({ code: ADD } as never));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.field).toBe('language');
    expect(error.message).toMatch(/language is missing/);
    expect(error.message).toContain('python, ruby, javascript, php, c, cpp');
  });

  it('describe() without code names code', () => {
    const error = thrown(() => executor.describe({ language: 'python' } as never)) as InvalidRequestError;
    expect(error.field).toBe('code');
    expect(error.message).toMatch(/code is missing.*describe\(\)/);
  });

  it('args given as an object points to kwargs, kwargs given as a list points to args', async () => {
    const args = await rejection(executor.invoke({ language: 'python', code: ADD, functionName: 'greet', args: { name: 'Ada' } as never }));
    expect(args.field).toBe('args');
    expect(args.message).toMatch(/args is the list of positional arguments.*put them in kwargs/);
    const kwargs = await rejection(executor.invoke({ language: 'python', code: ADD, functionName: 'greet', kwargs: ['Ada'] as never }));
    expect(kwargs.field).toBe('kwargs');
    expect(kwargs.message).toMatch(/kwargs takes arguments by name.*Positional arguments go in args/);
  });

  it('the command line says --fn, not functionName', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-edges-'));
    try {
      await writeFile(join(dir, 'two.py'), ADD);
      let stderr = '';
      const sink = new Writable({ write: (chunk, _encoding, done) => ((stderr += String(chunk)), done()) });
      // Without --fn the file runs as a script; one that only defines functions gets told how to call them.
      const code = await main(['run', join(dir, 'two.py')], { stdout: sink, stderr: sink });
      expect(code).toBe(0);
      expect(stderr).toContain('--fn add');
      expect(stderr).not.toContain('functionName');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('lifecycle and inspection', () => {
  it('await using closes the executor at the end of the block', async () => {
    let used: SandboxExecutor;
    {
      await using scoped = new SandboxExecutor({ poolSize: 1, prestart: 0 });
      used = scoped;
      expect(await scoped.call({ language: 'python', code: ADD, functionName: 'add', args: [1, 2] })).toBe(3);
      expect(scoped.status().closed).toBe(false);
    }
    expect(used.status()).toMatchObject({ closed: true, workers: 0 });
  });

  it('console.log of an executor, a session and a loaded module prints a one-line summary', async () => {
    expect(inspect(executor)).toMatch(/^SandboxExecutor \{ poolSize: 1, workers: \d+, busy: 0, queued: 0, sessions: 0 \}$/);
    const session = await executor.createSession({ language: 'python', code: ADD });
    expect(inspect(session)).toMatch(/^Session \{ id: session-\d+, language: python, mode: persistent, state: open \}$/);
    expect(inspect(executor)).toContain('sessions: 1');
    await session.close();
    expect(inspect(session)).toMatch(/state: closed, closedReason: "closed by close\(\)" \}$/);
    const mod = await executor.load({ language: 'python', code: ADD });
    expect(inspect(mod)).toBe('LoadedModule { language: python, functions: [add, greet], session: open }');
    await mod.$close();
  });
});
