/**
 * Writes changes to disk as one transaction: each file is written to a temporary file in its own folder
 * and renamed into place, the files it replaces or deletes are kept as backups until the end, and when any
 * step fails every step already done is undone. The disk ends either fully synced or as it was.
 *
 * Syncs that touch the same host folder (or one inside another) run one at a time in this process. Before
 * anything is written, every host file the sync replaces or deletes is compared with what was loaded (size,
 * then a SHA-256 of its contents), and every file it creates must still be absent: otherwise the sync is a
 * conflict and writes nothing. After writing, every file is read back and compared with what was meant to
 * be written before the sync counts as done. No step follows a symbolic link.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { chmod, copyFile, link, lstat, mkdir, open, rename, rmdir, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { contentDigest } from '../runtime/content-digest.js';
import type { HostFileState } from './mounts.js';

/** Faults the reliability tests inject into a sync (never set in production). */
export interface DiskSyncFaults {
  /** Fail the n-th step of the sync (1-based; 0 or absent = never). */
  failDiskSyncOnStep?: number;
  /** Called after each file the sync writes or deletes, before the sync checks its work. */
  afterDiskWrite?: (hostPath: string) => void | Promise<void>;
}

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
  /**
   * Something was there when the mount was loaded but was not loaded (a symbolic link, a hard-linked
   * file, a file left out): creating over it fails, and it is no conflict since it was there all along.
   */
  unloaded?: boolean;
}

/** A sync step failed; everything done before it has been undone. */
export class DiskSyncFailure extends Error {
  constructor(
    message: string,
    readonly hostPath: string,
    /** Undo steps that failed in turn (the disk may then differ from before: listed for the user). */
    readonly undoFailures: string[],
    options?: { cause?: unknown },
    /** The disk no longer matches what the call loaded: nothing was written. */
    readonly conflict = false,
  ) {
    super(message, options);
    this.name = 'DiskSyncFailure';
  }
}

/** Syncs running now, with the host folders each one writes in. */
const running = new Set<{ roots: readonly string[]; done: Promise<void> }>();

/**
 * Runs `work` once no other sync of this process writes in any of `roots` (or in a folder inside one of
 * them, or around one): two calls that loaded the same files cannot interleave their checks and writes.
 */
async function exclusive<T>(roots: readonly string[], work: () => Promise<T>): Promise<T> {
  const inside = (path: string, root: string): boolean => path === root || path.startsWith(root.endsWith(sep) ? root : `${root}${sep}`);
  const overlaps = (other: readonly string[]): boolean => other.some((a) => roots.some((b) => inside(a, b) || inside(b, a)));
  for (;;) {
    const busy = [...running].filter((entry) => overlaps(entry.roots));
    if (busy.length === 0) break;
    await Promise.all(busy.map((entry) => entry.done));
  }
  let release!: () => void;
  const entry = { roots, done: new Promise<void>((resolve) => (release = resolve)) };
  running.add(entry);
  try {
    return await work();
  } finally {
    running.delete(entry);
    release();
  }
}

/**
 * Applies `changes` in a safe order, after checking them for conflicts and one sync at a time per host
 * folder; resolves with the host paths touched, in order.
 *
 * @throws DiskSyncFailure (with `conflict` set when the disk changed since the files were loaded)
 */
export async function applyDiskChanges(changes: readonly DiskChange[], faults: DiskSyncFaults = {}): Promise<string[]> {
  if (changes.length === 0) return [];
  const roots = [...new Set(changes.map((change) => change.hostRoot))];
  return exclusive(roots, async () => {
    const ordered = orderChanges(changes);
    const observed = await findConflicts(ordered);
    return writeChanges(ordered, observed, faults);
  });
}

/**
 * Checks every change against the disk before anything is written. Resolves with the modification time
 * of each host file that will be replaced or deleted, as seen now, so that the write notices a change
 * made by another process in the meantime.
 */
