/**
 * Mounts, change reports and permissioned sync, on real temporary folders.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { InvalidRequestError, MountError, SandboxExecutor, SyncError, type ExecutionRequest, type PermissionOptions } from '../../src/index.js';
import { faults } from '../helpers/faults.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 2 });
executor.injectFaults(faults);
afterAll(() => executor.close());

// One Python function performs a list of file operations, so each test states its operations as data.
const OPS = `
import os, shutil

def run(ops):
    out = []
    for op in ops:
        kind, path = op[0], op[1]
        if kind == "write":
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with open(path, "w") as f:
                f.write(op[2])
        elif kind == "bytes":
            with open(path, "wb") as f:
                f.write(bytes(op[2]))
        elif kind == "read":
            with open(path) as f:
                out.append(f.read())
        elif kind == "delete":
            os.remove(path)
        elif kind == "mkdir":
            os.makedirs(path, exist_ok=True)
        elif kind == "rmtree":
            shutil.rmtree(path)
        elif kind == "list":
            out.append(sorted(os.listdir(path)))
        elif kind == "fail":
            raise RuntimeError("failing after the writes")
    return out
`;

const ALLOW_ALL: PermissionOptions = { default: 'allow' };
let root: string;
let host: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sandbox-fs-'));
  host = join(root, 'project');
  await mkdir(join(host, 'data', 'nested'), { recursive: true });
  await mkdir(join(host, 'empty'));
  await writeFile(join(host, 'data', 'input.txt'), 'original');
  await writeFile(join(host, 'data', 'nested', 'deep.txt'), 'deep');
  await writeFile(join(host, 'keep.bin'), Buffer.from([0, 255, 1, 254]));
  faults.failDiskSyncOnStep = 0;
});

afterEach(async () => {
  faults.failDiskSyncOnStep = 0;
  await rm(root, { recursive: true, force: true });
});

const run = (ops: unknown[][], options: Partial<ExecutionRequest> = {}) =>
  executor.invoke({ language: 'python', code: OPS, functionName: 'run', args: [ops], mounts: [{ hostPath: host }], ...options });

/** Every file under a folder with its contents, to compare whole trees. */
async function tree(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (at: string, prefix: string): Promise<void> => {
    for (const entry of await readdir(at, { withFileTypes: true })) {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        out[`${path}/`] = '';
        await walk(join(at, entry.name), path);
      } else if (entry.isSymbolicLink()) out[path] = '<symlink>';
      else out[path] = (await readFile(join(at, entry.name))).toString('base64');
    }
  };
  await walk(dir, '');
  return out;
}

