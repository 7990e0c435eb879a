/**
 * Files are never silently lost or half-written: attacks and races against the sync, the virtual
 * filesystem's caps, and the globs that decide what is loaded and written. Each case failed before the
 * guarantee it tests existed.
 */
import { spawnSync } from 'node:child_process';
import { link, mkdir, mkdtemp, readdir, readFile, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  InvalidRequestError,
  MountError,
  SandboxExecutor,
  SyncConflictError,
  SyncError,
  type ExecutionRequest,
  type PermissionOptions,
} from '../../src/index.js';
import { CallFiles } from '../../src/fs/file-sync.js';
import { planFiles } from '../../src/request/file-plan.js';
import { PermissionResolver } from '../../src/fs/permissions.js';
import { faults } from '../helpers/faults.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 2 });
executor.injectFaults(faults);
/** Small caps, so that going over them is quick. */
const small = new SandboxExecutor({ poolSize: 1, maxFsBytes: 1024 * 1024, maxFiles: 300 });
afterAll(() => Promise.all([executor.close(), small.close()]));

const ALLOW_ALL: PermissionOptions = { default: 'allow' };
let root: string;
let host: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sandbox-integrity-'));
  host = join(root, 'project');
  await mkdir(host);
  await writeFile(join(host, 'data.txt'), 'original');
});
afterEach(async () => {
  faults.afterDiskWrite = undefined;
  await rm(root, { recursive: true, force: true });
});

/** Appends `tag` to counter.txt and writes `<tag>.txt`: two calls that both do it collide on counter.txt. */
const APPEND = `
def add(tag):
    with open("counter.txt") as f:
        value = f.read()
    with open("counter.txt", "w") as f:
        f.write(value + tag)
    with open(tag + ".txt", "w") as f:
        f.write(tag)
    return value + tag
`;

const py = (target: SandboxExecutor, code: string, extra: Partial<ExecutionRequest> = {}) => target.invoke({ language: 'python', code, ...extra });

describe('concurrent syncs to the same folder', () => {
  it('two calls that loaded the same file: one writes, the other is a SyncConflictError and writes nothing', async () => {
    await writeFile(join(host, 'counter.txt'), '0');
    // Both calls reach beforeSync, having loaded counter.txt as "0", before either writes.
    let arrived = 0;
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const beforeSync = async (): Promise<void> => {
      arrived += 1;
      if (arrived === 2) open();
      await gate;
    };
    const call = (tag: string) => py(executor, APPEND, { args: [tag], mounts: [{ hostPath: host }], permissions: ALLOW_ALL, beforeSync });
    const results = await Promise.all([call('A'), call('B')]);
    expect(results.map((r) => r.status).sort()).toEqual(['error', 'success']);
    const winner = results.find((r) => r.status === 'success')!;
    const loser = results.find((r) => r.status === 'error')!;
    const [winnerTag, loserTag] = winner === results[0] ? ['A', 'B'] : ['B', 'A'];
    expect(winner.files!.sync.state).toBe('written');
    expect(loser.error?.type).toBe('SyncConflictError');
    expect(loser.files!.sync.state).toBe('conflict');
    expect(loser.files!.sync.written).toEqual([]);
    // The winner's edit is on disk, and nothing of the loser: not its edit, not its new file.
    expect(await readFile(join(host, 'counter.txt'), 'utf8')).toBe(`0${winnerTag}`);
    expect(await readFile(join(host, `${winnerTag}.txt`), 'utf8')).toBe(winnerTag);
    await expect(stat(join(host, `${loserTag}.txt`))).rejects.toThrow();
  });

  it('an edit that keeps the size and the modification time is still noticed (content digest)', async () => {
    const seconds = 1_000_000_000;
    await utimes(join(host, 'data.txt'), seconds, seconds);
    const r = await py(executor, 'def f():\n    open("data.txt", "w").write("SANDBOX!")\n    return 1\n', {
      mounts: [{ hostPath: host }],
      permissions: ALLOW_ALL,
      beforeSync: async () => {
        await writeFile(join(host, 'data.txt'), 'EDITED!!');
        await utimes(join(host, 'data.txt'), seconds, seconds);
      },
    });
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('SyncConflictError');
    expect(await readFile(join(host, 'data.txt'), 'utf8')).toBe('EDITED!!');
  });

  it('pending.apply() after the disk changed throws SyncConflictError (a SyncError) and writes nothing', async () => {
    const r = await py(executor, 'def f():\n    open("data.txt", "w").write("sandbox")\n    open("new.txt", "w").write("n")\n    return 1\n', {
      mounts: [{ hostPath: host }],
      permissions: ALLOW_ALL,
      sync: { mode: 'manual' },
    });
    await writeFile(join(host, 'data.txt'), 'edited meanwhile');
    const error = await rejection(r.files!.pending!.apply());
    expect(error).toBeInstanceOf(SyncConflictError);
    expect(error).toBeInstanceOf(SyncError);
    expect(error).toMatchObject({ name: 'SyncConflictError', code: 'SYNC_CONFLICT', hostPath: join(host, 'data.txt') });
    expect(await readFile(join(host, 'data.txt'), 'utf8')).toBe('edited meanwhile');
    await expect(stat(join(host, 'new.txt'))).rejects.toThrow();
  });
});

