/**
 * Mounts on a worker: a request from the queue may mount only folders of the worker's own
 * `allowedMountRoots` (its disk is not the submitter's), with at most the operations of the innermost
 * root that holds the folder, as the HTTP adapter does for its clients.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { InvalidRequestError, type FileOperation, type MountOptions } from '../index.js';
import type { MountRoot } from '../fs/fs-types.js';

const OPERATIONS: readonly FileOperation[] = ['read', 'create', 'modify', 'delete'];

/** Checks the worker's roots once. */
export function mountRoots(roots: readonly (string | MountRoot)[] | undefined): { path: string; operations: readonly FileOperation[] }[] {
  return (roots ?? []).map((root, index) => {
    const entry = typeof root === 'string' ? { path: root } : root;
    const operations = entry?.operations ?? ['read'];
    if (typeof entry?.path !== 'string' || entry.path === '' || !Array.isArray(operations) || operations.some((op) => !OPERATIONS.includes(op))) {
      throw new InvalidRequestError(
        `allowedMountRoots[${index}]`,
        `allowedMountRoots[${index}] must be a folder path or { path, operations } with operations among ${OPERATIONS.join(', ')}.`,
      );
    }
    return { path: resolve(entry.path), operations };
  });
}

/**
 * The request's mounts, each resolved and narrowed to what its root allows.
 *
 * @throws InvalidRequestError (field `mounts[i].hostPath`) for a folder outside every root
 */
export async function applyMountPolicy(mounts: readonly MountOptions[], roots: ReturnType<typeof mountRoots>): Promise<MountOptions[]> {
  if (roots.length === 0)
    throw new InvalidRequestError('mounts', 'This worker allows no mounts: start it with allowedMountRoots to let calls mount folders of its disk.');
  if (!Array.isArray(mounts)) throw new InvalidRequestError('mounts', 'mounts must be an array.');
  const real = await Promise.all(roots.map(async (root) => ({ ...root, real: await realpath(root.path).catch(() => root.path) })));
  return Promise.all(
    mounts.map(async (mount, index) => {
      const field = `mounts[${index}].hostPath`;
      const hostPath = typeof mount?.hostPath === 'string' ? await realpath(mount.hostPath).catch(() => undefined) : undefined;
      const root = hostPath === undefined ? undefined : real.filter((r) => inside(hostPath, r.real)).sort((a, b) => b.real.length - a.real.length)[0];
      if (!root || hostPath === undefined) throw new InvalidRequestError(field, `${field} is not an existing folder inside this worker's allowedMountRoots.`);
      const asked = mount.allowedOperations ?? OPERATIONS;
      return { ...mount, hostPath, allowedOperations: root.operations.filter((op) => asked.includes(op)) };
    }),
  );
}

function inside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
