/**
 * Reads one package from the host: a folder (every file under it, links checked) or a single file (a
 * Python module, a wheel, a C source). Nothing outside the package is ever read: a link that leads out of
 * the folder is refused, and so is any native code.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { basename, join, relative, sep } from 'node:path';
import { PackageError } from '../errors.js';
import { nativeCodeReason } from './native-code.js';

/** A file of a package, its path relative to the package (forward slashes). */
export interface PackageFile {
  path: string;
  data: Uint8Array;
  mtimeMs?: number;
}

/** What a scan of a package found, before its contents are read. */
export interface PackageScan {
  hostPath: string;
  kind: 'folder' | 'file';
  /** Identifies the package as it is on disk now: its path, and each file's path, size and mtime. */
  key: string;
  entries: { path: string; hostPath: string; size: number; mtimeMs: number }[];
  dirs: string[];
  bytes: number;
}

/** A package read from the host. */
export interface HostPackage {
  /** The host path as given (absolute). */
  hostPath: string;
  /** Its last path component (`dateutil`, `vendor`, `six.py`). */
  name: string;
  kind: 'folder' | 'file';
  files: PackageFile[];
  /** Folders of a folder package, relative to it, empty ones included. */
  dirs: string[];
}

/** Most bytes one package may hold (a folder's files together, or a wheel unpacked). */
export const MAX_PACKAGE_BYTES = 256 * 1024 * 1024;
/** Most files one package may hold. */
export const MAX_PACKAGE_FILES = 100_000;

/**
 * Lists a package's files with their sizes and times, following links that stay inside it.
 *
 * @param include which files to keep, by path relative to the package (default: all)
 * @throws PackageError when the path is missing, a link leads out of the folder, or it is too big
 */
export async function scanPackage(hostPath: string, include: (path: string) => boolean = () => true): Promise<PackageScan> {
  let info;
  try {
    info = await stat(hostPath);
  } catch (error) {
    throw new PackageError(
      hostPath,
      `Package ${hostPath} cannot be read: ${(error as Error).message}. Give the path of a package folder or file on the host.`,
      { cause: error },
    );
  }
  if (info.isFile()) {
    const entries = [{ path: basename(hostPath), hostPath, size: info.size, mtimeMs: info.mtimeMs }];
    return { hostPath, kind: 'file', key: keyOf(hostPath, entries), entries, dirs: [], bytes: info.size };
  }
  if (!info.isDirectory()) throw new PackageError(hostPath, `Package ${hostPath} is neither a folder nor a file.`);
  const root = await realpath(hostPath);
  const entries: PackageScan['entries'] = [];
  const dirs: string[] = [];
  let bytes = 0;
  const visited = new Set<string>([root]);
  const walk = async (folder: string, prefix: string): Promise<void> => {
    const names = (await readdir(folder)).sort();
    for (const name of names) {
      const path = prefix ? `${prefix}/${name}` : name;
      const full = join(folder, name);
      let entry = await lstat(full);
      let target = full;
      if (entry.isSymbolicLink()) {
        let real: string;
        try {
          real = await realpath(full);
        } catch {
          continue; // a dangling link points nowhere: nothing to read
        }
        if (real !== root && !real.startsWith(root + sep)) {
          throw new PackageError(
            hostPath,
            `Package ${hostPath}: ${path} is a link to ${real}, outside the package. Links may only point inside the package's folder: copy the file in instead.`,
            {
              file: path,
            },
          );
        }
        entry = await stat(real);
        target = real;
      }
      if (entry.isDirectory()) {
        const real = await realpath(target);
        if (visited.has(real)) continue; // a link back up the tree
        visited.add(real);
        dirs.push(path);
        await walk(target, path);
      } else if (entry.isFile() && include(path)) {
        bytes += entry.size;
        entries.push({ path, hostPath: target, size: entry.size, mtimeMs: entry.mtimeMs });
        if (bytes > MAX_PACKAGE_BYTES || entries.length > MAX_PACKAGE_FILES) {
          throw new PackageError(
            hostPath,
            `Package ${hostPath} holds more than ${MAX_PACKAGE_BYTES} bytes or ${MAX_PACKAGE_FILES} files: give the folder of the package itself, not one that holds others.`,
          );
        }
      }
    }
  };
  await walk(root, '');
  return { hostPath, kind: 'folder', key: keyOf(hostPath, entries), entries, dirs, bytes };
}

/**
 * Reads the files a scan found, refusing native code.
 *
 * @param onFile called after each file with its size
 * @throws PackageError naming the first native file, or a file that cannot be read
 */
export async function readPackage(scan: PackageScan, onFile: (bytes: number) => void = () => {}): Promise<HostPackage> {
  const files: PackageFile[] = [];
  for (const entry of scan.entries) {
    let data: Uint8Array;
    try {
      data = await readFile(entry.hostPath);
    } catch (error) {
      throw new PackageError(scan.hostPath, `Package ${scan.hostPath}: ${entry.path} cannot be read: ${(error as Error).message}`, {
        file: entry.path,
        cause: error,
      });
    }
    refuseNative(scan.hostPath, entry.path, data);
    files.push({ path: entry.path, data, mtimeMs: entry.mtimeMs });
    onFile(data.byteLength);
  }
  return { hostPath: scan.hostPath, name: basename(scan.hostPath), kind: scan.kind, files, dirs: scan.dirs };
}

/** @throws PackageError when `data` at `path` is native code */
export function refuseNative(packagePath: string, path: string, data: Uint8Array | undefined): void {
  const reason = nativeCodeReason(path, data);
  if (reason) {
    throw new PackageError(
      packagePath,
      `Package ${packagePath} cannot be used: ${path} is native code (${reason}). Only pure-language packages load in the sandbox; use a pure version of the package.`,
      {
        file: path,
      },
    );
  }
}

function keyOf(hostPath: string, entries: PackageScan['entries']): string {
  const hash = createHash('sha256').update(hostPath);
  for (const entry of entries) hash.update(`\0${entry.path}\0${entry.size}\0${entry.mtimeMs}`);
  return hash.digest('hex');
}

/** The path of `file` relative to `folder`, with forward slashes. */
export function relativePath(folder: string, file: string): string {
  return relative(folder, file).split(sep).join('/');
}
