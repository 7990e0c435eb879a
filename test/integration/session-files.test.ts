/**
 * Sessions with files and mounts: loaded when the interpreter starts, kept between calls, and written
 * back by `session.sync()` and `session.close()` with the guarantees of a one-shot call (permissions,
 * conflicts, all or nothing), on real temporary folders.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequestError, SandboxExecutor, SyncConflictError, SyncError, type SessionOptions, type SyncReport } from '../../src/index.js';
import { faults } from '../helpers/faults.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 1, prestart: 0 });
executor.injectFaults(faults);
afterAll(() => executor.close());

const FILES = `
import os

def write(name, text):
    with open(name, "w") as f:
        f.write(text)
    return sorted(os.listdir("."))

def read(name):
    with open(name) as f:
        return f.read()

def remove(name):
    os.remove(name)

def die():
    os._exit(3)
`;

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'session-files-'));
  await writeFile(join(dir, 'a.txt'), 'A on disk');
});
afterEach(async () => {
  faults.failDiskSyncOnStep = 0;
  await rm(dir, { recursive: true, force: true });
});

const onDisk = async (name: string) => readFile(join(dir, name), 'utf8').catch(() => undefined);
const mounted = (extra: Partial<SessionOptions> = {}): SessionOptions => ({
  language: 'python',
  code: FILES,
  mounts: [{ hostPath: dir }],
  permissions: { default: 'allow' },
  ...extra,
});

describe('session files', () => {
  it('files and mounts are there for every call, and what a call writes stays for the next', async () => {
    const session = await executor.createSession(mounted({ files: { 'config.txt': 'from the request' } }));
    try {
      expect(await session.call('read', ['a.txt'])).toBe('A on disk');
      expect(await session.call('read', ['config.txt'])).toBe('from the request');
      expect(await session.call('write', ['b.txt', 'B'])).toEqual(['a.txt', 'b.txt', 'config.txt']);
      expect(await session.call('read', ['b.txt'])).toBe('B');
      // Nothing reaches the disk before a sync.
      expect(await readdir(dir)).toEqual(['a.txt']);
    } finally {
      await session.close();
    }
  });

  it('sync() writes what changed since the last sync, and a later sync builds on what it wrote', async () => {
    const session = await executor.createSession(mounted({ sync: { mode: 'manual' } }));
    try {
      await session.call('write', ['b.txt', 'B1']);
      await session.call('write', ['a.txt', 'A1']);
      const first = await session.sync();
      expect(first.sync.state).toBe('written');
      expect(first.created.map((c) => c.virtualPath)).toEqual(['/workspace/b.txt']);
      expect(first.modified.map((c) => c.virtualPath)).toEqual(['/workspace/a.txt']);
      expect([await onDisk('a.txt'), await onDisk('b.txt')]).toEqual(['A1', 'B1']);
      // b.txt was created by the first sync: the second modifies it (no conflict with its own write).
      await session.call('write', ['b.txt', 'B2']);
      await session.call('remove', ['a.txt']);
      const second = await session.sync();
      expect(second.modified.map((c) => c.virtualPath)).toEqual(['/workspace/b.txt']);
      expect(second.deleted.map((c) => c.virtualPath)).toEqual(['/workspace/a.txt']);
      expect(await readdir(dir)).toEqual(['b.txt']);
      expect(await onDisk('b.txt')).toBe('B2');
      const third = await session.sync();
      expect([third.created, third.modified, third.deleted, third.sync.written]).toEqual([[], [], [], []]);
      // manual: close() writes nothing more.
      await session.call('write', ['c.txt', 'C']);
    } finally {
      await session.close();
    }
    expect(await onDisk('c.txt')).toBeUndefined();
  });

  it("close() writes what is left with sync.mode 'auto' (the default), reporting it as execution:sync", async () => {
    const session = await executor.createSession(mounted());
    const syncs: { id: string; sync: SyncReport }[] = [];
    const listener = (event: { id: string; sync: SyncReport }) => syncs.push(event);
    executor.on('execution:sync', listener);
    try {
      await session.call('write', ['b.txt', 'written at close']);
      expect(await onDisk('b.txt')).toBeUndefined();
      await session.close();
    } finally {
      executor.off('execution:sync', listener);
    }
    expect(await onDisk('b.txt')).toBe('written at close');
    expect(syncs).toHaveLength(1);
    expect(syncs[0].id).toBe(session.id);
    expect(syncs[0].sync.state).toBe('written');
  });

  it('a host file changed since it was loaded: SyncConflictError, and nothing of the sync is written', async () => {
    const session = await executor.createSession(mounted());
    try {
      await session.call('write', ['a.txt', 'from the session']);
      await session.call('write', ['b.txt', 'new file']);
      await writeFile(join(dir, 'a.txt'), 'edited on disk meanwhile');
      const error = await rejection(session.sync());
      expect(error).toBeInstanceOf(SyncConflictError);
      expect(error.hostPath).toBe(join(dir, 'a.txt'));
      expect(error.report.state).toBe('conflict');
      expect(await onDisk('a.txt')).toBe('edited on disk meanwhile');
      expect(await onDisk('b.txt')).toBeUndefined();
      // The session goes on; its changes are still pending, and still conflict.
      expect(await session.call('read', ['b.txt'])).toBe('new file');
      expect(await rejection(session.sync())).toBeInstanceOf(SyncConflictError);
    } finally {
      await rejection(session.close());
    }
    expect(await onDisk('b.txt')).toBeUndefined();
  });

  it('a write failing half-way: SyncError, and the disk restored', async () => {
    const failing = await executor.createSession(mounted({ sync: { mode: 'manual' } }));
    try {
      await failing.call('write', ['a.txt', 'changed']);
      await failing.call('write', ['b.txt', 'B']);
      faults.failDiskSyncOnStep = 2;
      const error = await rejection(failing.sync());
      expect(error).toBeInstanceOf(SyncError);
      expect(error.report.state).toBe('failed');
      expect(await readdir(dir)).toEqual(['a.txt']);
      expect(await onDisk('a.txt')).toBe('A on disk');
      // Nothing was settled: the next sync writes all of it.
      faults.failDiskSyncOnStep = 0;
      expect((await failing.sync()).sync.state).toBe('written');
      expect([await onDisk('a.txt'), await onDisk('b.txt')]).toEqual(['changed', 'B']);
    } finally {
      await failing.close();
    }
  });

  it("a denied change with onDenied 'error': SyncError (SYNC_DENIED), and nothing written", async () => {
    const denied = await executor.createSession(mounted({ permissions: { rules: [{ pattern: 'b.txt', allow: ['create'] }] } }));
    try {
      await denied.call('write', ['b.txt', 'allowed']);
      await denied.call('write', ['a.txt', 'not allowed']);
      const error = await rejection(denied.sync());
      expect(error).toBeInstanceOf(SyncError);
      expect(error.code).toBe('SYNC_DENIED');
      expect(error.report.state).toBe('denied');
      expect(await readdir(dir)).toEqual(['a.txt']);
    } finally {
      await rejection(denied.close());
    }
    expect(await readdir(dir)).toEqual(['a.txt']);
  });

  it('a restarted session loads its files afresh: synced changes are kept, unsynced ones were lost with the crash', async () => {
    const session = await executor.createSession(mounted({ restart: 'on-demand' }));
    try {
      await session.call('write', ['b.txt', 'synced']);
      await session.sync();
      await session.call('write', ['c.txt', 'never synced']);
      expect((await session.invoke({ functionName: 'die' })).status).toBe('crash');
      const r = await session.invoke({ functionName: 'write', args: ['d.txt', 'after the restart'] });
      expect(r.usage.restarted).toBe(true);
      expect(r.result).toEqual(['a.txt', 'b.txt', 'd.txt']);
    } finally {
      await session.close();
    }
    expect(await readdir(dir)).toEqual(['a.txt', 'b.txt', 'd.txt']);
  });

  it('load() modules sync through $session; a session without files has nothing to sync', async () => {
    const mod = await executor.load<{ write(name: string, text: string): Promise<string[]> }>(mounted({ sync: { mode: 'manual' } }));
    try {
      await mod.write('b.txt', 'from a module');
      expect((await mod.$session.sync()).sync.written).toEqual([join(dir, 'b.txt')]);
      expect(await onDisk('b.txt')).toBe('from a module');
    } finally {
      await mod.$close();
    }
    const plain = await executor.createSession({ language: 'python', code: FILES });
    try {
      const error = await rejection(plain.sync());
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.message).toContain('no files or mounts');
    } finally {
      await plain.close();
    }
  });
});
