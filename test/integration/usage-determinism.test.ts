/**
 * The usage report of every result, partial output on timeout, and deterministic mode.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidRequestError, SandboxExecutor } from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 2 });
afterAll(() => executor.close());

describe('usage', () => {
  it('reports time, output, memory and file writes', async () => {
    const code = `
import sys
def work(n):
    print("x" * 10)
    print("yy", file=sys.stderr)
    data = bytearray(n)
    with open("/tmp/a.bin", "wb") as f:
        f.write(data)
    with open("/tmp/b.txt", "w") as f:
        f.write("hello")
    return len(data)
`;
    const small = await executor.invoke({ language: 'python', code, args: [1000] });
    const big = await executor.invoke({ language: 'python', code, args: [40_000_000] });
    expect(small.usage).toMatchObject({ stdoutBytes: 11, stderrBytes: 3, filesWritten: 2, bytesWritten: 1005 });
    expect(big.usage.bytesWritten).toBe(40_000_005);
    expect(big.usage.peakMemoryBytes).toBeGreaterThan(small.usage.peakMemoryBytes + 30_000_000);
    for (const r of [small, big]) {
      expect(r.usage.wallMs).toBeGreaterThanOrEqual(r.durationMs);
      expect(r.usage.queueMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('keeps the output written before a timeout', async () => {
    const r = await executor.invoke({
      language: 'python',
      code: 'import sys\ndef f():\n    print("before the loop")\n    print("on stderr", file=sys.stderr)\n    while True:\n        pass\n',
      timeoutMs: 3_000,
    });
    expect(r.status).toBe('timeout');
    expect(r.stdout).toBe('before the loop\n');
    expect(r.stderr).toBe('on stderr\n');
    expect(r.usage).toMatchObject({ stdoutBytes: 16, stderrBytes: 10 });
  });
});

describe('deterministic mode', () => {
  const code = `
import random, time, os, uuid
def sample():
    words = {"apple", "banana", "cherry", "date", "elder", "fig"}
    print("order:", list(words))
    return {
        "random": random.random(),
        "randint": random.randint(0, 10**9),
        "time": time.time(),
        "urandom": os.urandom(8).hex(),
        "uuid": str(uuid.uuid4()),
        "order": list(words),
    }
`;

  it('gives byte-identical results and output run after run', async () => {
    const runs = await Promise.all([1, 2, 3].map(() => executor.invoke({ language: 'python', code, deterministic: { seed: 42 } })));
    for (const r of runs) expect(r.status).toBe('success');
    expect(JSON.stringify(runs[1]!.result)).toBe(JSON.stringify(runs[0]!.result));
    expect(JSON.stringify(runs[2]!.result)).toBe(JSON.stringify(runs[0]!.result));
    expect(runs[1]!.stdout).toBe(runs[0]!.stdout);
  });

  it('differs without it, and between seeds', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => executor.invoke({ language: 'python', code })));
    expect((a!.result as { urandom: string }).urandom).not.toBe((b!.result as { urandom: string }).urandom);
    expect((a!.result as { random: number }).random).not.toBe((b!.result as { random: number }).random);
    const [one, two] = await Promise.all([1, 2].map((seed) => executor.invoke({ language: 'python', code, deterministic: { seed } })));
    expect((one!.result as { urandom: string }).urandom).not.toBe((two!.result as { urandom: string }).urandom);
  });

  it('starts the clock at `now` (default 2000-01-01)', async () => {
    const now = new Date('2024-05-01T12:00:00Z');
    const at = await executor.invoke({ language: 'python', code, deterministic: { now } });
    expect((at.result as { time: number }).time).toBeCloseTo(now.getTime() / 1000, 1);
    const fallback = await executor.invoke({ language: 'python', code, deterministic: {} });
    expect((fallback.result as { time: number }).time).toBeCloseTo(Date.UTC(2000, 0, 1) / 1000, 1);
  });

  it('rejects bad settings', async () => {
    for (const deterministic of [{ seed: 1.5 }, { now: new Date('nope') }, { now: -1 }, 'yes']) {
      expect(await rejection(executor.invoke({ language: 'python', code, deterministic: deterministic as never }))).toBeInstanceOf(InvalidRequestError);
    }
  });
});
