import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ExecutionCancelledError, ExecutorClosedError, QueueFullError, SandboxExecutor, type StreamEvent } from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 2 });
afterAll(() => executor.close());

const ADD = 'def add(a, b):\n    return a + b\n';
const SPIN = 'def spin():\n    while True:\n        pass\n';

/** Waits until `check` holds (polling), failing after `ms`. */
async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('limits', () => {
  it('an infinite loop times out, the worker is replaced, and the next call works', async () => {
    const r = await executor.invoke({ language: 'python', code: SPIN, timeoutMs: 500 });
    expect(r.status).toBe('timeout');
    expect(r.exitCode).toBeNull();
    expect(await executor.call({ language: 'python', code: ADD, args: [1, 1] })).toBe(2);
    await until(() => executor.status().workers === 2);
  });

  it("an allocation bomb stops at memoryLimitMb with Python's own MemoryError", async () => {
    const code = 'def bomb():\n    hoard = []\n    while True:\n        hoard.append(bytearray(8 * 1024 * 1024))\n';
    const r = await executor.invoke({ language: 'python', code, memoryLimitMb: 64 });
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('MemoryError');
    expect(r.error?.line).toBe(4);
    // The host is fine and the next call works.
    expect(await executor.call({ language: 'python', code: ADD, args: [2, 2] })).toBe(4);
  });

  it('a print flood is cut off at maxOutputBytes with a marker', async () => {
    const code = 'def flood():\n    while True:\n        print("spam " * 20)\n';
    const r = await executor.invoke({ language: 'python', code, maxOutputBytes: 100_000 });
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('OutputLimitExceeded');
    expect(r.stdout).toMatch(/\[sandbox-executor: output truncated at 100000 bytes\]\n$/);
    expect(Buffer.byteLength(r.stdout)).toBeLessThan(100_000 + 100);
    expect(r.stdout.startsWith('spam spam')).toBe(true);
  });

  it('time.sleep really sleeps, without spinning a core', async () => {
    const cpuBefore = process.cpuUsage();
    const started = Date.now();
    const r = await executor.invoke({
      language: 'python',
      code: 'import time\n\ndef nap(s):\n    t = time.monotonic()\n    time.sleep(s)\n    return time.monotonic() - t\n',
      args: [0.8],
    });
    const elapsed = Date.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    expect(r.status).toBe('success');
    expect(r.result as number).toBeGreaterThanOrEqual(0.79);
    expect(elapsed).toBeGreaterThanOrEqual(790);
    // A busy loop would burn ~800 ms of CPU; the process (all threads) stays far below that.
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(500);
  });

  it('sleeping counts against timeoutMs', async () => {
    const r = await executor.invoke({ language: 'python', code: 'import time\n\ndef nap():\n    time.sleep(30)\n', timeoutMs: 700 });
    expect(r.status).toBe('timeout');
  });
});

describe('cancellation', () => {
  it('aborts a running call, keeping the output written so far', async () => {
    const controller = new AbortController();
    const code = 'import time\n\ndef slow():\n    print("started", flush=True)\n    time.sleep(30)\n';
    const pending = executor.invoke({ language: 'python', code, signal: controller.signal, onStdout: () => controller.abort() });
    const error = await rejection(pending);
    expect(error).toBeInstanceOf(ExecutionCancelledError);
    expect(error.result.status).toBe('cancelled');
    expect(error.result.stdout).toBe('started\n');
    expect(await executor.call({ language: 'python', code: ADD, args: [3, 3] })).toBe(6);
  });

  it('aborts a queued call before it starts', async () => {
    const single = new SandboxExecutor({ poolSize: 1, prestart: 0 });
    try {
      const busy = single.invoke({ language: 'python', code: SPIN, timeoutMs: 1500 });
      await until(() => single.status().busy === 1);
      const controller = new AbortController();
      const queued = single.invoke({ language: 'python', code: ADD, args: [1, 2], signal: controller.signal });
      await until(() => single.status().queued === 1);
      controller.abort(new Error('no longer needed'));
      const error = await rejection(queued);
      expect(error).toBeInstanceOf(ExecutionCancelledError);
      expect(error.result).toMatchObject({ status: 'cancelled', stdout: '', stderr: '', exitCode: null });
      expect(error.message).toContain('no longer needed');
      expect(single.status().queued).toBe(0);
      expect((await busy).status).toBe('timeout');
    } finally {
      await single.close();
    }
  });

  it('an already aborted signal rejects at once', async () => {
    await expect(executor.invoke({ language: 'python', code: ADD, args: [1, 2], signal: AbortSignal.abort() })).rejects.toBeInstanceOf(ExecutionCancelledError);
  });
});

