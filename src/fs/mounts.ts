/**
 * Loads real directories (mounts) into the files of a call: binary-safe, with subfolders and empty
 * folders, within size limits. Symbolic links are never followed: they are neither loaded nor written.
 * Files with more than one hard link are left out the same way: the other link may be outside the mount.
 */
import { constants, type Dirent } from 'node:fs';
import { open, opendir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { MountError } from '../errors.js';
import type { JobFile } from '../runtime/worker-protocol.js';
import type { FileOperation, MountOptions } from './fs-types.js';
import { globMatcher } from './glob.js';
import type { PermissionResolver } from './permissions.js';
import { WORKDIR } from '../protocol/proxy-contract.js';

const OPERATIONS: readonly FileOperation[] = ['read', 'create', 'modify', 'delete'];

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
  /** The most this mount allows, whatever the permission rules say. */
  allowedOperations: ReadonlySet<FileOperation>;
}

/** State of a host file when it was loaded, to notice if it changes before the sync. */
export interface HostFileState {
  size: number;
  mtimeMs: number;
  /** The contents loaded (kept anyway for the sandbox; hashed only if a sync must compare them). */
  data: Uint8Array;
}

/** What the whole filesystem of a call may hold; the mounts get what the request's own files leave. */
export interface MountBudget {
  /** Bytes of files. */
  maxBytes: number;
  /** Files and folders. */
  maxFiles: number;
}

/** What the mounts of a call put into the sandbox. */
export interface LoadedMounts {
  mounts: ResolvedMount[];
  files: JobFile[];
  dirs: string[];
  /** Loaded host files by virtual path. */
  loaded: Map<string, HostFileState>;
  /**
   * Virtual paths of what the mounts hold but did not load: symbolic links, hard-linked files, files
   * left out by `include` or the permissions. A sync never replaces them.
   */
  unloaded: Set<string>;
}

/**
 * Reads the mounted folders.
 *
 * @param budget what the mounts may add to the sandbox's filesystem, all mounts together
 * @throws MountError when a folder is missing or a limit is exceeded
 */
export async function loadMounts(mounts: readonly MountOptions[], permissions: PermissionResolver, budget: MountBudget): Promise<LoadedMounts> {
  const loaded: LoadedMounts = { mounts: [], files: [], dirs: [], loaded: new Map(), unloaded: new Set() };
  let allBytes = 0;
  let allNodes = 0;
  const count = (mount: ResolvedMount): void => {
    allNodes += 1;
    if (allNodes > budget.maxFiles) {
      throw new MountError(
        mount.hostRoot,
        `The mounted folders hold more than ${budget.maxFiles} files and folders (the sandbox's maxFiles, less the request's files); exclude what the call does not need.`,
      );
    }
  };
  for (const options of mounts) {
    const mount = await resolveMount(options);
    loaded.mounts.push(mount);
    loaded.dirs.push(mount.virtualPath);
    count(mount);
    const mayRead = mount.allowedOperations.has('read');
    let total = 0;
    const visit = async (hostDir: string, relativeDir: string): Promise<void> => {
      for (const entry of await listFolder(hostDir, () => count(mount))) {
        const relative = relativeDir ? `${relativeDir}/${entry.name}` : entry.name;
        const virtualPath = `${mount.virtualPath}/${relative}`;
        const hostPath = join(hostDir, entry.name);
        if (mount.excluded(relative)) continue;
        if (entry.isDirectory()) {
          loaded.dirs.push(virtualPath);
          await visit(hostPath, relative);
          continue;
        }
        loaded.unloaded.add(virtualPath);
        if (entry.isFile()) {
          if (!mayRead || !mount.included(relative) || !permissions.decide('read', relative, virtualPath).allowed) continue;
          const file = await readHostFile(hostPath, mount.maxFileBytes);
          // A hard link: the same file may sit outside the mount, so it is treated like a symbolic link.
          if (!file) continue;
          loaded.unloaded.delete(virtualPath);
          total += file.data.byteLength;
          allBytes += file.data.byteLength;
          if (total > mount.maxTotalBytes) {
            throw new MountError(
              mount.hostRoot,
              `The mounted folder ${mount.hostRoot} holds more than ${mount.maxTotalBytes} bytes (maxTotalBytes); exclude what the call does not need.`,
            );
          }
          if (allBytes > budget.maxBytes) {
            throw new MountError(
              mount.hostRoot,
              `The mounted folders hold more than ${budget.maxBytes} bytes (the sandbox's maxFsBytes, less the request's files); exclude what the call does not need.`,
            );
          }
          loaded.files.push({ path: virtualPath, data: file.data, mtimeMs: file.mtimeMs });
          loaded.loaded.set(virtualPath, { size: file.data.byteLength, mtimeMs: file.mtimeMs, data: file.data });
        }
        // Symbolic links, sockets, devices: never loaded, so never followed out of the mount.
      }
    };
    await visit(mount.hostRoot, '');
  }
  return loaded;
}

