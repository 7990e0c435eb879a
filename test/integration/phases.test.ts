/**
 * Phase events: what a call is doing before its result (`loading-runtime`, `compiling`, `running`), on the
 * executor (`execution:phase`), through the request's `onPhase`, in `stream()`, and from
 * `warmup({ onProgress })`. The phases a call has are asserted, never how long they take.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidRequestError, SandboxExecutor, type ExecutionPhaseEvent, type StreamEvent, type WarmupProgressEvent } from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 1, prestart: 0 });
afterAll(() => executor.close());

const ADD = 'def add(a, b):\n    print("adding")\n    return a + b\n';
const names = (events: readonly ExecutionPhaseEvent[]) => events.map((e) => `${e.phase} ${e.state}`);

/** The executor's phase events while `work` runs. */
async function phasesOf<T>(work: () => Promise<T>): Promise<{ events: ExecutionPhaseEvent[]; value: T }> {
  const events: ExecutionPhaseEvent[] = [];
  const listener = (event: ExecutionPhaseEvent) => events.push(event);
  executor.on('execution:phase', listener);
  try {
    return { value: await work(), events };
  } finally {
    executor.off('execution:phase', listener);
  }
}

describe('execution:phase', () => {
  it('a first call loads the runtime, then runs; a warm call only runs', async () => {
    const seen: ExecutionPhaseEvent[] = [];
    const first = await phasesOf(() => executor.invoke({ language: 'python', code: ADD, args: [1, 2], onPhase: (e) => seen.push(e) }));
    expect(names(first.events)).toEqual(['loading-runtime start', 'loading-runtime end', 'running start', 'running end']);
    expect(seen).toEqual(first.events);
    for (const event of first.events) expect(event).toMatchObject({ id: first.value.id, language: 'python' });
    // Starts at 0 ms into their phase; each event comes no earlier than the one before.
    expect(first.events.filter((e) => e.state === 'start').every((e) => e.phaseMs === 0)).toBe(true);
    const elapsed = first.events.map((e) => e.elapsedMs);
    expect(elapsed).toEqual([...elapsed].sort((a, b) => a - b));

    const warm = await phasesOf(() => executor.invoke({ language: 'python', code: ADD, args: [2, 3] }));
    expect(names(warm.events)).toEqual(['running start', 'running end']);
  });

  it('C: compiling comes only when the program is built, not when it is cached', async () => {
    const code = 'int twice(int x) { return 2 * x; }\n';
    const first = await phasesOf(() => executor.call({ language: 'c', code, args: [4] }));
    expect(first.value).toBe(8);
    expect(names(first.events)).toEqual(['loading-runtime start', 'loading-runtime end', 'compiling start', 'compiling end', 'running start', 'running end']);
    const again = await phasesOf(() => executor.call({ language: 'c', code, args: [5] }));
    expect(again.value).toBe(10);
    expect(names(again.events)).toEqual(['running start', 'running end']);
    // Code that does not build ends its compiling phase and never runs.
    const broken = await phasesOf(() => executor.invoke({ language: 'c', code: 'int broken(int x) { return x }\n', args: [1] }));
    expect(broken.value.error?.type).toBe('CompileError');
    expect(names(broken.events)).toEqual(['compiling start', 'compiling end']);
  });

  it('stream() yields the phases among the output, then the result', async () => {
    const events: StreamEvent[] = [];
    for await (const event of executor.stream({ language: 'python', code: ADD, args: [1, 1] })) events.push(event);
    expect(events.map((e) => (e.type === 'phase' ? `${e.phase} ${e.state}` : e.type))).toEqual(['running start', 'stdout', 'running end', 'result']);
  });

  it('an onPhase that throws never breaks the call', async () => {
    const r = await executor.invoke({
      language: 'python',
      code: ADD,
      args: [3, 4],
      onPhase: () => {
        throw new Error('a broken listener');
      },
    });
    expect([r.status, r.result]).toEqual(['success', 7]);
    expect(await rejection(executor.invoke({ language: 'python', code: ADD, onPhase: 'yes' as never }))).toBeInstanceOf(InvalidRequestError);
  });
});

describe('warmup({ onProgress })', () => {
  it('reports each language as it starts and ends loading; calls after it load nothing', async () => {
    const local = new SandboxExecutor({ poolSize: 1, prestart: 0 });
    try {
      const progress: WarmupProgressEvent[] = [];
      await local.warmup({ languages: ['javascript', 'php'], onProgress: (e) => progress.push(e) });
      expect(progress.filter((e) => e.state === 'start').map((e) => e.language)).toEqual(['javascript', 'php']);
      const ends = progress.filter((e) => e.state === 'end');
      expect(ends.map((e) => e.language).sort()).toEqual(['javascript', 'php']);
      expect(ends.map((e) => [e.ready, e.total])).toEqual([
        [1, 2],
        [2, 2],
      ]);
      expect(progress.every((e) => e.phase === 'loading-runtime')).toBe(true);
      const phases: ExecutionPhaseEvent[] = [];
      await local.invoke({ language: 'javascript', code: 'function f() { return 1; }', onPhase: (e) => phases.push(e) });
      expect(names(phases)).toEqual(['running start', 'running end']);
      const error = await rejection(local.warmup({ langauges: ['python'] } as never));
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.message).toContain('Did you mean languages?');
    } finally {
      await local.close();
    }
  });
});
