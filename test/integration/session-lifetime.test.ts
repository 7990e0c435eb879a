/**
 * Sessions that live as long as the host needs them: `load()` modules have no idle timeout unless asked
 * for, and `restart: 'on-demand'` starts the interpreter again on the next call after an idle stop, a
 * timeout, a crash or a cancellation, reporting it in `usage.restarted`. Idle timeouts run on fake
 * timers; timeouts and crashes are real and awaited, never slept for.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { ExecutionCancelledError, ExecutionTimeoutError, InvalidRequestError, SandboxExecutor, SessionClosedError } from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 1, prestart: 0 });
afterAll(() => executor.close());
afterEach(() => {
  vi.useRealTimers();
});

const COUNTER = `
import os
count = 0

def inc():
    global count
    count += 1
    return count

def spin():
    while True:
        pass

def die():
    os._exit(3)
`;

const DAY = 24 * 60 * 60 * 1000;

describe('idle timeout', () => {
  it('load(): a module stays loaded through any quiet time unless idleTimeoutMs is given', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const mod = await executor.load<{ inc(): Promise<number> }>({ language: 'python', code: COUNTER });
    const session = await executor.createSession({ language: 'python', code: COUNTER });
    try {
      expect(await mod.inc()).toBe(1);
      expect(await session.call('inc')).toBe(1);
      vi.advanceTimersByTime(DAY);
      // createSession() keeps its default of 60 s; the module is still there, state and all.
      expect(session.state).toBe('closed');
      expect(mod.$session.state).toBe('open');
      vi.useRealTimers();
      expect(await mod.inc()).toBe(2);
    } finally {
      await mod.$close();
    }
  });

  it('load({ idleTimeoutMs }) opts in', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const mod = await executor.load<{ inc(): Promise<number> }>({ language: 'python', code: COUNTER, idleTimeoutMs: 1000 });
    expect(await mod.inc()).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(mod.$session.state).toBe('closed');
    expect(mod.$session.closedReason).toContain('idle');
  });
});

describe("restart: 'on-demand'", () => {
  it('after an idle stop: the session stays open, and the next call loads the module afresh', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const session = await executor.createSession({ language: 'python', code: COUNTER, idleTimeoutMs: 1000, restart: 'on-demand' });
    try {
      expect(await session.call('inc')).toBe(1);
      expect(await session.call('inc')).toBe(2);
      vi.advanceTimersByTime(1000);
      expect(session.state).toBe('open');
      vi.useRealTimers();
      const r = await session.invoke({ functionName: 'inc' });
      expect(r.result).toBe(1);
      expect(r.usage.restarted).toBe(true);
      expect(session.restarts).toBe(1);
      const next = await session.invoke({ functionName: 'inc' });
      expect(next.result).toBe(2);
      expect(next.usage.restarted).toBeUndefined();
    } finally {
      await session.close();
    }
  });

  it('after a timeout: the call times out, the calls queued behind it run on a new interpreter', async () => {
    const session = await executor.createSession({ language: 'python', code: COUNTER, timeoutMs: 500, restart: 'on-demand' });
    try {
      expect(await session.call('inc')).toBe(1);
      const spinning = session.invoke({ functionName: 'spin' });
      const queued = session.invoke({ functionName: 'inc' });
      expect((await spinning).status).toBe('timeout');
      const r = await queued;
      expect([r.status, r.result, r.usage.restarted]).toEqual(['success', 1, true]);
      expect(session.state).toBe('open');
    } finally {
      await session.close();
    }
  });

  it('after a crash and after a cancellation', async () => {
    const session = await executor.createSession({ language: 'python', code: COUNTER, restart: 'on-demand' });
    try {
      expect(await session.call('inc')).toBe(1);
      expect((await session.invoke({ functionName: 'die' })).status).toBe('crash');
      expect((await session.invoke({ functionName: 'inc' })).usage).toMatchObject({ restarted: true });
      const controller = new AbortController();
      executor.once('execution:start', () => queueMicrotask(() => controller.abort()));
      expect(await rejection(session.invoke({ functionName: 'spin', signal: controller.signal }))).toBeInstanceOf(ExecutionCancelledError);
      const r = await session.invoke({ functionName: 'inc' });
      expect([r.result, r.usage.restarted]).toEqual([1, true]);
      expect(session.restarts).toBe(2);
    } finally {
      await session.close();
    }
  });

  it('a loaded module keeps working after one of its calls timed out', async () => {
    const mod = await executor.load<{ inc(): Promise<number>; spin(): Promise<never> }>({
      language: 'python',
      code: COUNTER,
      timeoutMs: 500,
      restart: 'on-demand',
    });
    try {
      expect(await mod.inc()).toBe(1);
      expect(await rejection(mod.spin())).toBeInstanceOf(ExecutionTimeoutError);
      expect(await mod.inc()).toBe(1);
      expect(mod.$session.restarts).toBe(1);
    } finally {
      await mod.$close();
    }
    expect(await rejection(mod.inc())).toBeInstanceOf(SessionClosedError);
  });

  it('close() is final, and the option is checked', async () => {
    const session = await executor.createSession({ language: 'python', code: COUNTER, restart: 'on-demand' });
    await session.close();
    expect(await rejection(session.call('inc'))).toBeInstanceOf(SessionClosedError);
    const error = await rejection(executor.createSession({ language: 'python', code: COUNTER, restart: 'always' as never }));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.field).toBe('restart');
  });
});