describe('mounts', () => {
  it('load files, binary contents, subfolders and empty folders', async () => {
    const r = await run([
      ['read', 'data/input.txt'],
      ['read', 'data/nested/deep.txt'],
      ['list', '.'],
      ['list', 'empty'],
    ]);
    expect(r.status).toBe('success');
    expect(r.result).toEqual(['original', 'deep', ['data', 'empty', 'keep.bin'], []]);
    const bytes = await executor.invoke({
      language: 'python',
      code: 'def f():\n    return open("keep.bin", "rb").read()\n',
      mounts: [{ hostPath: host }],
    });
    expect(bytes.result).toEqual(new Uint8Array([0, 255, 1, 254]));
  });

  it('mount at another virtual path; include and exclude globs', async () => {
    const r = await run(
      [
        ['list', '/mnt/in'],
        ['list', '/mnt/in/data'],
      ],
      {
        mounts: [{ hostPath: host, virtualPath: '/mnt/in', include: ['**/*.txt'], exclude: ['data/nested'] }],
      },
    );
    // keep.bin is not included; data/nested is excluded with everything in it; empty folders stay.
    expect(r.result).toEqual([['data', 'empty'], ['input.txt']]);
  });

  it('a missing host folder is a MountError; bad mount points are request errors', async () => {
    expect(await rejection(run([], { mounts: [{ hostPath: join(root, 'nope') }] }))).toBeInstanceOf(MountError);
    expect(await rejection(run([], { mounts: [{ hostPath: host, virtualPath: '/workspace/../etc' }] }))).toBeInstanceOf(InvalidRequestError);
    expect(await rejection(run([], { mounts: [{ hostPath: host, virtualPath: '/dev/x' }] }))).toBeInstanceOf(InvalidRequestError);
    expect(await rejection(run([], { mounts: [{ hostPath: host }, { hostPath: host, virtualPath: '/workspace/sub' }] }))).toBeInstanceOf(InvalidRequestError);
  });

  it('size caps: a file over maxFileBytes or a folder over maxTotalBytes is a MountError', async () => {
    await writeFile(join(host, 'big.bin'), Buffer.alloc(5000));
    const tooBig = await rejection(run([], { mounts: [{ hostPath: host, maxFileBytes: 4096 }] }));
    expect(tooBig).toBeInstanceOf(MountError);
    expect(tooBig.message).toContain('maxFileBytes');
    const total = await rejection(run([], { mounts: [{ hostPath: host, maxTotalBytes: 4096 }] }));
    expect(total).toBeInstanceOf(MountError);
    expect(total.message).toContain('maxTotalBytes');
  });

  it('request files are visible to the call and never written to disk', async () => {
    const r = await run(
      [
        ['read', 'config.json'],
        ['read', '/etc/app/settings.ini'],
      ],
      {
        files: { 'config.json': '{"a":1}', '/etc/app/settings.ini': new TextEncoder().encode('x=1') },
        permissions: ALLOW_ALL,
      },
    );
    expect(r.result).toEqual(['{"a":1}', 'x=1']);
    expect(await tree(host)).not.toHaveProperty('config.json');
    // Deleting one of them is no change to the disk, and refused by nothing.
    const deleted = await run([['delete', 'scratch.txt']], { files: { 'scratch.txt': 'x' }, permissions: ALLOW_ALL });
    expect(deleted.status).toBe('success');
    expect(deleted.files!.deleted).toEqual([expect.objectContaining({ virtualPath: '/workspace/scratch.txt', permitted: false, reason: 'not on disk' })]);
    expect(deleted.files!.deleted[0]!.hostPath).toBeUndefined();
    for (const bad of ['../escape.txt', 'a\0b', '/sandbox/user_code.py']) {
      expect(await rejection(run([], { files: { [bad]: 'x' } }))).toBeInstanceOf(InvalidRequestError);
    }
  });
});

describe('change report and auto sync', () => {
  it('creates, modifies and deletes files and folders on disk', async () => {
    const r = await run(
      [
        ['write', 'data/input.txt', 'changed'],
        ['write', 'out/new/report.txt', 'report'],
        ['bytes', 'out/blob.bin', [0, 1, 2, 255]],
        ['delete', 'keep.bin'],
        ['mkdir', 'made/empty'],
        ['rmtree', 'empty'],
      ],
      { permissions: ALLOW_ALL, returnFileContents: true },
    );
    expect(r.status).toBe('success');
    const files = r.files!;
    expect(files.sync.state).toBe('written');
    expect(files.created.map((c) => c.virtualPath).sort()).toEqual([
      '/workspace/made',
      '/workspace/made/empty',
      '/workspace/out',
      '/workspace/out/blob.bin',
      '/workspace/out/new',
      '/workspace/out/new/report.txt',
    ]);
    expect(files.modified).toEqual([
      expect.objectContaining({ virtualPath: '/workspace/data/input.txt', hostPath: join(host, 'data/input.txt'), size: 7, previousSize: 8, permitted: true }),
    ]);
    expect(files.modified[0]!.content).toEqual(new TextEncoder().encode('changed'));
    expect(files.deleted.map((c) => c.virtualPath).sort()).toEqual(['/workspace/empty', '/workspace/keep.bin']);

    expect(await readFile(join(host, 'data/input.txt'), 'utf8')).toBe('changed');
    expect(await readFile(join(host, 'out/new/report.txt'), 'utf8')).toBe('report');
    expect([...(await readFile(join(host, 'out/blob.bin')))]).toEqual([0, 1, 2, 255]);
    expect((await stat(join(host, 'made/empty'))).isDirectory()).toBe(true);
    await expect(stat(join(host, 'keep.bin'))).rejects.toThrow();
    await expect(stat(join(host, 'empty'))).rejects.toThrow();
    // No temporary or backup files are left behind.
    expect(Object.keys(await tree(host)).filter((p) => p.includes('.sandbox-'))).toEqual([]);
  });

  it('the proxy, the user code and the interpreter never appear as changes', async () => {
    const r = await run([['write', '/tmp/scratch.txt', 'x']], { permissions: ALLOW_ALL });
    const paths = [...r.files!.created, ...r.files!.modified, ...r.files!.deleted].map((c) => c.virtualPath);
    expect(paths).toEqual(['/tmp/scratch.txt']);
    expect(r.files!.created[0]).toMatchObject({ permitted: false, reason: 'outside every mount' });
    expect(r.files!.created[0]!.hostPath).toBeUndefined();
  });

  it('without permissions a mount is read-only: writes are denied and nothing is written', async () => {
    const before = await tree(host);
    const r = await run([
      ['write', 'data/input.txt', 'changed'],
      ['write', 'new.txt', 'n'],
    ]);
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('PermissionDenied');
    expect(r.error?.message).toContain('/workspace/new.txt');
    expect(r.result).toEqual([]);
    expect(r.files!.sync.denied.map((c) => c.virtualPath).sort()).toEqual(['/workspace/data/input.txt', '/workspace/new.txt']);
    expect(await tree(host)).toEqual(before);
  });

  it('changes of a call that failed are reported but not written', async () => {
    const before = await tree(host);
    const r = await run(
      [
        ['write', 'new.txt', 'n'],
        ['fail', ''],
      ],
      { permissions: ALLOW_ALL },
    );
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('RuntimeError');
    expect(r.files!.created.map((c) => c.virtualPath)).toEqual(['/workspace/new.txt']);
    expect(r.files!.sync.state).toBe('skipped');
    expect(await tree(host)).toEqual(before);
  });
});

