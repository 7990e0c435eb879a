/**
 * Mounts on a worker: a request from the queue may mount only folders of the worker's own
 * `allowedMountRoots` (its disk is not the submitter's), with at most the operations of the innermost
 * root that holds the folder, as the HTTP adapter does for its clients.
 */
import { InvalidRequestError } from '../errors.js';
import type { MountOptions } from '../fs/fs-types.js';
import type { MountRootMatcher } from '../fs/mount-roots.js';

/**
 * The request's mounts, each resolved and narrowed to what its root allows.
 *
 * @throws InvalidRequestError (field `mounts[i].hostPath`) for a folder outside every root
 */
export async function applyMountPolicy(mounts: readonly MountOptions[], roots: MountRootMatcher): Promise<MountOptions[]> {
  if (roots.roots.length === 0)
    throw new InvalidRequestError('mounts', 'This worker allows no mounts: start it with allowedMountRoots to let calls mount folders of its disk.');
  if (!Array.isArray(mounts)) throw new InvalidRequestError('mounts', 'mounts must be an array.');
  return Promise.all(
    mounts.map(async (mount, index) => {
      const field = `mounts[${index}].hostPath`;
      const allowed = typeof mount?.hostPath === 'string' ? await roots.match(mount.hostPath, mount.allowedOperations) : undefined;
      if (!allowed) throw new InvalidRequestError(field, `${field} is not an existing folder inside this worker's allowedMountRoots.`);
      return { ...mount, hostPath: allowed.hostPath, allowedOperations: allowed.operations };
    }),
  );
}
