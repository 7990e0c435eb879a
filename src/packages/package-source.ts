/**
 * The `packages` option: what a request may name, and its check.
 */
import { isAbsolute, resolve } from 'node:path';
import { InvalidRequestError } from '../errors.js';

/** A package on the host: its path (a folder or a file), relative paths from the process's working directory. */
export type PackageSource = string | { path: string };

/**
 * The absolute host paths of a `packages` option.
 *
 * @throws InvalidRequestError for anything but a list of paths
 */
export function checkPackageSources(value: unknown, field = 'packages'): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new InvalidRequestError(field, `${field} must be a list of host paths (strings or { path } objects).`);
  return value.map((item: unknown, index) => {
    const path =
      typeof item === 'string'
        ? item
        : item && typeof item === 'object' && typeof (item as { path?: unknown }).path === 'string'
          ? (item as { path: string }).path
          : undefined;
    if (path === undefined || path === '' || path.includes('\0')) {
      throw new InvalidRequestError(`${field}[${index}]`, `${field}[${index}] must be a host path (a non-empty string, or { path: string }).`);
    }
    return isAbsolute(path) ? path : resolve(path);
  });
}