describe('concurrency and the pool', () => {
  it('runs 20 concurrent calls correctly', async () => {
    const code = 'import time\n\ndef work(i):\n    print("call", i)\n    return {"i": i, "square": i * i}\n';
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => executor.invoke({ language: 'python', code, args: [i] })));
    results.forEach((r, i) => {
      expect(r.result).toEqual({ i, square: i * i });
      expect(r.stdout).toBe(`call ${i}\n`);
    });
    expect(new Set(results.map((r) => r.id)).size).toBe(20);
  });

  it('rejects with QueueFullError when the queue is full', async () => {
    const tiny = new SandboxExecutor({ poolSize: 1, maxQueue: 1, prestart: 0 });
    try {
      const running = tiny.invoke({ language: 'python', code: SPIN, timeoutMs: 1500 });
      await until(() => tiny.status().busy === 1);
      const queued = tiny.invoke({ language: 'python', code: ADD, args: [1, 2] });
      await until(() => tiny.status().queued === 1);
      const error = await rejection(tiny.invoke({ language: 'python', code: ADD, args: [1, 2] }));
      expect(error).toBeInstanceOf(QueueFullError);
      expect(error.limit).toBe(1);
      expect((await running).status).toBe('timeout');
      expect((await queued).result).toBe(3);
    } finally {
      await tiny.close();
    }
  });

  it('poolSize 0 runs each call on a dedicated worker', async () => {
    const unpooled = new SandboxExecutor({ poolSize: 0 });
    try {
      expect(await unpooled.call({ language: 'python', code: ADD, args: [20, 22] })).toBe(42);
      expect(unpooled.status().workers).toBe(0);
    } finally {
      await unpooled.close();
    }
  });

  it('pre-started instances serve one call each: no state leaks between calls', async () => {
    const warm = new SandboxExecutor({ poolSize: 2, prestart: 2 });
    try {
      await warm.warmup(['python']);
      expect(warm.status().prestarted.python).toBe(2);
      const code = 'counter = 0\n\ndef bump():\n    global counter\n    counter += 1\n    return counter\n';
      for (let i = 0; i < 4; i++) expect(await warm.call({ language: 'python', code })).toBe(1);
      // Limits are applied when an instance is claimed, not when it was started.
      await warm.warmup(['python']);
      const flood = await warm.invoke({ language: 'python', code: 'def f():\n    print("x" * 5000)\n', maxOutputBytes: 1000 });
      expect(flood.error?.type).toBe('OutputLimitExceeded');
      // A different memory limit cannot use the pre-started instances and still works.
      expect(await warm.call({ language: 'python', code: ADD, args: [1, 2], memoryLimitMb: 128 })).toBe(3);
    } finally {
      await warm.close();
    }
  });

  it('pre-started instances keep up with back-to-back and queued calls: each worker starts the next one itself', async () => {
    const busy = new SandboxExecutor({ poolSize: 1 });
    try {
      await busy.warmup(['python']);
      expect(busy.status().prestarted.python).toBe(1);
      const code = 'counter = 0\n\ndef bump(i):\n    global counter\n    counter += 1\n    return [i, counter]\n';
      // Back to back: each call claims the instance its worker started when the one before ended.
      for (let i = 0; i < 3; i++) {
        const r = await busy.invoke({ language: 'python', code, args: [i] });
        expect(r.result).toEqual([i, 1]);
        expect(r.usage.prestarted, `call ${i}`).toBe(true);
      }
      // All at once on one worker: the calls wait in the queue, and still none pays a fresh start.
      const results = await Promise.all(Array.from({ length: 6 }, (_, i) => busy.invoke({ language: 'python', code, args: [i] })));
      expect(results.map((r) => r.result)).toEqual(Array.from({ length: 6 }, (_, i) => [i, 1]));
      expect(results.map((r) => r.usage.prestarted)).toEqual(Array(6).fill(true));
      // A call of another kind takes the worker from the instance it holds (it waits for it to go).
      const other = await busy.invoke({ language: 'javascript', code: 'function f() { return 1; }' });
      expect([other.result, other.usage.prestarted]).toEqual([1, false]);
    } finally {
      await busy.close();
    }
  });

  it('a fresh start, a deterministic call and a session call do not count as prestarted', async () => {
    const cold = new SandboxExecutor({ poolSize: 1, prestart: 0 });
    try {
      expect((await cold.invoke({ language: 'python', code: ADD, args: [1, 2] })).usage.prestarted).toBe(false);
      expect((await executor.invoke({ language: 'python', code: ADD, args: [1, 2], deterministic: {} })).usage.prestarted).toBe(false);
      const session = await executor.createSession({ language: 'python', code: ADD });
      try {
        expect((await session.invoke({ functionName: 'add', args: [1, 2] })).usage.prestarted).toBe(false);
      } finally {
        await session.close();
      }
    } finally {
      await cold.close();
    }
  });

  it('after close() no worker is left and later calls reject', async () => {
    const closing = new SandboxExecutor({ poolSize: 2 });
    await closing.warmup(['python']);
    expect(closing.status().workers).toBe(2);
    await closing.close();
    expect(closing.status()).toMatchObject({ closed: true, workers: 0, busy: 0, queued: 0 });
    await expect(closing.invoke({ language: 'python', code: ADD, args: [1, 2] })).rejects.toBeInstanceOf(ExecutorClosedError);
  });

  it('a process that used the executor exits after close(), and even without it', async () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const script = (close: boolean) => `
      import { SandboxExecutor } from 'sandbox-executor';
      const ex = new SandboxExecutor({ poolSize: 2 });
      await ex.warmup(['python']);
      console.log(await ex.call({ language: 'python', code: 'def f():\\n    return 7\\n' }));
      ${close ? 'await ex.close();' : ''}`;
    for (const close of [true, false]) {
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script(close)], { cwd: root, timeout: 30_000 });
      expect(stdout.trim()).toBe('7');
    }
  });
});

