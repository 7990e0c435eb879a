/**
 * Scripts (`run()`) and execution handles (`start()`, `stream()`), with Python: what the conformance
 * table does not cover language by language (input written while running, cancellation, request
 * checks, files, deterministic runs, events).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ExecutionCancelledError,
  ExecutorClosedError,
  FunctionNotFoundError,
  InvalidRequestError,
  SandboxExecutor,
  type ExecutionResult,
  type StreamEvent,
} from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 2 });
afterAll(() => executor.close());

const UPPER = 'import sys\nsys.stdout.write(sys.stdin.read().upper())\n';

/** Collects the events of a handle until it ends, writing `answer(stdoutSoFar)` when it returns text. */
async function drive(execution: AsyncIterable<StreamEvent>, answer?: (stdout: string) => string | undefined) {
  let stdout = '';
  let result: ExecutionResult | undefined;
  for await (const event of execution) {
    if (event.type === 'result') result = event.result;
    if (event.type !== 'stdout') continue;
    stdout += event.data;
    const reply = answer?.(stdout);
    if (reply !== undefined) (execution as unknown as { write(data: string): void }).write(reply);
  }
  return result!;
}

describe('run()', () => {
  it('the value of the last expression, apart from what the script prints; no value, no result', async () => {
    const r = await executor.run({ language: 'python', code: 'print("computing")\nanswer = 6 * 7\nanswer\n' });
    expect(r).toMatchObject({ status: 'success', result: 42, stdout: 'computing\n', exitCode: 0, functionName: '', language: 'python' });
    expect(r.usage.peakMemoryBytes).toBeGreaterThan(0);
    for (const code of ['x = 1\n', 'print("only prints")\n', 'None\n']) {
      expect(await executor.run({ language: 'python', code })).not.toHaveProperty('result');
    }
  });

  it('a value with no wire form is shown as Python shows it', async () => {
    const r = await executor.run({ language: 'python', code: 'class Point:\n    def __repr__(self):\n        return "Point()"\n\nPoint()\n' });
    expect(r).toMatchObject({ status: 'success', result: 'Point()' });
  });

  it('runs as __main__, with top-level await', async () => {
    const code = 'import asyncio\n\nasync def later():\n    await asyncio.sleep(0)\n    return __name__\n\nawait later()\n';
    expect((await executor.run({ language: 'python', code })).result).toBe('__main__');
  });

  it('the live-output callbacks and the executor events, as for calls', async () => {
    const chunks: string[] = [];
    const events: string[] = [];
    const onStart = ({ id, functionName }: { id: string; functionName: string }) => events.push(`start ${id} ${JSON.stringify(functionName)}`);
    const onEnd = ({ id }: { id: string }) => events.push(`end ${id}`);
    executor.on('execution:start', onStart);
    executor.on('execution:end', onEnd);
    try {
      const r = await executor.run({ language: 'python', code: 'print("a")\nprint("b")\n', onStdout: (chunk) => chunks.push(chunk) });
      expect(chunks.join('')).toBe('a\nb\n');
      expect(events).toEqual([`start ${r.id} ""`, `end ${r.id}`]);
    } finally {
      executor.off('execution:start', onStart);
      executor.off('execution:end', onEnd);
    }
  });

  it('its time limit stops it', async () => {
    const r = await executor.run({ language: 'python', code: 'while True:\n    pass\n', timeoutMs: 500 });
    expect(r.status).toBe('timeout');
    expect(r.exitCode).toBeNull();
  });

  it('files, mounts and permissions: what the script writes syncs back as a call would', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'scripts-'));
    try {
      const r = await executor.run({
        language: 'python',
        code: 'text = open("in.txt").read()\nopen("out.txt", "w").write(text.upper())\nlen(text)\n',
        files: { 'in.txt': 'hello' },
        mounts: [{ hostPath: dir }],
        permissions: { rules: [{ pattern: 'out.txt', allow: ['create'] }] },
      });
      expect(r).toMatchObject({ status: 'success', result: 5 });
      expect(r.files?.created.map((c) => c.virtualPath)).toEqual(['/workspace/out.txt']);
      expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe('HELLO');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('deterministic mode gives the same output every time', async () => {
    const code = 'import random, time\nprint(random.random(), time.time())\n';
    const [a, b] = await Promise.all([0, 1].map(() => executor.run({ language: 'python', code, deterministic: { seed: 3 } })));
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout).toContain(String(Date.UTC(2000, 0, 1) / 1000));
  });

  it('checks the request before anything runs', async () => {
    const field = async (promise: Promise<unknown>) => {
      const error = await rejection(promise);
      expect(error).toBeInstanceOf(InvalidRequestError);
      return error.field as string;
    };
    expect(await field(executor.run({ language: 'python', code: '1', functionName: 'f' } as never))).toBe('functionName');
    expect(await field(executor.run({ language: 'python', code: '1', env: { A: 1 } } as never))).toBe('env["A"]');
    expect(await field(executor.run({ language: 'python', code: '1', env: { 'A=B': 'x' } }))).toBe('env["A=B"]');
    expect(await field(executor.run({ language: 'python', code: '1', argv: 'a b' } as never))).toBe('argv');
    expect(await field(executor.run({ language: 'python', code: '1', argv: ['a', 2] } as never))).toBe('argv[1]');
    expect(await field(executor.run({ language: 'python' } as never))).toBe('code');
    expect(await field(executor.invoke({ language: 'python', code: 'def f():\n    return 1\n', kind: 'script' } as never))).toBe('kind');
    expect(executor.status().busy).toBe(0);
  });
});

