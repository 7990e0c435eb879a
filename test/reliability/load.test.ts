/**
 * Load: more calls than workers, issued at once over a pool of 2, mixed languages and outcomes (success,
 * error, timeout). Every result must be correct and attributed to its own call; after close() no worker,
 * message port or timer is left, and host memory comes back near where it started.
 *
 * This asserts behaviour only. How many calls per second that is: `npm run bench:load`.
 */
import { getActiveResourcesInfo } from 'node:process';
import { describe, expect, it } from 'vitest';
import { SandboxExecutor, SUPPORTED_LANGUAGES, type ExecutionRequest, type Language } from '../../src/index.js';

/** Per language: a function that prints its argument and returns it doubled, one that raises, one that spins. */
const PROGRAMS: Partial<Record<Language, { code: string; raises: string; error: string }>> = {
  python: {
    code: 'def double(n):\n    print("n=%d" % n)\n    return n * 2\n\ndef fail(n):\n    raise ValueError("bad %d" % n)\n\ndef spin(n):\n    while True:\n        pass\n',
    raises: 'fail',
    error: 'ValueError',
  },
  ruby: {
    code: 'def double(n)\n  puts "n=#{n}"\n  n * 2\nend\n\ndef fail(n)\n  raise ArgumentError, "bad #{n}"\nend\n\ndef spin(n)\n  loop {}\nend\n',
    raises: 'fail',
    error: 'ArgumentError',
  },
  javascript: {
    code: 'function double(n) {\n  console.log("n=" + n);\n  return n * 2;\n}\n\nfunction fail(n) {\n  throw new RangeError("bad " + n);\n}\n\nfunction spin(n) {\n  for (;;) {}\n}\n',
    raises: 'fail',
    error: 'RangeError',
  },
  php: {
    code: '<?php\nfunction double($n) {\n  echo "n=$n\\n";\n  return $n * 2;\n}\n\nfunction fail($n) {\n  throw new InvalidArgumentException("bad $n");\n}\n\nfunction spin($n) {\n  while (true) {}\n}\n',
    raises: 'fail',
    error: 'InvalidArgumentException',
  },
};

/** Enough calls that each worker serves many, interleaved across languages, with every outcome. */
const TOTAL = 60;

function countResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

describe('load', () => {
  it(`${TOTAL} mixed calls at once over a pool of 2`, async () => {
    const languages = SUPPORTED_LANGUAGES.filter((l) => PROGRAMS[l]);
    const resourcesBefore = countResources();
    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const executor = new SandboxExecutor({ poolSize: 2, maxQueue: TOTAL });
    await executor.warmup(languages);

    const plans = Array.from({ length: TOTAL }, (_, i) => {
      const language = languages[i % languages.length]!;
      const program = PROGRAMS[language]!;
      // Mostly successes; every 10th call raises, two spin into their time limit.
      const kind = i % 30 === 7 ? 'timeout' : i % 10 === 3 ? 'error' : 'success';
      const functionName = kind === 'timeout' ? 'spin' : kind === 'error' ? program.raises : 'double';
      const request: ExecutionRequest = { language, code: program.code, functionName, args: [i], timeoutMs: kind === 'timeout' ? 500 : 60_000 };
      return { i, language, kind, request, error: program.error };
    });
    const results = await Promise.all(plans.map((plan) => executor.invoke(plan.request)));

    const ids = new Set<string>();
    for (const [index, plan] of plans.entries()) {
      const result = results[index]!;
      ids.add(result.id);
      expect(result.language, `call ${plan.i}`).toBe(plan.language);
      if (plan.kind === 'success') {
        expect(result, `call ${plan.i}`).toMatchObject({ status: 'success', result: plan.i * 2 });
        expect(result.stdout, `call ${plan.i}`).toBe(`n=${plan.i}\n`);
      } else if (plan.kind === 'error') {
        expect(result.status, `call ${plan.i}`).toBe('error');
        expect(result.error?.type, `call ${plan.i}`).toBe(plan.error);
        expect(result.error?.message, `call ${plan.i}`).toContain(`bad ${plan.i}`);
      } else {
        expect(result.status, `call ${plan.i}`).toBe('timeout');
      }
    }
    expect(ids.size).toBe(TOTAL);
    expect(plans.filter((plan) => plan.kind === 'timeout')).toHaveLength(2);

    await executor.close();
    expect(executor.status()).toMatchObject({ workers: 0, busy: 0, queued: 0 });
    // Workers, message ports and timers: none more than before the executor existed, once close() resolved.
    const after = countResources();
    const leftover = [...after].filter(([kind, count]) => count > (resourcesBefore.get(kind) ?? 0));
    expect(leftover).toEqual([]);
    global.gc?.();
    // Near its start: compiled modules and base filesystems stay cached for the process (tens of MiB).
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(256 * 2 ** 20);
  });
});