describe('permissions', () => {
  const permissions: PermissionOptions = {
    rules: [
      { pattern: '**', allow: ['create', 'modify', 'delete'] },
      { pattern: 'data/**', deny: ['modify', 'delete'] },
      { pattern: 'data/input.txt', allow: ['modify'] },
      { pattern: 'out/*.log', deny: ['create'] },
      { pattern: 'out/**', allow: ['create'] },
    ],
  };

  it('the most specific rule wins; deny wins at equal specificity', async () => {
    const r = await run(
      [
        ['write', 'data/input.txt', 'allowed by the exact rule'],
        ['write', 'data/nested/deep.txt', 'denied by data/**'],
        ['write', 'out/a.txt', 'allowed'],
        ['write', 'out/b.log', 'denied: out/*.log is more specific than out/**'],
      ],
      { permissions, sync: { onDenied: 'skip' } },
    );
    expect(r.status).toBe('success');
    const denied = Object.fromEntries(r.files!.sync.denied.map((c) => [c.virtualPath, c.reason]));
    expect(denied).toEqual({
      '/workspace/data/nested/deep.txt': 'modify denied by rule "data/**"',
      '/workspace/out/b.log': 'create denied by rule "out/*.log"',
    });
    expect(await readFile(join(host, 'data/input.txt'), 'utf8')).toBe('allowed by the exact rule');
    expect(await readFile(join(host, 'data/nested/deep.txt'), 'utf8')).toBe('deep');
    expect(await readFile(join(host, 'out/a.txt'), 'utf8')).toBe('allowed');
    await expect(stat(join(host, 'out/b.log'))).rejects.toThrow();

    const tie = await run([['write', 'x.txt', 'x']], {
      permissions: {
        rules: [
          { pattern: '*.txt', allow: ['create'] },
          { pattern: '*.txt', deny: ['create'] },
        ],
        default: 'allow',
      },
    });
    expect(tie.error?.type).toBe('PermissionDenied');
  });

  it('a denied read keeps the file out of the sandbox', async () => {
    const r = await run([['list', 'data']], { permissions: { rules: [{ pattern: 'data/input.txt', deny: ['read'] }], default: 'allow' } });
    expect(r.result).toEqual([['nested']]);
  });

  it('onDenied error writes nothing (the call does not succeed) and reports the denied changes', async () => {
    const before = await tree(host);
    const r = await run(
      [
        ['write', 'out/a.txt', 'ok'],
        ['write', 'data/input.txt', 'no'],
      ],
      { permissions: { rules: [{ pattern: 'out/**', allow: ['create'] }] } },
    );
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('PermissionDenied');
    expect(r.files!.sync.state).toBe('denied');
    expect(r.files!.sync.denied.map((c) => c.virtualPath)).toEqual(['/workspace/data/input.txt']);
    expect(await tree(host)).toEqual(before);
  });

  it('onDenied rollback writes nothing when anything is denied', async () => {
    const before = await tree(host);
    const r = await run(
      [
        ['write', 'out/a.txt', 'ok'],
        ['write', 'data/input.txt', 'no'],
      ],
      {
        permissions: { rules: [{ pattern: 'out/**', allow: ['create'] }] },
        sync: { onDenied: 'rollback' },
      },
    );
    expect(r.status).toBe('error');
    expect(r.files!.sync.state).toBe('denied');
    expect(await tree(host)).toEqual(before);
  });
});