describe('streaming', () => {
  const code = `
import sys, time

def chatty(n):
    for i in range(n):
        print("out", i)
        print("err", i, file=sys.stderr)
        time.sleep(0.02)
    return n
`;

  it('onStdout/onStderr receive output in order, while the call runs', async () => {
    const seen: string[] = [];
    let resolved = false;
    const pending = executor
      .invoke({ language: 'python', code, args: [5], onStdout: (c) => seen.push(`stdout:${c}`), onStderr: (c) => seen.push(`stderr:${c}`) })
      .then((r) => {
        resolved = true;
        return r;
      });
    await until(() => seen.length >= 2);
    expect(resolved).toBe(false);
    const r = await pending;
    const expected = [0, 1, 2, 3, 4].flatMap((i) => [`stdout:out ${i}\n`, `stderr:err ${i}\n`]);
    expect(seen).toEqual(expected);
    expect(r.stdout).toBe([0, 1, 2, 3, 4].map((i) => `out ${i}\n`).join(''));
  });

  it('stream() yields output events, then the result', async () => {
    const events: StreamEvent[] = [];
    for await (const event of executor.stream({ language: 'python', code, args: [3] })) events.push(event);
    // Phase events are test/integration/phases.test.ts's.
    const output = events.filter((e) => e.type !== 'phase');
    expect(output.map((e) => e.type)).toEqual(['stdout', 'stderr', 'stdout', 'stderr', 'stdout', 'stderr', 'result']);
    const last = events[events.length - 1];
    expect(last.type === 'result' && last.result.result).toBe(3);
  });

  it('leaving a stream early cancels the call', async () => {
    const forever = 'import time\n\ndef tick():\n    while True:\n        print("tick", flush=True)\n        time.sleep(0.05)\n';
    let count = 0;
    for await (const event of executor.stream({ language: 'python', code: forever })) {
      if (event.type === 'stdout') count++;
      if (count === 2) break;
    }
    expect(count).toBe(2);
    await until(() => executor.status().busy === 0);
  });

  it('emits execution:start, execution:output and execution:end with the execution id', async () => {
    const log: string[] = [];
    const onStart = (e: { id: string }) => log.push(`start:${e.id}`);
    const onOutput = (e: { id: string; stream: string; data: string }) => log.push(`output:${e.id}:${e.stream}:${e.data}`);
    const onEnd = (e: { id: string; result: { status: string } }) => log.push(`end:${e.id}:${e.result.status}`);
    executor.on('execution:start', onStart).on('execution:output', onOutput).on('execution:end', onEnd);
    try {
      const r = await executor.invoke({ language: 'python', code: 'def hi():\n    print("hi")\n    return 1\n' });
      expect(log).toEqual([`start:${r.id}`, `output:${r.id}:stdout:hi\n`, `end:${r.id}:success`]);
    } finally {
      executor.off('execution:start', onStart).off('execution:output', onOutput).off('execution:end', onEnd);
    }
  });
});
