/**
 * Checks the filesystem options of a request (`files`, `mounts`, `permissions`, `sync`, the hooks) and
 * the paths they name, without touching the disk: what `fs/` then loads and syncs.
 */
import { InvalidRequestError } from '../errors.js';
import type { FileOptions, FileOperation, MountOptions } from '../fs/fs-types.js';
import type { FilePlan, FsLimits } from '../fs/file-sync.js';
import { PermissionResolver } from '../fs/permissions.js';
import { ancestors, isWithin } from '../fs/virtual-path.js';
import { SANDBOX_DIR, WORKDIR } from '../protocol/proxy-contract.js';
import { MAX_PATH_BYTES } from '../runtime/vfs/virtual-fs.js';
import type { JobFile } from '../runtime/worker-protocol.js';

const encoder = new TextEncoder();

const OPERATIONS: readonly FileOperation[] = ['read', 'create', 'modify', 'delete'];

/** Folders that belong to the sandbox machinery (devices, the proxy and the user's code). */
const RESERVED_ROOTS = ['/dev', SANDBOX_DIR];

/** Folders every sandbox has, which a file of the request cannot replace. */
const SANDBOX_FOLDERS = ['/', WORKDIR, '/tmp'];

/**
 * Checks the filesystem options of a request, without touching the disk. Undefined when the request has none.
 *
 * @throws InvalidRequestError
 */
export function planFiles(options: FileOptions, limits: FsLimits): FilePlan | undefined {
  const { files, mounts, permissions, sync, returnFileContents, beforeSync, afterSync } = options;
  if (files === undefined && mounts === undefined && permissions === undefined && sync === undefined && !returnFileContents) return undefined;
  const extraFiles: JobFile[] = [];
  if (files !== undefined) {
    if (files === null || typeof files !== 'object' || Array.isArray(files))
      throw new InvalidRequestError('files', 'files must be an object mapping paths to contents.');
    const paths = new Set<string>();
    let bytes = 0;
    for (const [path, content] of Object.entries(files)) {
      const field = `files[${JSON.stringify(path)}]`;
      const virtualPath = virtualPathOf(path, field);
      if (SANDBOX_FOLDERS.includes(virtualPath))
        throw new InvalidRequestError(field, `${field} names the folder ${virtualPath}, which every sandbox has; give a file path such as "data.txt".`);
      if (paths.has(virtualPath)) throw new InvalidRequestError(field, `${field} names ${virtualPath}, like another key of files.`);
      paths.add(virtualPath);
      if (typeof content === 'string') extraFiles.push({ path: virtualPath, data: encoder.encode(content) });
      else if (content instanceof Uint8Array) extraFiles.push({ path: virtualPath, data: content });
      else throw new InvalidRequestError(field, 'A file content must be a string or a Uint8Array.');
      bytes += extraFiles[extraFiles.length - 1].data.byteLength;
    }
    for (const path of paths) {
      const parent = ancestors(path).find((folder) => paths.has(folder));
      if (parent) throw new InvalidRequestError(`files[${JSON.stringify(parent)}]`, `${parent} cannot be both a file and the folder of ${path}.`);
    }
    if (bytes > limits.maxBytes)
      throw new InvalidRequestError('files', `files hold ${bytes} bytes, over the sandbox's filesystem limit of ${limits.maxBytes} bytes (maxFsBytes).`);
    if (paths.size > limits.maxFiles)
      throw new InvalidRequestError('files', `files has ${paths.size} entries, over the sandbox's limit of ${limits.maxFiles} files and folders (maxFiles).`);
  }
  if (sync !== undefined && (sync === null || typeof sync !== 'object')) throw new InvalidRequestError('sync', 'sync must be an object.');
  const mode = sync?.mode ?? 'auto';
  if (!['auto', 'manual', 'none'].includes(mode))
    throw new InvalidRequestError('sync.mode', `sync.mode must be 'auto', 'manual' or 'none', got ${JSON.stringify(mode)}.`);
  const onDenied = sync?.onDenied ?? 'error';
  if (!['error', 'skip', 'rollback'].includes(onDenied))
    throw new InvalidRequestError('sync.onDenied', `sync.onDenied must be 'error', 'skip' or 'rollback', got ${JSON.stringify(onDenied)}.`);
  for (const [name, hook] of [
    ['beforeSync', beforeSync],
    ['afterSync', afterSync],
  ] as const) {
    if (hook !== undefined && typeof hook !== 'function') throw new InvalidRequestError(name, `${name} must be a function.`);
  }
  return {
    limits,
    extraFiles,
    mountOptions: checkMountOptions(mounts),
    permissions: new PermissionResolver(permissions),
    mode,
    onDenied,
    dryRun: sync?.dryRun === true,
    returnContents: returnFileContents === true,
    beforeSync,
    afterSync,
  };
}

/**
 * Checks the `mounts` option (shape, mount points, overlaps) without touching the disk.
 *
 * @throws InvalidRequestError
 */
function checkMountOptions(mounts: unknown): MountOptions[] {
  if (mounts === undefined) return [];
  if (!Array.isArray(mounts)) throw new InvalidRequestError('mounts', 'mounts must be an array of { hostPath, virtualPath? }.');
  const seen: string[] = [];
  return mounts.map((mount: unknown, index) => {
    const field = `mounts[${index}]`;
    if (mount === null || typeof mount !== 'object') throw new InvalidRequestError(field, `${field} must be an object with a hostPath.`);
    const options = mount as MountOptions;
    if (typeof options.hostPath !== 'string' || options.hostPath === '' || options.hostPath.includes('\0')) {
      throw new InvalidRequestError(`${field}.hostPath`, `${field}.hostPath must be a path to a folder.`);
    }
    const virtualPath = virtualPathOf(options.virtualPath ?? WORKDIR, `${field}.virtualPath`);
    if (virtualPath === '/') throw new InvalidRequestError(`${field}.virtualPath`, 'A mount cannot replace the root of the sandbox.');
    const overlap = seen.find((other) => isWithin(virtualPath, other) || isWithin(other, virtualPath));
    if (overlap) throw new InvalidRequestError(`${field}.virtualPath`, `Mount points overlap: ${virtualPath} and ${overlap}.`);
    seen.push(virtualPath);
    for (const name of ['include', 'exclude'] as const) {
      const globs = options[name];
      if (globs !== undefined && (!Array.isArray(globs) || globs.some((g) => typeof g !== 'string' || g === ''))) {
        throw new InvalidRequestError(`${field}.${name}`, `${field}.${name} must be an array of globs.`);
      }
    }
    const allowed = options.allowedOperations;
    if (allowed !== undefined && (!Array.isArray(allowed) || allowed.some((op) => !OPERATIONS.includes(op)))) {
      throw new InvalidRequestError(`${field}.allowedOperations`, `${field}.allowedOperations must be an array of ${OPERATIONS.join(', ')}.`);
    }
    for (const name of ['maxFileBytes', 'maxTotalBytes'] as const) {
      const value = options[name];
      if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 0)) {
        throw new InvalidRequestError(`${field}.${name}`, `${field}.${name} must be a whole number of bytes.`);
      }
    }
    return { ...options, virtualPath };
  });
}

/**
 * A request path as a normalized absolute sandbox path. Relative paths are taken from {@link WORKDIR}.
 *
 * @param field request field named in the error
 * @throws InvalidRequestError for empty paths, NUL bytes, `..` segments and reserved folders
 */
function virtualPathOf(path: unknown, field: string): string {
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
