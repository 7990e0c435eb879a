/**
 * Writes changes to disk as one transaction: each file is written to a temporary file in its own folder
 * and renamed into place, the files it replaces or deletes are kept as backups until the end, and when any
 * step fails every step already done is undone. The disk ends either fully synced or as it was.
 *
 * Host files are checked against their state when they were loaded (size and modification time): a file
 * changed on disk in the meantime is never overwritten or deleted. No step follows a symbolic link.
 */
import { randomBytes } from 'node:crypto';
import { chmod, copyFile, link, lstat, mkdir, rename, rmdir, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { faults } from '../testing/faults.js';
import type { HostFileState } from './mounts.js';

/** One change to make on disk. */
export interface DiskChange {
  /** Real path of the mount's folder; nothing outside it is touched. */
  hostRoot: string;
  /** Path relative to `hostRoot`, `/`-separated, every component checked safe. */
  relativePath: string;
  kind: 'file' | 'dir';
  operation: 'create' | 'modify' | 'delete';
  /** New contents (files created or modified). */
  data?: Uint8Array;
  /** The host file as it was loaded (files modified or deleted). */
  expected?: HostFileState;
}

/** A sync step failed; everything done before it has been undone. */
export class DiskSyncFailure extends Error {
  constructor(
    message: string,
    readonly hostPath: string,
    /** Undo steps that failed in turn (the disk may then differ from before: listed for the user). */
    readonly undoFailures: string[],
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DiskSyncFailure';
  }
}


/** Applies `changes` in a safe order; resolves with the host paths touched, in order. */
export async function applyDiskChanges(changes: readonly DiskChange[]): Promise<string[]> {
  const undo: Array<{ describe: string; run: () => Promise<void> }> = [];
  const backups: string[] = [];
  const done: string[] = [];
  let step = 0;
  let current = '';
  try {
    for (const change of orderChanges(changes)) {
      const target = join(change.hostRoot, ...change.relativePath.split('/'));
      current = target;
      step += 1;
      if (faults.failDiskSyncOnStep > 0 && step === faults.failDiskSyncOnStep) throw new Error('injected write failure (test hook)');
      await ensureParents(change.hostRoot, change.relativePath, undo);
      if (change.kind === 'dir') {
        if (change.operation === 'create') {
          const existing = await lstatOrNull(target);
          if (existing?.isDirectory()) continue;
          if (existing) throw new Error('something that is not a folder is already there');
          await mkdir(target);
          undo.push({ describe: `remove folder ${target}`, run: () => rmdir(target) });
        } else {
          const existing = await lstatOrNull(target);
          if (!existing) continue;
          if (!existing.isDirectory()) throw new Error('it is no longer a folder');
          try {
            await rmdir(target);
          } catch (error) {
            // The folder holds files the sandbox never saw (excluded or not included): keep it.
            if ((error as NodeJS.ErrnoException).code === 'ENOTEMPTY' || (error as NodeJS.ErrnoException).code === 'EEXIST') continue;
            throw error;
          }
          undo.push({ describe: `recreate folder ${target}`, run: () => mkdir(target) });
        }
        done.push(target);
        continue;
      }

      const existing = await lstatOrNull(target);
      if (change.operation === 'create') {
        if (existing) throw new Error('a file already exists there on disk (it was not loaded into the sandbox, so it is not overwritten)');
      } else {
        if (!existing) throw new Error('the file was deleted on disk after it was loaded');
        if (!existing.isFile()) throw new Error('it is no longer a regular file');
        if (change.expected && (existing.size !== change.expected.size || existing.mtimeMs !== change.expected.mtimeMs)) {
          throw new Error('the file changed on disk after it was loaded');
        }
      }

      if (change.operation === 'delete') {
        const backup = sidePath(target, 'bak');
        await rename(target, backup);
        backups.push(backup);
        undo.push({ describe: `restore ${target}`, run: () => rename(backup, target) });
      } else {
        const temp = sidePath(target, 'tmp');
        await writeFile(temp, change.data ?? new Uint8Array(0), { flag: 'wx' });
        try {
          if (existing) await chmod(temp, existing.mode & 0o7777);
          if (change.operation === 'modify') {
            const backup = sidePath(target, 'bak');
            await keepCopy(target, backup);
            backups.push(backup);
            await rename(temp, target);
            undo.push({ describe: `restore ${target}`, run: () => rename(backup, target) });
          } else {
            await rename(temp, target);
            undo.push({ describe: `remove ${target}`, run: () => unlink(target) });
          }
        } catch (error) {
          await unlink(temp).catch(() => undefined);
          throw error;
        }
      }
      done.push(target);
    }
  } catch (error) {
    const undoFailures: string[] = [];
    for (const action of undo.reverse()) {
      await action.run().catch((undoError: Error) => undoFailures.push(`${action.describe}: ${undoError.message}`));
    }
    for (const backup of backups) await unlink(backup).catch(() => undefined);
    throw new DiskSyncFailure(`Writing ${current} failed: ${(error as Error).message}`, current, undoFailures, { cause: error });
  }
  for (const backup of backups) await unlink(backup).catch(() => undefined);
  return done;
}

/** Folders first (outermost first), then files, then deletions of files, then of folders (innermost first). */
function orderChanges(changes: readonly DiskChange[]): DiskChange[] {
  const rank = (c: DiskChange): number =>
    c.kind === 'dir' && c.operation === 'create' ? 0 : c.kind === 'file' && c.operation !== 'delete' ? 1 : c.kind === 'file' ? 2 : 3;
  const depth = (c: DiskChange): number => c.relativePath.split('/').length;
  return [...changes].sort((a, b) => {
    const byRank = rank(a) - rank(b);
    if (byRank !== 0) return byRank;
    const byDepth = rank(a) === 3 ? depth(b) - depth(a) : depth(a) - depth(b);
    return byDepth !== 0 ? byDepth : a.relativePath < b.relativePath ? -1 : a.relativePath > b.relativePath ? 1 : 0;
  });
}

/**
 * Makes sure every folder between the mount's root and the target is a real folder (never a symbolic
 * link, which could lead out of the mount), creating missing ones.
 */
async function ensureParents(hostRoot: string, relativePath: string, undo: Array<{ describe: string; run: () => Promise<void> }>): Promise<void> {
  const parts = relativePath.split('/').slice(0, -1);
  let at = hostRoot;
  for (const part of parts) {
    at = `${at}${sep}${part}`;
    const info = await lstatOrNull(at);
    if (info?.isDirectory()) continue;
    if (info) throw new Error(`${at} is ${info.isSymbolicLink() ? 'a symbolic link' : 'not a folder'}; nothing is written through it`);
    await mkdir(at);
    const created = at;
    undo.push({ describe: `remove folder ${created}`, run: () => rmdir(created) });
  }
}

/** Keeps the current contents of `target` at `backup`: a hard link when possible (no copy), else a copy. */
async function keepCopy(target: string, backup: string): Promise<void> {
  try {
    await link(target, backup);
  } catch {
    await copyFile(target, backup);
  }
}

function sidePath(target: string, kind: 'tmp' | 'bak'): string {
  const name = target.slice(dirname(target).length + 1);
  return join(dirname(target), `.${name}.sandbox-${randomBytes(6).toString('hex')}.${kind}`);
}

async function lstatOrNull(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
