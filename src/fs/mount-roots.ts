/**
 * Mount roots: the host folders an operator lets untrusted requests mount (the HTTP adapter's clients, a
 * queue's submitters), each with the operations allowed there. A requested folder is resolved to its real
 * path and gets at most the operations of the innermost root that holds it, so an operator can open a
 * subfolder wider (or narrower) than its parent.
 */
import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve } from 'node:path';
import { InvalidRequestError } from '../errors.js';
import type { FileOperation, MountRoot } from './fs-types.js';

/** Every operation a mount can allow. */
export const ALL_FILE_OPERATIONS: readonly FileOperation[] = ['read', 'create', 'modify', 'delete'];

/** A mount root checked and resolved. */
export type ResolvedMountRoot = Required<MountRoot>;

/**
 * The mount roots of an option, each with its operations (read-only unless said otherwise).
 *
 * @throws InvalidRequestError (field `allowedMountRoots[i]`) for an entry that is not a folder path or
 *   `{ path, operations }` with known operations
 */
export function resolveMountRoots(roots: readonly (string | MountRoot)[] = []): ResolvedMountRoot[] {
  return roots.map((root, index) => {
    const entry = typeof root === 'string' ? { path: root } : root;
    if (typeof entry?.path !== 'string' || entry.path === '') {
      throw new InvalidRequestError(`allowedMountRoots[${index}]`, `allowedMountRoots[${index}] must be a folder path or { path, operations }.`);
    }
    const operations = entry.operations ?? ['read'];
    if (!Array.isArray(operations) || operations.some((op) => !ALL_FILE_OPERATIONS.includes(op))) {
      throw new InvalidRequestError(
        `allowedMountRoots[${index}].operations`,
        `allowedMountRoots[${index}].operations must list some of ${ALL_FILE_OPERATIONS.join(', ')}.`,
      );
    }
    return { path: resolve(entry.path), operations: [...operations] };
  });
}

/** Finds, for requested folders, the real path and what the innermost root that holds it allows. */
export class MountRootMatcher {
  constructor(readonly roots: readonly ResolvedMountRoot[]) {}

  /**
   * The folder's real path and the operations it may have (those `asked` that its root allows), or
   * `undefined` when the folder does not exist or lies outside every root.
   */
  async match(hostPath: string, asked: readonly FileOperation[] = ALL_FILE_OPERATIONS): Promise<{ hostPath: string; operations: FileOperation[] } | undefined> {
    const real = await realpath(hostPath).catch(() => undefined);
    if (real === undefined) return undefined;
    // Roots are resolved at each match (they may be created or moved while the server runs); one that does
    // not exist is compared by the path it was given.
    const roots = await Promise.all(this.roots.map(async (root) => ({ ...root, real: await realpath(root.path).catch(() => root.path) })));
    const root = roots.filter((r) => within(real, r.real)).sort((a, b) => b.real.length - a.real.length)[0];
    if (!root) return undefined;
    return { hostPath: real, operations: root.operations.filter((op) => asked.includes(op)) };
  }
}

function within(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
