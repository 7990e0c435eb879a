/**
 * A build shared by several callers, each with its own deadline (`compileTimeoutMs`): a caller that gives
 * up stops waiting at once, the build goes on for the others, and it is stopped (and not cached) once the
 * last caller has given up. Builds here are promises the test settles itself: nothing depends on time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BuildCache } from '../../src/languages/native/compile-cache.js';
import { SharedWork, untilAborted, WorkAbandoned } from '../../src/runtime/shared-work.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

/** A build that runs until the test finishes it, or until its signal aborts. */
function controlledBuild() {
  const builds: { signal: AbortSignal; finish: (output: string) => void }[] = [];
  const build = (signal: AbortSignal) =>
    new Promise<Uint8Array>((resolve, reject) => {
      builds.push({ signal, finish: (output) => resolve(bytes(output)) });
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  return { builds, build };
}

/** Resolves once `count` builds have started (the cache starts them after a disk lookup). */
async function started(builds: readonly unknown[], count: number): Promise<void> {
  while (builds.length < count) await new Promise((resolve) => setImmediate(resolve));
}

const rejectionOf = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('shared work', () => {
  it('a caller that gives up is rejected with its own reason while the work goes on for the others', async () => {
    const { builds, build } = controlledBuild();
    const work = new SharedWork(build);
    const impatient = new AbortController();
    const first = work.join(impatient.signal);
    const second = work.join(new AbortController().signal);
    await started(builds, 1);
    impatient.abort(new Error('deadline of the first caller'));
    expect(await rejectionOf(first)).toMatchObject({ message: 'deadline of the first caller' });
    expect(builds[0].signal.aborted).toBe(false);
    builds[0].finish('done');
    expect(text(await second)).toBe('done');
  });

  it('is stopped once every caller has given up, and says why', async () => {
    const { builds, build } = controlledBuild();
    let abandoned = 0;
    const work = new SharedWork(build, () => abandoned++);
    const a = new AbortController();
    const b = new AbortController();
    const waits = [work.join(a.signal), work.join(b.signal)];
    await started(builds, 1);
    a.abort(new Error('a'));
    expect(builds[0].signal.aborted).toBe(false);
    b.abort(new Error('b'));
    expect(builds[0].signal.aborted).toBe(true);
    expect(builds[0].signal.reason).toBeInstanceOf(WorkAbandoned);
    expect(work.abandoned).toBe(true);
    expect(abandoned).toBe(1);
    expect((await Promise.all(waits.map(rejectionOf))).map((e) => (e as Error).message)).toEqual(['a', 'b']);
  });

  it('is never stopped while a caller without a deadline waits', async () => {
    const { builds, build } = controlledBuild();
    const work = new SharedWork(build);
    const bounded = new AbortController();
    const waits = [work.join(bounded.signal), work.join()];
    await started(builds, 1);
    bounded.abort(new Error('gone'));
    expect(await rejectionOf(waits[0])).toMatchObject({ message: 'gone' });
    expect(builds[0].signal.aborted).toBe(false);
    builds[0].finish('kept');
    expect(text(await waits[1])).toBe('kept');
  });

  it('untilAborted stops waiting at once without touching the promise', async () => {
    let finish!: (value: string) => void;
    const promise = new Promise<string>((resolve) => (finish = resolve));
    const controller = new AbortController();
    const waiting = untilAborted(promise, controller.signal);
    controller.abort(new Error('stop'));
    expect(await rejectionOf(waiting)).toMatchObject({ message: 'stop' });
    finish('later');
    expect(await promise).toBe('later');
  });
});

describe('build cache with deadlines', () => {
  it('reports a real build to every caller waiting for it, never a memory or disk hit', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'shared-build-'));
    try {
      const { builds, build } = controlledBuild();
      const cache = new BuildCache();
      const told: string[] = [];
      const first = cache.get('k', 'test', dir, build, { onBuild: () => told.push('first') });
      const joined = cache.get('k', 'test', dir, build, { onBuild: () => told.push('joined') });
      await started(builds, 1);
      expect(told).toEqual(['first', 'joined']);
      const late = cache.get('k', 'test', dir, build, { onBuild: () => told.push('late joiner') });
      expect(told).toEqual(['first', 'joined', 'late joiner']);
      builds[0].finish('wasm');
      expect((await Promise.all([first, joined, late])).map(text)).toEqual(['wasm', 'wasm', 'wasm']);
      await cache.get('k', 'test', dir, build, { onBuild: () => told.push('memory hit') });
      await new BuildCache().get('k', 'test', dir, build, { onBuild: () => told.push('disk hit') });
      expect(told).toEqual(['first', 'joined', 'late joiner']);
      expect(builds).toHaveLength(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops a build nobody waits for any more, forgets it, and builds afresh for the next caller', async () => {
    const { builds, build } = controlledBuild();
    const cache = new BuildCache();
    const short = new AbortController();
    const long = new AbortController();
    const waits = [cache.get('k', 'test', undefined, build, { signal: short.signal }), cache.get('k', 'test', undefined, build, { signal: long.signal })];
    await started(builds, 1);
    short.abort(new Error('compileTimeoutMs of the first call'));
    expect(builds[0].signal.aborted).toBe(false);
    long.abort(new Error('compileTimeoutMs of the second call'));
    expect(builds[0].signal.aborted).toBe(true);
    expect((await Promise.all(waits.map(rejectionOf))).map((e) => (e as Error).message)).toEqual([
      'compileTimeoutMs of the first call',
      'compileTimeoutMs of the second call',
    ]);
    const again = cache.get('k', 'test', undefined, build);
    await started(builds, 2);
    builds[1].finish('fresh');
    expect(text(await again)).toBe('fresh');
    expect(cache.stats.builds).toBe(2);
  });

  it('a build that outlives its first caller serves the caller still waiting', async () => {
    const { builds, build } = controlledBuild();
    const cache = new BuildCache();
    const short = new AbortController();
    const first = cache.get('k', 'test', undefined, build, { signal: short.signal });
    const second = cache.get('k', 'test', undefined, build, { signal: new AbortController().signal });
    await started(builds, 1);
    short.abort(new Error('gone'));
    await rejectionOf(first);
    builds[0].finish('wasm');
    expect(text(await second)).toBe('wasm');
    expect(text(await cache.get('k', 'test', undefined, build))).toBe('wasm');
    expect(cache.stats.builds).toBe(1);
  });
});