describe('sync modes and hooks', () => {
  it('dry run reports what would be written and writes nothing', async () => {
    const before = await tree(host);
    const r = await run(
      [
        ['write', 'out/a.txt', 'a'],
        ['delete', 'keep.bin'],
      ],
      { permissions: ALLOW_ALL, sync: { dryRun: true } },
    );
    expect(r.status).toBe('success');
    expect(r.files!.sync.state).toBe('dry-run');
    expect(r.files!.sync.written.sort()).toEqual([join(host, 'keep.bin'), join(host, 'out'), join(host, 'out/a.txt')]);
    expect(await tree(host)).toEqual(before);
  });

  it('manual mode: apply() writes, discard() drops, a second apply() is refused', async () => {
    const r = await run([['write', 'out/a.txt', 'a']], { permissions: ALLOW_ALL, sync: { mode: 'manual' } });
    const pending = r.files!.pending!;
    expect(pending.state).toBe('pending');
    expect(pending.changes.map((c) => c.virtualPath).sort()).toEqual(['/workspace/out', '/workspace/out/a.txt']);
    await expect(stat(join(host, 'out/a.txt'))).rejects.toThrow();
    const report = await pending.apply();
    expect(report.state).toBe('written');
    expect(await readFile(join(host, 'out/a.txt'), 'utf8')).toBe('a');
    expect(await rejection(pending.apply())).toBeInstanceOf(SyncError);

    const before = await tree(host);
    const second = await run([['write', 'out/b.txt', 'b']], { permissions: ALLOW_ALL, sync: { mode: 'manual' } });
    second.files!.pending!.discard();
    expect(second.files!.pending!.state).toBe('discarded');
    expect(second.files!.sync.state).toBe('discarded');
    expect(await tree(host)).toEqual(before);
  });

  it('mode none reports changes without writing', async () => {
    const before = await tree(host);
    const r = await run([['write', 'out/a.txt', 'a']], { permissions: ALLOW_ALL, sync: { mode: 'none' } });
    expect(r.files!.created.length).toBe(2);
    expect(r.files!.sync.state).toBe('skipped');
    expect(await tree(host)).toEqual(before);
  });

  it('beforeSync can veto everything or keep a subset; afterSync and the event see the report', async () => {
    const before = await tree(host);
    const vetoed = await run([['write', 'a.txt', 'a']], { permissions: ALLOW_ALL, beforeSync: () => false });
    expect(vetoed.files!.sync.state).toBe('vetoed');
    expect(await tree(host)).toEqual(before);

    const seen: string[] = [];
    const events: string[] = [];
    const onSync = ({ sync }: { sync: { state: string } }) => events.push(sync.state);
    executor.on('execution:sync', onSync);
    try {
      const subset = await run(
        [
          ['write', 'a.txt', 'a'],
          ['write', 'b.txt', 'b'],
        ],
        {
          permissions: ALLOW_ALL,
          beforeSync: (changes) => changes.filter((c) => c.virtualPath.endsWith('b.txt')),
          afterSync: (report) => void seen.push(report.state, ...report.written),
        },
      );
      expect(subset.status).toBe('success');
    } finally {
      executor.off('execution:sync', onSync);
    }
    expect(seen).toEqual(['written', join(host, 'b.txt')]);
    expect(events).toEqual(['written']);
    await expect(stat(join(host, 'a.txt'))).rejects.toThrow();
    expect(await readFile(join(host, 'b.txt'), 'utf8')).toBe('b');
  });
});