describe('success means the files are on disk', () => {
  it('a 20,000-deep folder chain: the call either fails or its permitted file is on disk', async () => {
    const code = `
import os
def f():
    open("keep.txt", "w").write("kept")
    path = "chain"
    os.mkdir(path)
    depth = 0
    try:
        for _ in range(20000):
            path += "/d"
            os.mkdir(path)
            depth += 1
    except OSError as e:
        return [depth, e.errno]
    return [depth, 0]
`;
    const r = await py(executor, code, {
      mounts: [{ hostPath: host }],
      permissions: { rules: [{ pattern: 'keep.txt', allow: ['create'] }] },
      sync: { onDenied: 'skip' },
    });
    if (r.status === 'success') {
      expect(r.files!.sync.state).toBe('written');
      expect(r.files!.sync.written).toContain(join(host, 'keep.txt'));
      expect(await readFile(join(host, 'keep.txt'), 'utf8')).toBe('kept');
    }
    expect(r.status).toBe('success');
    // Paths are capped at 4096 bytes, so the chain stops with ENAMETOOLONG long before 20,000.
    const [depth] = r.result as [number, number];
    expect(depth).toBeGreaterThan(1000);
    expect(depth).toBeLessThan(2100);
  });

  it('a call whose changes never reached the host is not a success, and writes nothing', async () => {
    const plan = planFiles({ mounts: [{ hostPath: host }], permissions: ALLOW_ALL }, { maxBytes: 1 << 20, maxFiles: 100 })!;
    const files = await CallFiles.load(plan);
    const { report, error, crashed } = await files.finish(undefined, true);
    expect(crashed).toBe(true);
    expect(error?.type).toBe('WorkerLost');
    expect(report.sync.state).toBe('skipped');
  });

  it('a file missing or different after the write is caught: the sync fails and the disk is restored', async () => {
    faults.afterDiskWrite = async (path) => {
      if (path.endsWith('new.txt')) await unlink(path);
    };
    const created = await py(executor, 'def f():\n    open("new.txt", "w").write("n")\n    return 1\n', {
      mounts: [{ hostPath: host }],
      permissions: ALLOW_ALL,
    });
    expect(created.status).toBe('error');
    expect(created.error?.type).toBe('SyncError');
    expect(created.files!.sync.state).toBe('failed');
    expect(created.error?.message).toContain('not there after the sync');

    faults.afterDiskWrite = async (path) => {
      if (path.endsWith('data.txt')) await writeFile(path, 'clobbered');
    };
    const modified = await py(executor, 'def f():\n    open("data.txt", "w").write("sandbox")\n    return 1\n', {
      mounts: [{ hostPath: host }],
      permissions: ALLOW_ALL,
    });
    expect(modified.status).toBe('error');
    expect(modified.files!.sync.state).toBe('failed');
    expect(await readFile(join(host, 'data.txt'), 'utf8')).toBe('original');
    expect((await readdir(host)).sort()).toEqual(['data.txt']);
  });
});