describe('start(): an execution handle', () => {
  it('input written while the program runs answers its prompts, as a terminal would', async () => {
    const code = 'first = input("First? ")\nsecond = input("Second? ")\nprint(f"{first} and {second}")\n';
    const execution = executor.start({ kind: 'script', language: 'python', code });
    expect(execution.id).toMatch(/^exec-/);
    const r = await drive(execution, (stdout) => (stdout.endsWith('First? ') ? 'tea\n' : stdout.endsWith('Second? ') ? 'cake\n' : undefined));
    expect(r).toMatchObject({ status: 'success', stdout: 'First? Second? tea and cake\n' });
    expect(r.id).toBe(execution.id);
  });

  it('what is written before it starts waits for it, after the request stdin; end() ends the input', async () => {
    const execution = executor.start({ kind: 'script', language: 'python', code: UPPER, stdin: 'one ' });
    execution.write('two ');
    execution.write(new TextEncoder().encode('thrée'));
    execution.end();
    expect(execution.writable).toBe(false);
    expect((await execution.result).stdout).toBe('ONE TWO THRÉE');
    expect(() => execution.write('more')).toThrow(InvalidRequestError);
  });

  it('a read that waits for input is bounded by the time limit', async () => {
    const r = await executor.start({ kind: 'script', language: 'python', code: 'input()\n', timeoutMs: 700 }).result;
    expect(r.status).toBe('timeout');
  });

  it('calls take input while running too', async () => {
    const code = 'def ask(question):\n    return input(question).strip()[::-1]\n';
    const execution = executor.start({ language: 'python', code, args: ['Word? '] });
    const r = await drive(execution, (stdout) => (stdout === 'Word? ' ? 'stressed\n' : undefined));
    expect(r).toMatchObject({ status: 'success', result: 'desserts', functionName: 'ask' });
  });

  it('cancel() stops it: result rejects with what it wrote until then', async () => {
    const execution = executor.start({ kind: 'script', language: 'python', code: 'print("ready")\nwhile True:\n    pass\n' });
    for await (const event of execution) {
      if (event.type === 'stdout' && event.data.includes('ready')) break;
    }
    // Leaving the loop cancelled it.
    const error = await rejection(execution.result);
    expect(error).toBeInstanceOf(ExecutionCancelledError);
    expect(error.result).toMatchObject({ status: 'cancelled', stdout: 'ready\n' });

    const other = executor.start({ kind: 'script', language: 'python', code: 'input()\n' });
    other.cancel(new Error('no longer needed'));
    const cancelled = await rejection(other.result);
    expect(cancelled).toBeInstanceOf(ExecutionCancelledError);
    expect(cancelled.message).toContain('no longer needed');
  });

  it('a bad request throws at once; the executor refuses once closed', async () => {
    expect(() => executor.start({ language: 'python', code: 'def f():\n    pass\n', functionName: 'g' })).toThrow(FunctionNotFoundError);
    expect(() => executor.start({ kind: 'script', language: 'python', code: '' })).toThrow(InvalidRequestError);
    const closed = new SandboxExecutor({ poolSize: 1 });
    await closed.close();
    expect(() => closed.start({ kind: 'script', language: 'python', code: '1' })).toThrow(ExecutorClosedError);
  });
});

describe('stream()', () => {
  it('runs scripts too, and returns the same handle, with the request stdin as its whole input', async () => {
    const events: string[] = [];
    const execution = executor.stream({ kind: 'script', language: 'python', code: UPPER, stdin: 'abc' });
    for await (const event of execution) {
      if (event.type === 'result') events.push(`result ${event.result.status}`);
      else if (event.type === 'phase') events.push(`phase ${event.phase} ${event.state}`);
      else events.push(`${event.type} ${event.data}`);
    }
    expect(events.filter((event) => !event.startsWith('phase '))).toEqual(['stdout ABC', 'result success']);
    // The running phase starts before the output and ends before the result.
    expect(events.filter((event) => event.startsWith('phase running'))).toEqual(['phase running start', 'phase running end']);
    expect(events.indexOf('phase running start')).toBeLessThan(events.indexOf('stdout ABC'));
    expect(events.indexOf('phase running end')).toBeLessThan(events.indexOf('result success'));
    expect(() => execution.write('x')).toThrow(InvalidRequestError);
  });

  it('a request error comes out of the loop and rejects result', async () => {
    const execution = executor.stream({ kind: 'script', language: 'python', code: '1', argv: [1] } as never);
    expect(execution.id).toBe('');
    await expect(execution.result).rejects.toBeInstanceOf(InvalidRequestError);
    const loop = (async () => {
      for await (const event of execution) void event;
    })();
    await expect(loop).rejects.toBeInstanceOf(InvalidRequestError);
  });
});

describe('describe() of code without functions', () => {
  it('says so, without an error', () => {
    const description = executor.describe({ language: 'python', code: 'print("a script")\n' });
    expect(description.functions).toEqual([]);
    expect(description.note).toContain('run()');
    expect(executor.describe({ language: 'python', code: 'def f():\n    pass\n' })).not.toHaveProperty('note');
  });
});
