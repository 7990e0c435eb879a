import { describe, expect, it } from 'vitest';
import { FsError, MAX_PATH_BYTES, MAX_TOTAL_PATH_BYTES, VirtualFS, joinPath } from '../../src/runtime/vfs/virtual-fs.js';
import { Errno } from '../../src/runtime/wasi/abi.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array | undefined) => new TextDecoder().decode(data);
const errnoOf = (fn: () => unknown): number | undefined => {
  try {
    fn();
  } catch (e) {
    return (e as FsError).errno;
  }
  return undefined;
};

describe('VirtualFS', () => {
  it('normalizes paths lexically and never climbs above the root', () => {
    expect(joinPath('/a/b', '../c/./d')).toBe('/a/c/d');
    expect(joinPath('/a', '../../../etc/passwd')).toBe('/etc/passwd');
    expect(joinPath('/a', '/x//y/')).toBe('/x/y');
  });

  it('keeps clones independent: a write in one is never seen by the template or another clone', () => {
    const template = new VirtualFS();
    template.writeFile('/lib/base.txt', bytes('original'), { shared: true });
    const one = template.clone();
    const two = template.clone();
    const file = one.lookup('/lib/base.txt');
    if (file?.kind !== 'file') throw new Error('expected a file');
    one.write(file, 0, bytes('CHANGED'));
    one.writeFile('/tmp/new.txt', bytes('x'));
    const read = (fs: VirtualFS) => {
      const node = fs.lookup('/lib/base.txt');
      return node?.kind === 'file' ? text(fs.read(node, 0, 100)) : undefined;
    };
    expect(read(one)).toBe('CHANGEDl');
    expect(read(two)).toBe('original');
    expect(read(template)).toBe('original');
    expect(two.lookup('/tmp/new.txt')).toBeUndefined();
  });

  it('reports created, modified and deleted files and directories since a snapshot', () => {
    const fs = new VirtualFS();
    fs.writeFile('/w/keep.txt', bytes('same'));
    fs.writeFile('/w/edit.txt', bytes('before'));
    fs.writeFile('/w/gone.txt', bytes('bye'));
    fs.writeFile('/w/rewritten.txt', bytes('equal'));
    const snapshot = fs.snapshot();
    const edit = fs.lookup('/w/edit.txt');
    if (edit?.kind !== 'file') throw new Error('expected a file');
    fs.write(edit, 0, bytes('after!'));
    fs.unlink('/w/gone.txt');
    fs.writeFile('/w/rewritten.txt', bytes('equal'));
    fs.mkdir('/w/empty');
    fs.writeFile('/w/sub/new.bin', Uint8Array.of(0, 255));
    const changes = fs.diff(snapshot).map((c) => [c.change, c.kind, c.path]);
    expect(changes).toEqual(
      expect.arrayContaining([
        ['modified', 'file', '/w/edit.txt'],
        ['deleted', 'file', '/w/gone.txt'],
        ['created', 'dir', '/w/empty'],
        ['created', 'dir', '/w/sub'],
        ['created', 'file', '/w/sub/new.bin'],
      ]),
    );
    expect(changes).toHaveLength(5);
    // The snapshot kept the old contents even though the file was written in place.
    expect(text(snapshot.get('/w/edit.txt')?.data)).toBe('before');
  });

  it('follows POSIX rules for rename, rmdir and unlink', () => {
    const fs = new VirtualFS();
    fs.writeFile('/d/a.txt', bytes('a'));
    fs.writeFile('/d/b.txt', bytes('b'));
    fs.mkdir('/e');
    fs.rename('/d/a.txt', '/d/b.txt');
    expect(fs.lookup('/d/a.txt')).toBeUndefined();
    expect(errnoOf(() => fs.rmdir('/d'))).toBe(Errno.NOTEMPTY);
    expect(errnoOf(() => fs.unlink('/d'))).toBe(Errno.ISDIR);
    expect(errnoOf(() => fs.rename('/d', '/d/inside'))).toBe(Errno.INVAL);
    expect(errnoOf(() => fs.rename('/d/b.txt', '/e'))).toBe(Errno.ISDIR);
    fs.rename('/d', '/e');
    expect(fs.lookup('/e/b.txt')?.kind).toBe('file');
    expect(errnoOf(() => fs.createFile('/missing/x'))).toBe(Errno.NOENT);
  });

  it('caps the total size of files with ENOSPC', () => {
    const fs = new VirtualFS(1000);
    const file = fs.createFile('/f');
    fs.write(file, 0, new Uint8Array(600));
    expect(errnoOf(() => fs.write(file, 600, new Uint8Array(500)))).toBe(Errno.NOSPC);
    fs.resize(file, 100);
    expect(fs.totalBytes).toBe(100);
    expect(() => fs.write(file, 100, new Uint8Array(800))).not.toThrow();
  });

  it('counts files placed by the host against the byte cap; deleting one frees its own bytes only', () => {
    const fs = new VirtualFS(1000);
    fs.writeFile('/in/data.bin', new Uint8Array(700));
    expect(fs.totalBytes).toBe(700);
    expect(errnoOf(() => fs.writeFile('/in/more.bin', new Uint8Array(400)))).toBe(Errno.NOSPC);
    fs.writeFile('/in/data.bin', new Uint8Array(900));
    expect(fs.totalBytes).toBe(900);
    fs.unlink('/in/data.bin');
    expect(fs.totalBytes).toBe(0);
    const file = fs.createFile('/out.bin');
    expect(errnoOf(() => fs.write(file, 0, new Uint8Array(1001)))).toBe(Errno.NOSPC);
  });

  it('caps the number of nodes with ENOSPC, and frees a slot for each node removed', () => {
    const fs = new VirtualFS(Infinity, undefined, 5);
    fs.mkdirp('/a/b');
    fs.createFile('/a/b/1');
    fs.writeFile('/a/b/2', bytes('x'));
    fs.addDevice('/a/dev', {});
    expect(fs.nodeCount).toBe(5);
    expect(errnoOf(() => fs.createFile('/a/b/3'))).toBe(Errno.NOSPC);
    expect(errnoOf(() => fs.mkdir('/a/c'))).toBe(Errno.NOSPC);
    fs.writeFile('/a/b/2', bytes('replaced in place'));
    fs.rename('/a/b/1', '/a/b/2');
    expect(fs.nodeCount).toBe(4);
    fs.mkdir('/a/c');
    fs.rmdir('/a/c');
    fs.unlink('/a/dev');
    expect(fs.nodeCount).toBe(3);
    expect(fs.clone().nodeCount).toBe(3);
  });

  it('caps path length at 4096 bytes, for folders moved deeper too', () => {
    const fs = new VirtualFS();
    let path = '';
    while (path.length + 2 <= MAX_PATH_BYTES) {
      path += '/d';
      fs.mkdir(path);
    }
    expect(errnoOf(() => fs.mkdir(`${path}/d`))).toBe(Errno.NAMETOOLONG);
    expect(errnoOf(() => fs.createFile(`${path}/f`))).toBe(Errno.NAMETOOLONG);
    // A chain moved under another folder would end deeper than the cap: refused.
    fs.mkdir('/x');
    expect(errnoOf(() => fs.rename('/d', '/x/d'))).toBe(Errno.NAMETOOLONG);
    expect(fs.lookup('/d')?.kind).toBe('dir');
  });

  it('caps the bytes of all paths together, so that a change report stays bounded', () => {
    const fs = new VirtualFS();
    let dir = '';
    while (dir.length < 3900) {
      dir += '/dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd';
      fs.mkdir(dir);
    }
    const baseline = fs.pathBytes;
    let created = 0;
    expect(
      errnoOf(() => {
        for (;;) fs.createFile(`${dir}/f${created++}`);
      }),
    ).toBe(Errno.NOSPC);
    expect(fs.pathBytes).toBeLessThanOrEqual(MAX_TOTAL_PATH_BYTES);
    expect(created).toBeLessThan(MAX_TOTAL_PATH_BYTES / 3900);
    for (let i = 0; i < created - 1; i++) fs.unlink(`${dir}/f${i}`);
    expect(fs.pathBytes).toBe(baseline);
    // Renames keep the count exact: a folder and what is in it, moved and moved back.
    fs.mkdirp('/a/b/c');
    const before = fs.pathBytes;
    fs.rename('/a', '/zzzz');
    expect(fs.pathBytes).toBe(before + 3 * 3);
    fs.rename('/zzzz', '/a');
    expect(fs.pathBytes).toBe(before);
  });
});