describe('the virtual filesystem caps count every file', () => {
  it('files over maxFsBytes are refused before running', async () => {
    const error = await rejection(py(small, 'def f():\n    return 1\n', { files: { 'big.bin': new Uint8Array(2 * 1024 * 1024) } }));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.field).toBe('files');
    expect(error.message).toContain('maxFsBytes');
  });

  it('mounted files count too', async () => {
    await writeFile(join(host, 'a.bin'), new Uint8Array(700 * 1024));
    await writeFile(join(host, 'b.bin'), new Uint8Array(700 * 1024));
    const error = await rejection(py(small, 'def f():\n    return 1\n', { mounts: [{ hostPath: host }] }));
    expect(error).toBeInstanceOf(MountError);
    expect(error.message).toContain('maxFsBytes');
  });

  it('deleting the input frees only its own room', async () => {
    const code = `
import os
def f():
    os.remove("input.bin")
    try:
        with open("out.bin", "wb") as out:
            out.write(bytes(1536 * 1024))
    except OSError as e:
        return e.errno
    return 0
`;
    const r = await py(small, code, { files: { 'input.bin': new Uint8Array(768 * 1024) } });
    expect(r.status).toBe('success');
    expect(r.result).toBe(51); // ENOSPC under WASI
  });

  it('maxFiles: creating files stops with ENOSPC at the cap; input over it is refused', async () => {
    const code = `
def f():
    count = 0
    try:
        while count < 5000:
            open("f%d" % count, "w").close()
            count += 1
    except OSError as e:
        return [count, e.errno]
    return [count, 0]
`;
    const r = await py(small, code);
    expect(r.status).toBe('success');
    const [count, errno] = r.result as [number, number];
    expect(count).toBeLessThan(300);
    expect(errno).toBe(51);

    const many = Object.fromEntries(Array.from({ length: 400 }, (_, i) => [`f${i}`, '']));
    expect((await rejection(py(small, 'def f():\n    return 1\n', { files: many }))).field).toBe('files');
    for (let i = 0; i < 400; i++) await writeFile(join(host, `f${i}`), '');
    const mounted = await rejection(py(small, 'def f():\n    return 1\n', { mounts: [{ hostPath: host }] }));
    expect(mounted).toBeInstanceOf(MountError);
    expect(mounted.message).toContain('maxFiles');
  });

  it('100,000 files with 4 KB paths: the paths run out of room long before, and the report stays small', async () => {
    const code = `
import errno, os
def f():
    path = "/tmp/c"
    os.mkdir(path)
    while len(path) < 3900:
        path += "/" + "d" * 60
        os.mkdir(path)
    count = 0
    try:
        while count < 100000:
            open("%s/f%07d" % (path, count), "w").close()
            count += 1
    except OSError as e:
        return [count, e.errno]
    return [count, 0]
`;
    const before = process.memoryUsage().rss;
    const r = await py(executor, code, { files: { 'marker.txt': '' } });
    const grown = process.memoryUsage().rss - before;
    expect(r.status).toBe('success');
    const [count, errno] = r.result as [number, number];
    expect(errno).toBe(51); // ENOSPC
    expect(count).toBeLessThan(10_000);
    // Reported: the files, /tmp/c and the 64 folders of its chain.
    expect(r.files!.created.length).toBe(count + 1 + 64);
    expect(grown).toBeLessThan(400 * 1024 * 1024);
  });
});

describe('request files that cannot be files', () => {
  it.each([['/'], ['.'], ['/workspace'], ['/tmp'], ['./']])('files key %j is an InvalidRequestError', async (key) => {
    const error = await rejection(py(executor, 'def f():\n    return 1\n', { files: { [key]: 'x' } }));
    expect(error).toBeInstanceOf(InvalidRequestError);
  });

  it('a file that is also the folder of another, or replaces a mounted folder, is an InvalidRequestError', async () => {
    expect(await rejection(py(executor, 'def f():\n    return 1\n', { files: { a: 'x', 'a/b': 'y' } }))).toBeInstanceOf(InvalidRequestError);
    await mkdir(join(host, 'sub'));
    expect(await rejection(py(executor, 'def f():\n    return 1\n', { files: { sub: 'x' }, mounts: [{ hostPath: host }] }))).toBeInstanceOf(
      InvalidRequestError,
    );
    expect(
      await rejection(py(executor, 'def f():\n    return 1\n', { files: { '/mnt': 'x' }, mounts: [{ hostPath: host, virtualPath: '/mnt/data' }] })),
    ).toBeInstanceOf(InvalidRequestError);
    // The executor still works.
    expect((await py(executor, 'def f():\n    return 1\n', { files: { 'a/b': 'y' } })).result).toBe(1);
  });
});

