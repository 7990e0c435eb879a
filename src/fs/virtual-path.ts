/**
 * Checks and normalizes paths inside the sandbox given by a request (`files` keys, mount points).
 * Paths are never resolved leniently: `..`, NUL bytes and the machinery's own folders are refused.
 */
import { InvalidRequestError } from '../errors.js';
import { MAX_PATH_BYTES } from '../runtime/vfs/virtual-fs.js';

/** The working directory of user code, and the default mount point. */
export const WORKDIR = '/workspace';

/** Folders that belong to the sandbox machinery (devices, the proxy and the user's code). */
const RESERVED_ROOTS = ['/dev', '/sandbox'];

/** Whether a normalized absolute path is, or is inside, `root`. */
export function isWithin(path: string, root: string): boolean {
  return root === '/' ? path.startsWith('/') : path === root || path.startsWith(`${root}/`);
}

/**
 * A request path as a normalized absolute sandbox path. Relative paths are taken from {@link WORKDIR}.
 *
 * @param field request field named in the error
 * @throws InvalidRequestError for empty paths, NUL bytes, `..` segments and reserved folders
 */
export function virtualPathOf(path: unknown, field: string): string {
  if (typeof path !== 'string' || path === '') throw new InvalidRequestError(field, `${field} must be a non-empty path.`);
  if (path.includes('\0')) throw new InvalidRequestError(field, `${field} contains a NUL byte.`);
  const parts = path.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) throw new InvalidRequestError(field, `${field} must not contain "..": ${JSON.stringify(path)}.`);
  const absolute = path.startsWith('/') ? `/${parts.join('/')}` : `${WORKDIR}/${parts.join('/')}`.replace(/\/$/, '');
  if (Buffer.byteLength(absolute) > MAX_PATH_BYTES) throw new InvalidRequestError(field, `${field} is longer than ${MAX_PATH_BYTES} bytes.`);
  if (RESERVED_ROOTS.some((root) => isWithin(absolute, root))) {
    throw new InvalidRequestError(field, `${field} is inside ${RESERVED_ROOTS.join(' or ')}, which belong to the sandbox: ${JSON.stringify(path)}.`);
  }
  return absolute;
}

/**
 * Whether a path component may be written to the host: no NUL, no separators, not `.`/`..`. Names come
 * from the sandbox, where user code chooses them.
 */
export function isSafeName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !name.includes('\0') && !name.includes('/') && !name.includes('\\');
}
