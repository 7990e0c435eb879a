/**
 * The command line's progress line and cache folder. Timers are fake: a "slow" phase is one the test
 * lets last by advancing the clock, never by waiting.
 */
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { defaultCacheDir } from '../../src/cli/cache-folder.js';
import { ProgressLine } from '../../src/cli/progress-line.js';
import type { ExecutionPhaseEvent } from '../../src/types.js';

const ERASE = '\r\x1b[2K';

function terminal() {
  const writes: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      writes.push(chunk.toString());
      done();
    },
  });
  return { stream, writes };
}

const phase = (name: ExecutionPhaseEvent['phase'], state: ExecutionPhaseEvent['state'], extra: Partial<ExecutionPhaseEvent> = {}): ExecutionPhaseEvent => ({
  id: 'exec-1',
  language: 'c',
  phase: name,
  state,
  elapsedMs: 0,
  phaseMs: 0,
  ...extra,
});

describe('progress line', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shows a phase that lasts more than half a second, redraws it, and erases it when it ends', () => {
    const { stream, writes } = terminal();
    const line = new ProgressLine(stream, { enabled: true });
    line.onPhase(phase('compiling', 'start'));
    vi.advanceTimersByTime(499);
    expect(writes).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(writes).toEqual([`${ERASE}sandbox-executor: compiling C… 0.5 s`]);
    vi.advanceTimersByTime(250);
    expect(writes.at(-1)).toBe(`${ERASE}sandbox-executor: compiling C… 0.8 s`);
    line.onPhase(phase('compiling', 'end'));
    expect(writes.at(-1)).toBe(ERASE);
    const count = writes.length;
    vi.advanceTimersByTime(5000);
    expect(writes).toHaveLength(count);
  });

  it('says nothing of a phase that ends sooner, and goes quiet when the program runs', () => {
    const { stream, writes } = terminal();
    const line = new ProgressLine(stream, { enabled: true });
    line.onPhase(phase('loading-runtime', 'start'));
    vi.advanceTimersByTime(400);
    line.onPhase(phase('loading-runtime', 'end'));
    line.onPhase(phase('compiling', 'start'));
    vi.advanceTimersByTime(600);
    expect(writes).toEqual([`${ERASE}sandbox-executor: compiling C… 0.5 s`]);
    line.onPhase(phase('running', 'start'));
    expect(writes.at(-1)).toBe(ERASE);
    vi.advanceTimersByTime(5000);
    expect(writes).toHaveLength(2);
  });

  it('shows the progress of a phase that counts its work', () => {
    const { stream, writes } = terminal();
    const line = new ProgressLine(stream, { enabled: true, delayMs: 0 });
    line.onPhase(phase('loading-packages', 'start', { language: 'python' }));
    line.onPhase(phase('loading-packages', 'progress', { language: 'python', progress: { filesDone: 12, bytesDone: 3_400_000 } }));
    expect(writes).toEqual([`${ERASE}sandbox-executor: loading packages… 0.0 s`, `${ERASE}sandbox-executor: loading packages (12 files, 3.4 MB)… 0.0 s`]);
  });

  it('writes nothing when disabled (not a terminal, or --quiet)', () => {
    const { stream, writes } = terminal();
    const line = new ProgressLine(stream, { enabled: false, delayMs: 0 });
    line.onPhase(phase('loading-runtime', 'start'));
    vi.advanceTimersByTime(10_000);
    line.clear();
    expect(writes).toEqual([]);
  });
});

describe('cache folder', () => {
  it('follows XDG_CACHE_HOME when absolute, else ~/.cache (LOCALAPPDATA on Windows)', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/var/cache/me' }, '/home/me', 'linux')).toBe('/var/cache/me/sandbox-executor');
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'relative' }, '/home/me', 'linux')).toBe('/home/me/.cache/sandbox-executor');
    expect(defaultCacheDir({}, '/home/me', 'darwin')).toBe('/home/me/.cache/sandbox-executor');
    expect(defaultCacheDir({}, '', 'linux')).toBeUndefined();
  });
});
