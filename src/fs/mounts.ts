/**
 * Loads real directories (mounts) into the files of a call: binary-safe, with subfolders and empty
 * folders, within size limits. Symbolic links are never followed: they are neither loaded nor written.
 */
import { constants } from 'node:fs';
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import picomatch from 'picomatch';
import { InvalidRequestError, MountError } from '../errors.js';
import type { JobFile } from '../runtime/worker-protocol.js';
import type { MountOptions } from './fs-types.js';
import type { PermissionResolver } from './permissions.js';
import { isWithin, virtualPathOf, WORKDIR } from './virtual-path.js';

const DEFAULT_MAX_FILE_BYTES = 32 * 1024 * 1024;
const DEFAULT_MAX_TOTAL_BYTES = 128 * 1024 * 1024;

/** A mount, checked and resolved. */
export interface ResolvedMount {
  /** Real path of the host folder (symbolic links resolved once, at load). */
  hostRoot: string;
  virtualPath: string;
  /** Whether a path relative to the mount is excluded (never loaded nor written). */
  excluded: (relativePath: string) => boolean;
  /** Whether a file path relative to the mount is loaded. */
  included: (relativePath: string) => boolean;
  maxFileBytes: number;
  maxTotalBytes: number;
}

/** State of a host file when it was loaded, to notice if it changes before the sync. */
export interface HostFileState {
  size: number;
  mtimeMs: number;
}

/** What the mounts of a call put into the sandbox. */
export interface LoadedMounts {
  mounts: ResolvedMount[];
  files: JobFile[];
  dirs: string[];
  /** Loaded host files by virtual path. */
  loaded: Map<string, HostFileState>;
}

/**
 * Checks the `mounts` option (shape, mount points, overlaps) without touching the disk.
 *
 * @throws InvalidRequestError
 */
export function checkMountOptions(mounts: unknown): MountOptions[] {
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
 * Reads the mounted folders.
 *
 * @throws MountError when a folder is missing or a limit is exceeded
 */
export async function loadMounts(mounts: readonly MountOptions[], permissions: PermissionResolver): Promise<LoadedMounts> {
  const loaded: LoadedMounts = { mounts: [], files: [], dirs: [], loaded: new Map() };
  for (const options of mounts) {
    const mount = await resolveMount(options);
    loaded.mounts.push(mount);
    loaded.dirs.push(mount.virtualPath);
    let total = 0;
    const visit = async (hostDir: string, relativeDir: string): Promise<void> => {
      const entries = await readdir(hostDir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
        throw new MountError(hostDir, `Cannot read the mounted folder ${hostDir}: ${error.message}`, { cause: error });
      });
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
        const virtualPath = `${mount.virtualPath}/${relative}`;
        const hostPath = join(hostDir, entry.name);
        if (mount.excluded(relative)) continue;
        if (entry.isDirectory()) {
          loaded.dirs.push(virtualPath);
          await visit(hostPath, relative);
        } else if (entry.isFile()) {
          if (!mount.included(relative) || !permissions.decide('read', relative, virtualPath).allowed) continue;
          const file = await readHostFile(hostPath, mount.maxFileBytes);
          total += file.data.byteLength;
          if (total > mount.maxTotalBytes) {
            throw new MountError(mount.hostRoot, `The mounted folder ${mount.hostRoot} holds more than ${mount.maxTotalBytes} bytes (maxTotalBytes); exclude what the call does not need.`);
          }
          loaded.files.push({ path: virtualPath, data: file.data, mtimeMs: file.mtimeMs });
          loaded.loaded.set(virtualPath, { size: file.data.byteLength, mtimeMs: file.mtimeMs });
        }
        // Symbolic links, sockets, devices: never loaded, so never followed out of the mount.
      }
    };
    await visit(mount.hostRoot, '');
  }
  return loaded;
}

async function resolveMount(options: MountOptions): Promise<ResolvedMount> {
  let hostRoot: string;
  try {
    hostRoot = await realpath(options.hostPath);
    if (!(await stat(hostRoot)).isDirectory()) throw new MountError(options.hostPath, `The mount ${options.hostPath} is not a folder.`);
  } catch (error) {
    if (error instanceof MountError) throw error;
    throw new MountError(options.hostPath, `The mounted folder ${options.hostPath} cannot be opened: ${(error as Error).message}`, { cause: error });
  }
  const exclude = options.exclude?.length ? picomatch([...options.exclude], { dot: true }) : () => false;
  const include = options.include?.length ? picomatch([...options.include], { dot: true }) : () => true;
  return {
    hostRoot,
    virtualPath: options.virtualPath ?? WORKDIR,
    // A folder matched by an exclude glob hides everything under it.
    excluded: (relative) => relative.split('/').some((_, i, parts) => exclude(parts.slice(0, i + 1).join('/'))),
    included: (relative) => include(relative),
    maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    maxTotalBytes: options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES,
  };
}

/** Reads a regular file without following a symbolic link that replaced it since the listing. */
async function readHostFile(path: string, maxBytes: number): Promise<{ data: Uint8Array; mtimeMs: number }> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch((error: Error) => {
    throw new MountError(path, `Cannot read ${path}: ${error.message}`, { cause: error });
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new MountError(path, `${path} is not a regular file.`);
    if (info.size > maxBytes) throw new MountError(path, `${path} is ${info.size} bytes, over the mount's maxFileBytes of ${maxBytes}; exclude it or raise the limit.`);
    const data = await handle.readFile();
    if (data.byteLength > maxBytes) throw new MountError(path, `${path} grew over the mount's maxFileBytes of ${maxBytes} while being read.`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), mtimeMs: info.mtimeMs };
  } finally {
    await handle.close();
  }
}
