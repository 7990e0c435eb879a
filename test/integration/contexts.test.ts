/**
 * Contexts (a live interpreter for snippets), with Python: what the conformance table does not cover
 * language by language (calls of defined functions, errors that leave it usable, exits and limits that
 * end it, its files, its options, its place among sessions).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ExecutionCancelledError,
  ExecutorClosedError,
  InvalidRequestError,
  SandboxExecutor,
  SessionClosedError,
  SessionLimitError,
  UserCodeError,
} from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 1 });
afterAll(() => executor.close());

describe('a context', () => {
  it('keeps imports, variables and definitions; each snippet has its own output and value', async () => {
    await using context = await executor.createContext({ language: 'python' });
    const first = await context.run('import math\nradius = 2\nprint("set")\n');
    expect(first).toMatchObject({ status: 'success', stdout: 'set\n', functionName: '' });
    expect(first).not.toHaveProperty('result');
    const second = await context.run('def area(r=None):\n    return math.pi * (r or radius) ** 2\nprint("defined")\narea()\n');
    expect(second).toMatchObject({ status: 'success', stdout: 'defined\n', result: Math.PI * 4 });
    expect(inspect(context)).toMatch(/^Context \{ id: context-\d+, language: python, state: open \}$/);
  });

  it('calls the functions snippets defined, with positional and keyword arguments', async () => {
    await using context = await executor.createContext({ language: 'python' });
    await context.run('def greet(name, greeting="Hello"):\n    return f"{greeting}, {name}!"\n');
    expect(await context.call('greet', ['Ada'], { greeting: 'Hi' })).toBe('Hi, Ada!');
    expect((await context.invoke({ functionName: 'greet', args: ['Bob'] })).result).toBe('Hello, Bob!');
    const missing = await rejection(context.call('nope'));
    expect(missing).toBeInstanceOf(UserCodeError);
    expect(missing.type).toBe('NameError');
    expect(await context.run('greet("Cy")')).toMatchObject({ result: 'Hello, Cy!' });
  });

  it('an error in a snippet leaves it usable; the traceback names the snippet and its line', async () => {
    await using context = await executor.createContext({ language: 'python' });
    await context.run('def fail():\n    raise KeyError("k")\n');
    const r = await context.run('x = 1\nfail()\n');
    expect(r.status).toBe('error');
    expect(r.error).toMatchObject({ type: 'KeyError', line: 2 });
    expect(r.error?.traceback).toContain('File "snippet_2.py", line 2');
    expect(r.error?.traceback).toContain('File "snippet_1.py", line 2, in fail');
    const syntax = await context.run('if True\n');
    expect(syntax.error).toMatchObject({ type: 'SyntaxError', line: 1 });
    expect((await context.run('x')).result).toBe(1);
    expect(context.state).toBe('open');
  });

  it('exit() ends it with the exit code; later snippets are refused', async () => {
    const context = await executor.createContext({ language: 'python' });
    const r = await context.run('print("bye")\nexit(4)\n');
    expect(r).toMatchObject({ status: 'error', exitCode: 4, stdout: 'bye\n', error: { type: 'Exit' } });
    expect(context.state).toBe('closed');
    expect(context.closedReason).toContain('exited (code 4)');
    expect(await rejection(context.run('1'))).toBeInstanceOf(SessionClosedError);
  });

  it('sees its env, argv, files and mounts; nothing is written back', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'contexts-'));
    try {
      await writeFile(join(dir, 'data.csv'), 'a,b\n1,2\n');
      await using context = await executor.createContext({
        language: 'python',
        env: { MODE: 'test' },
        argv: ['--fast'],
        files: { 'notes.txt': 'hello' },
        mounts: [{ hostPath: dir, virtualPath: '/data' }],
      });
      const r = await context.run('import os, sys\n[os.environ["MODE"], sys.argv[1:], open("notes.txt").read(), open("/data/data.csv").read()]\n');
      expect(r.result).toEqual(['test', ['--fast'], 'hello', 'a,b\n1,2\n']);
      await context.run('open("/data/new.txt", "w").write("x")\n');
      expect((await context.run('open("/data/new.txt").read()')).result).toBe('x');
      expect(existsSync(join(dir, 'new.txt'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('cancelling a snippet ends it; a snippet over its output limit ends it', async () => {
    const context = await executor.createContext({ language: 'python', maxOutputBytes: 10_000 });
    const controller = new AbortController();
    const running = context.run('print("go", flush=True)\nwhile True:\n    pass\n', {
      signal: controller.signal,
      onStdout: (chunk) => {
        if (chunk.includes('go')) controller.abort();
      },
    });
    expect(await rejection(running)).toBeInstanceOf(ExecutionCancelledError);
    expect(context.state).toBe('closed');

    const flooded = await executor.createContext({ language: 'python', maxOutputBytes: 1000 });
    const r = await flooded.run('print("x" * 5000)\n');
    expect(r.error?.type).toBe('OutputLimitExceeded');
    expect(flooded.state).toBe('closed');
  });

  it('closes after its idle timeout', async () => {
    const context = await executor.createContext({ language: 'python', idleTimeoutMs: 50 });
    await context.run('x = 1');
    await expect.poll(() => context.state, { timeout: 10_000 }).toBe('closed');
    expect(context.closedReason).toContain('idle');
  });
});

describe('createContext()', () => {
  it('checks its options and the snippets', async () => {
    const bad = async (options: object, field: string) => {
      const error = await rejection(executor.createContext(options as never));
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.field).toBe(field);
    };
    await bad({ language: 'python', code: 'x = 1' }, 'code');
    await bad({}, 'language');
    await bad({ language: 'python', idleTimeoutMs: -1 }, 'idleTimeoutMs');
    await bad({ language: 'python', env: { A: null } }, 'env["A"]');
    await using context = await executor.createContext({ language: 'python' });
    expect((await rejection(context.run(42 as never))).field).toBe('code');
    expect((await rejection(context.run('1', { timeout: 5 } as never))).field).toBe('timeout');
    expect((await rejection(context.call(''))).field).toBe('functionName');
    expect(context.state).toBe('open');
  });

  it('counts against maxSessions; close() of the executor closes its contexts', async () => {
    const small = new SandboxExecutor({ poolSize: 1, maxSessions: 1 });
    const context = await small.createContext({ language: 'python' });
    expect(small.status().sessions).toBe(1);
    expect(await rejection(small.createContext({ language: 'python' }))).toBeInstanceOf(SessionLimitError);
    await small.close();
    expect(context.state).toBe('closed');
    expect(await rejection(context.run('1'))).toBeInstanceOf(SessionClosedError);
    expect(await rejection(small.createContext({ language: 'python' }))).toBeInstanceOf(ExecutorClosedError);
  });
});