async function findConflicts(changes: readonly DiskChange[]): Promise<Map<string, number>> {
  const observed = new Map<string, number>();
  for (const change of changes) {
    const target = join(change.hostRoot, ...change.relativePath.split('/'));
    const existing = await lstatOrNull(target).catch(() => null);
    let problem: string | undefined;
    if (change.unloaded && existing && !(change.kind === 'dir' && existing.isDirectory())) {
      const what = existing.isSymbolicLink()
        ? 'a symbolic link'
        : existing.isFile()
          ? 'a file that was not loaded into the sandbox'
          : 'something that was not loaded into the sandbox';
      throw new DiskSyncFailure(`Writing ${target} failed: ${what} is there, and a sync never replaces it; nothing of this call was written`, target, []);
    }
    if (change.kind === 'dir') {
      if (existing && !existing.isDirectory())
        problem = change.operation === 'create' ? 'something that is not a folder is already there' : 'it is no longer a folder';
    } else if (change.operation === 'create') {
      if (existing) problem = 'a file already exists there on disk (it was not loaded into the sandbox, so it is not overwritten)';
    } else if (!existing) {
      problem = 'the file was deleted on disk after it was loaded';
    } else if (!existing.isFile()) {
      problem = 'it is no longer a regular file';
    } else if (change.expected) {
      if (existing.size !== change.expected.size || (await digestOf(target)) !== contentDigest(change.expected.data))
        problem = 'the file changed on disk after it was loaded';
      observed.set(target, existing.mtimeMs);
    }
    if (problem) {
      throw new DiskSyncFailure(`Conflict at ${target}: ${problem}; nothing of this call was written`, target, [], undefined, true);
    }
  }
  return observed;
}

/** SHA-256 of a host file's contents, without following a symbolic link. */
async function digestOf(path: string): Promise<string> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const hash = createHash('sha256');
    for await (const chunk of handle.createReadStream({ autoClose: false })) hash.update(chunk as Buffer);
    return hash.digest('hex');
  } finally {
    await handle.close();
  }
}

/** Whether what is on disk at `target` is what the change meant to leave there. */
async function verify(target: string, change: DiskChange): Promise<string | undefined> {
  const now = await lstatOrNull(target).catch(() => null);
  if (change.kind === 'dir') return change.operation === 'create' && !now?.isDirectory() ? 'the folder is not there after the sync' : undefined;
  if (change.operation === 'delete') return now ? 'the file is still there after the sync' : undefined;
  const data = change.data ?? new Uint8Array(0);
  if (!now?.isFile()) return 'the file is not there after the sync';
  if (now.size !== data.byteLength || (await digestOf(target)) !== contentDigest(data)) return 'the file on disk is not what was written';
  return undefined;
}

/** Writes changes already checked, in order; undoes everything if a step or the final check fails. */
async function writeChanges(changes: readonly DiskChange[], observed: ReadonlyMap<string, number>, faults: DiskSyncFaults): Promise<string[]> {
  const undo: Array<{ describe: string; run: () => Promise<void> }> = [];
  const backups: string[] = [];
  const done: string[] = [];
  const written: Array<{ target: string; change: DiskChange }> = [];
  let step = 0;
  let current = '';
  let conflict = false;
  try {
    for (const change of changes) {
      const target = join(change.hostRoot, ...change.relativePath.split('/'));
      current = target;
      step += 1;
      if (step === faults.failDiskSyncOnStep) throw new Error('injected write failure (test hook)');
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
        written.push({ target, change });
        continue;
      }

      // Checked before the first write; checked again here against what another process may do meanwhile.
      const existing = await lstatOrNull(target);
      conflict = true;
      if (change.operation === 'create') {
        if (existing) throw new Error('a file already exists there on disk (it was not loaded into the sandbox, so it is not overwritten)');
      } else {
        if (!existing) throw new Error('the file was deleted on disk after it was loaded');
        if (!existing.isFile()) throw new Error('it is no longer a regular file');
        if (change.expected && (existing.size !== change.expected.size || existing.mtimeMs !== observed.get(target))) {
          throw new Error('the file changed on disk after it was loaded');
        }
      }
      conflict = false;

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
            // Already gone is what the undo wants.
            undo.push({
              describe: `remove ${target}`,
              run: () => unlink(target).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error))),
            });
          }
        } catch (error) {
          await unlink(temp).catch(() => undefined);
          throw error;
        }
      }
      done.push(target);
      written.push({ target, change });
      await faults.afterDiskWrite?.(target);
    }
    // Only what is on disk counts: read every change back before the sync is done.
    for (const { target, change } of written) {
      current = target;
      const problem = await verify(target, change);
      if (problem) throw new Error(problem);
    }
  } catch (error) {
    const undoFailures: string[] = [];
    for (const action of undo.reverse()) {
      await action.run().catch((undoError: Error) => undoFailures.push(`${action.describe}: ${undoError.message}`));
    }
    for (const backup of backups) await unlink(backup).catch(() => undefined);
    throw new DiskSyncFailure(`Writing ${current} failed: ${(error as Error).message}`, current, undoFailures, { cause: error }, conflict);
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