/**
 * The entries of a folder sorted by name. `onEntry` runs as each is read and may throw to stop early, so
 * a folder of millions of entries is never held in memory whole.
 */
async function listFolder(hostDir: string, onEntry: () => void): Promise<Dirent[]> {
  const entries: Dirent[] = [];
  try {
    const dir = await opendir(hostDir);
    for await (const entry of dir) {
      onEntry();
      entries.push(entry);
    }
  } catch (error) {
    if (error instanceof MountError) throw error;
    throw new MountError(hostDir, `Cannot read the mounted folder ${hostDir}: ${(error as Error).message}`, { cause: error });
  }
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
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
  const exclude = options.exclude?.length ? globMatcher(options.exclude) : undefined;
  const include = options.include?.length ? globMatcher(options.include) : () => true;
  return {
    hostRoot,
    virtualPath: options.virtualPath ?? WORKDIR,
    excluded: exclude ? excludedBy(exclude) : () => false,
    included: (relative) => include(relative),
    maxFileBytes: options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES,
    maxTotalBytes: options.maxTotalBytes ?? DEFAULT_MAX_TOTAL_BYTES,
    allowedOperations: new Set(options.allowedOperations ?? OPERATIONS),
  };
}

/**
 * A folder matched by an exclude glob hides everything under it. Answers for folders are remembered, so
 * that the paths of a deep tree cost one match each rather than one per ancestor.
 */
function excludedBy(matches: (path: string) => boolean): (relativePath: string) => boolean {
  const folders = new Map<string, boolean>();
  const excluded = (path: string): boolean => {
    const known = folders.get(path);
    if (known !== undefined) return known;
    const slash = path.lastIndexOf('/');
    const answer = (slash > 0 && excluded(path.slice(0, slash))) || matches(path);
    folders.set(path, answer);
    return answer;
  };
  return excluded;
}

/**
 * Reads a regular file without following a symbolic link that replaced it since the listing. Undefined
 * for a file with several hard links.
 */
async function readHostFile(path: string, maxBytes: number): Promise<{ data: Uint8Array; mtimeMs: number } | undefined> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch((error: Error) => {
    throw new MountError(path, `Cannot read ${path}: ${error.message}`, { cause: error });
  });
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new MountError(path, `${path} is not a regular file.`);
    if (info.nlink > 1) return undefined;
    if (info.size > maxBytes)
      throw new MountError(path, `${path} is ${info.size} bytes, over the mount's maxFileBytes of ${maxBytes}; exclude it or raise the limit.`);
    const data = await handle.readFile();
    if (data.byteLength > maxBytes) throw new MountError(path, `${path} grew over the mount's maxFileBytes of ${maxBytes} while being read.`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), mtimeMs: info.mtimeMs };
  } finally {
    await handle.close();
  }
}