describe('safety', () => {
  it('a write failing half-way restores every file the sync touched', async () => {
    const before = await tree(host);
    faults.failDiskSyncOnStep = 4;
    const r = await run(
      [
        ['write', 'data/input.txt', 'changed'],
        ['write', 'a.txt', 'a'],
        ['write', 'b.txt', 'b'],
        ['write', 'c.txt', 'c'],
        ['delete', 'keep.bin'],
      ],
      { permissions: ALLOW_ALL },
    );
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('SyncError');
    expect(r.files!.sync.state).toBe('failed');
    expect(r.error?.message).toContain('restored');
    expect(await tree(host)).toEqual(before);
  });

  it('a host file changed after loading is never overwritten (a conflict: nothing is written)', async () => {
    const r = await run(
      [
        ['write', 'a.txt', 'a'],
        ['write', 'data/input.txt', 'from the sandbox'],
      ],
      {
        permissions: ALLOW_ALL,
        beforeSync: async () => {
          await writeFile(join(host, 'data/input.txt'), 'edited by someone else meanwhile');
        },
      },
    );
    expect(r.error?.type).toBe('SyncConflictError');
    expect(r.files!.sync.state).toBe('conflict');
    expect(r.error?.message).toContain('changed on disk');
    expect(await readFile(join(host, 'data/input.txt'), 'utf8')).toBe('edited by someone else meanwhile');
    await expect(stat(join(host, 'a.txt'))).rejects.toThrow();
  });

  it('a file on disk that was not loaded is never overwritten by a created one', async () => {
    await writeFile(join(host, 'secret.env'), 'KEY=1');
    const r = await run([['write', 'secret.env', 'KEY=stolen']], { permissions: ALLOW_ALL, mounts: [{ hostPath: host, exclude: ['*.env'] }] });
    expect(r.error?.type).toBe('PermissionDenied');
    expect(r.files!.sync.denied[0]?.reason).toBe('excluded by the mount');
    expect(await readFile(join(host, 'secret.env'), 'utf8')).toBe('KEY=1');

    const notIncluded = await run([['write', 'secret.env', 'KEY=stolen']], { permissions: ALLOW_ALL, mounts: [{ hostPath: host, include: ['data/**'] }] });
    expect(notIncluded.error?.type).toBe('SyncError');
    expect(await readFile(join(host, 'secret.env'), 'utf8')).toBe('KEY=1');
  });

  it('paths that climb out of the mount stay in the sandbox', async () => {
    const outside = await tree(root);
    const r = await run(
      [
        ['write', '../escape.txt', 'x'],
        ['write', '/workspace/../../etc/escape2.txt', 'y'],
      ],
      { permissions: ALLOW_ALL },
    );
    expect(r.status).toBe('success');
    expect(r.files!.created.every((c) => c.hostPath === undefined)).toBe(true);
    expect(await tree(root)).toEqual(outside);
  });

  it('symbolic links are not followed out of the mount, neither to read nor to write', async () => {
    const secret = join(root, 'outside');
    await mkdir(secret);
    await writeFile(join(secret, 'password.txt'), 'hunter2');
    await symlink(secret, join(host, 'link'));
    await symlink(join(secret, 'password.txt'), join(host, 'pw.txt'));
    const listing = await run([['list', '.']], { permissions: ALLOW_ALL });
    expect(listing.result).toEqual([['data', 'empty', 'keep.bin']]);

    const r = await run(
      [
        ['write', 'link/evil.txt', 'x'],
        ['write', 'pw.txt', 'overwritten'],
      ],
      { permissions: ALLOW_ALL },
    );
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('SyncError');
    expect(await readdir(secret)).toEqual(['password.txt']);
    expect(await readFile(join(secret, 'password.txt'), 'utf8')).toBe('hunter2');
  });

  it('a file over the mount maxFileBytes is not written back', async () => {
    const r = await run([['write', 'big.txt', 'x'.repeat(5000)]], { permissions: ALLOW_ALL, mounts: [{ hostPath: host, maxFileBytes: 4096 }] });
    expect(r.error?.type).toBe('PermissionDenied');
    expect(r.files!.sync.denied[0]?.reason).toContain('maxFileBytes');
    await expect(stat(join(host, 'big.txt'))).rejects.toThrow();
  });
});
