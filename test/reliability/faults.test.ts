/**
 * Fault injection: a worker dying mid-call, a disk write failing during a sync (a missing proxy template:
 * template-fault.test.ts, which needs a fresh module state).
 * Each must give a clear error, leave the executor working, and leave no partial file behind.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { SandboxExecutor } from '../../src/index.js';
import { faults } from '../helpers/faults.js';

const ADD = 'def add(a, b):\n    return a + b\n';
const SLOW = 'import time\n\ndef slow():\n    print("started")\n    time.sleep(5)\n    return "never"\n';

afterEach(() => {
  faults.killWorkerAfterMs = undefined;
  faults.failDiskSyncOnStep = 0;
  faults.templatesDir = undefined;
});

describe('faults', () => {
  const executor = new SandboxExecutor({ poolSize: 2 });
  executor.injectFaults(faults);
  afterAll(() => executor.close());

  it('a worker killed mid-call: status crash (WorkerLost), output so far kept, the pool heals', async () => {
    await executor.warmup(['python']);
    faults.killWorkerAfterMs = 1000;
    const r = await executor.invoke({ language: 'python', code: SLOW });
    faults.killWorkerAfterMs = undefined;
    expect(r.status).toBe('crash');
    expect(r.error?.type).toBe('WorkerLost');
    expect(r.stdout).toBe('started\n');
    const after = await Promise.all(Array.from({ length: 4 }, (_, i) => executor.invoke({ language: 'python', code: ADD, args: [i, 1] })));
    expect(after.map((x) => x.result)).toEqual([1, 2, 3, 4]);
    expect(executor.status().workers).toBeLessThanOrEqual(2);
  });

  it('a disk write failing during a sync: error, disk as before, no temporary file left', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-fault-'));
    try {
      await writeFile(join(dir, 'a.txt'), 'A');
      faults.failDiskSyncOnStep = 2;
      const r = await executor.invoke({
        language: 'python',
        code: 'def f():\n    for name in ["a.txt", "b.txt", "c.txt"]:\n        open(name, "w").write("new " + name)\n    return 1\n',
        mounts: [{ hostPath: dir }],
        permissions: { default: 'allow' },
      });
      expect(r.status).toBe('error');
      expect(r.error?.type).toBe('SyncError');
      expect((await readdir(dir)).sort()).toEqual(['a.txt']);
      expect(await readFile(join(dir, 'a.txt'), 'utf8')).toBe('A');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
