/**
 * Builds that never end: `compileTimeoutMs` bounds the wait for a program, a call that gives up ends with
 * status `timeout` (type `CompileTimeout`) without running, a build shared by several calls stops once the
 * last of them has given up (its worker is freed and nothing is cached), and no other call is left
 * hanging. The hung builds are a compiler that never finishes (hook `faults.stallTools`) and real C code
 * whose preprocessing never ends in practice (an include bomb: 2^40 nested inclusions).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ExecutionCancelledError, ExecutionTimeoutError, SandboxExecutor, type ExecutionPhaseEvent } from '../../src/index.js';
import { faults } from '../helpers/faults.js';
import { rejection } from '../helpers/rejection.js';

afterEach(() => {
  faults.stallTools = undefined;
});

// The executor's own compileTimeoutMs (which also bounds each compiler run) is far beyond the test's
// time limit: a build that was not stopped would hold the only worker and hang the next call.
const executor = new SandboxExecutor({ poolSize: 1, prestart: 0, compileTimeoutMs: 600_000 });
executor.injectFaults(faults);
beforeAll(() => executor.warmup(['c']), 120_000);
afterAll(() => executor.close());

const c = (n: number) => `int f${n}(int a) { return a + ${n}; }\n`;

describe('compileTimeoutMs', () => {
  it('a build past its limit ends the call with status timeout, without running; nothing is cached', async () => {
    faults.stallTools = true;
    const phases: string[] = [];
    const r = await executor.invoke({ language: 'c', code: c(1), args: [1], compileTimeoutMs: 200, onPhase: (e) => phases.push(`${e.phase} ${e.state}`) });
    expect(r.status).toBe('timeout');
    expect(r.error?.type).toBe('CompileTimeout');
    expect(r.error?.message).toContain('compileTimeoutMs (200 ms)');
    expect(r.exitCode).toBeNull();
    expect(phases).toEqual(['compiling start', 'compiling end']);
    // call() throws the timeout error, carrying the result.
    const thrown = await rejection(executor.call({ language: 'c', code: c(1), args: [1], compileTimeoutMs: 200 }));
    expect(thrown).toBeInstanceOf(ExecutionTimeoutError);
    expect(thrown.result.error.type).toBe('CompileTimeout');
    faults.stallTools = undefined;
    // The stopped build was not remembered as this code's outcome.
    expect(await executor.call({ language: 'c', code: c(1), args: [1] })).toBe(2);
  });

  it('identical calls share one build: each gives up at its own limit, and none is left hanging', async () => {
    faults.stallTools = true;
    const results = await Promise.all([
      executor.invoke({ language: 'c', code: c(2), args: [1], compileTimeoutMs: 100 }),
      executor.invoke({ language: 'c', code: c(2), args: [1], compileTimeoutMs: 300 }),
      executor.invoke({ language: 'c', code: c(2), args: [1], compileTimeoutMs: 500 }),
    ]);
    expect(results.map((r) => [r.status, r.error?.type])).toEqual([
      ['timeout', 'CompileTimeout'],
      ['timeout', 'CompileTimeout'],
      ['timeout', 'CompileTimeout'],
    ]);
    faults.stallTools = undefined;
    expect(await executor.call({ language: 'c', code: c(2), args: [1] })).toBe(3);
  });

  it('a cancelled call stops waiting for its build at once', async () => {
    faults.stallTools = true;
    const controller = new AbortController();
    const running = executor.invoke({
      language: 'c',
      code: c(3),
      args: [1],
      signal: controller.signal,
      onPhase: (e: ExecutionPhaseEvent) => {
        if (e.phase === 'compiling' && e.state === 'start') queueMicrotask(() => controller.abort());
      },
    });
    const error = await rejection(running);
    expect(error).toBeInstanceOf(ExecutionCancelledError);
    expect(error.result.status).toBe('cancelled');
  });

  it('a session whose program is not ready in time is not created', async () => {
    faults.stallTools = true;
    const error = await rejection(executor.createSession({ language: 'c', code: c(4), compileTimeoutMs: 100 }));
    expect(error).toBeInstanceOf(ExecutionTimeoutError);
    expect(error.result.error.type).toBe('CompileTimeout');
    expect(executor.status().sessions).toBe(0);
  });

  it('a request may lower the limit, never raise it', async () => {
    const error = await rejection(executor.invoke({ language: 'c', code: c(5), args: [1], compileTimeoutMs: 600_001 }));
    expect(error.field).toBe('compileTimeoutMs');
    expect(error.message).toContain("the executor's compileTimeoutMs");
  });

  it('real code that never finishes compiling: the compiler is stopped and its worker freed', async () => {
    // Every level includes the file twice: 2^40 inclusions, each one cheap, never done in practice.
    const bomb = `#ifndef ONCE\n#define ONCE\nint f(void) { return 1; }\n#endif\n#if __INCLUDE_LEVEL__ < 40\n#include __FILE__\n#include __FILE__\n#endif\n`;
    const r = await executor.invoke({ language: 'c', code: bomb, compileTimeoutMs: 1500 });
    expect(r.status).toBe('timeout');
    expect(r.error?.type).toBe('CompileTimeout');
    // The pool has one worker, which the compiler held: this call runs only if it was stopped.
    expect(await executor.call({ language: 'c', code: c(6), args: [1] })).toBe(7);
  });
});