describe('hard links', () => {
  it('a file hard-linked to one outside the mount is neither loaded nor written through', async () => {
    const outside = join(root, 'secret.txt');
    await writeFile(outside, 'secret');
    await link(outside, join(host, 'linked.txt'));
    const listing = await py(executor, 'import os\ndef f():\n    return sorted(os.listdir("."))\n', { mounts: [{ hostPath: host }] });
    expect(listing.result).toEqual(['data.txt']);
    const write = await py(executor, 'def f():\n    open("linked.txt", "w").write("overwritten")\n    return 1\n', {
      mounts: [{ hostPath: host }],
      permissions: ALLOW_ALL,
    });
    expect(write.status).toBe('error');
    expect(write.error?.type).toBe('SyncError');
    expect(await readFile(outside, 'utf8')).toBe('secret');
  });
});

describe('[!...] in globs means "none of these", as in POSIX', () => {
  const CASES: Array<[string, string]> = [];
  const patterns = ['file[!0-9].txt', '[!a]*', '[!abc]x', '*[!.]', 'f[!-]g', '[!a-c][!0-9]', 'x[!]]y', '[^0-9]z'];
  const names = ['file1.txt', 'fileA.txt', 'file!.txt', 'abc', 'bcd', 'ax', 'dx', '!x', 'a.', 'ab', 'f-g', 'fxg', 'd5', 'dd', 'x]y', 'xay', '5z', 'az', '!z'];
  for (const pattern of patterns) for (const name of names) CASES.push([pattern, name]);

  it('matches what the shell matches, for every pattern and name', () => {
    // bash's `case` is the POSIX reference: one pattern and name per line, one answer per line.
    const script = `while IFS=$'\\t' read -r p n; do case "$n" in $p) echo 1;; *) echo 0;; esac; done`;
    const shell = spawnSync('bash', ['-c', script], { input: CASES.map(([p, n]) => `${p}\t${n}`).join('\n') + '\n', encoding: 'utf8' });
    expect(shell.status).toBe(0);
    const expected = shell.stdout
      .trim()
      .split('\n')
      .map((line) => line === '1');
    expect(expected).toHaveLength(CASES.length);
    const allows = (pattern: string, name: string) =>
      new PermissionResolver({ rules: [{ pattern, allow: ['create'] }] }).decide('create', name, `/workspace/${name}`).allowed;
    const actual = CASES.map(([pattern, name]) => allows(pattern, name));
    const differences = CASES.map(([p, n], i) => (actual[i] === expected[i] ? '' : `${p} ${n}: shell says ${expected[i]}`)).filter(Boolean);
    expect(differences).toEqual([]);
    // The case the trial found: a rule meant for non-digits.
    expect(allows('file[!0-9].txt', 'fileA.txt')).toBe(true);
    expect(allows('file[!0-9].txt', 'file1.txt')).toBe(false);
  });

  it('in include, exclude and permission rules of a real call', async () => {
    for (const name of ['file1.txt', 'fileA.txt', 'note1.md', 'noteB.md']) await writeFile(join(host, name), name);
    const r = await py(
      executor,
      'import os\ndef f():\n    for name in ["file1.txt", "fileA.txt"]:\n        open(name, "a").write("+")\n    return sorted(os.listdir("."))\n',
      {
        mounts: [{ hostPath: host, include: ['file[!0-9].txt', '*.md'], exclude: ['note[!0-9].md'] }],
        permissions: { rules: [{ pattern: 'file[!0-9].txt', allow: ['modify', 'create'] }] },
        sync: { onDenied: 'skip' },
      },
    );
    expect(r.status).toBe('success');
    // Loaded: fileA.txt (included), note1.md (not excluded); not file1.txt (not included) nor noteB.md (excluded).
    // file1.txt is there because the call created it.
    expect(r.result).toEqual(['file1.txt', 'fileA.txt', 'note1.md']);
    expect(await readFile(join(host, 'fileA.txt'), 'utf8')).toBe('fileA.txt+');
    expect(await readFile(join(host, 'file1.txt'), 'utf8')).toBe('file1.txt');
    expect(r.files!.sync.denied.map((c) => [c.virtualPath, c.reason])).toEqual([['/workspace/file1.txt', 'create denied by the default']]);
  });
});
