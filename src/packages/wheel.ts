/**
 * Python wheels (`.whl`): a zip archive of a package's files, unpacked in memory. A wheel built for a
 * processor (its tags name an ABI or a platform) holds a C extension and is refused; the RECORD file's
 * SHA-256 hashes, when present, must match the files.
 */
import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { PackageError } from '../errors.js';
import { MAX_PACKAGE_BYTES, refuseNative, type PackageFile } from './host-package.js';
import { readZip } from './zip-reader.js';

/**
 * The files of a wheel, checked: pure-Python tags, no native file, every hash of RECORD matching.
 *
 * @throws PackageError saying what is wrong, naming the file
 */
export function unpackWheel(hostPath: string, archive: Uint8Array, mtimeMs?: number): PackageFile[] {
  const name = basename(hostPath);
  const tags = /^[^-]+-[^-]+(?:-\d[^-]*)?-([^-]+)-([^-]+)-([^-]+)\.whl$/i.exec(name);
  if (tags && (tags[2] !== 'none' || tags[3] !== 'any')) {
    throw new PackageError(
      hostPath,
      `Wheel ${name} is built for a processor (ABI tag ${tags[2]}, platform tag ${tags[3]}): it holds a C extension, which the WebAssembly Python cannot load. Use a pure-Python wheel (tags none-any).`,
      { file: name },
    );
  }
  let entries;
  try {
    entries = readZip(archive, MAX_PACKAGE_BYTES);
  } catch (error) {
    throw new PackageError(hostPath, `Wheel ${name} cannot be unpacked: ${(error as Error).message}.`, { cause: error });
  }
  const files = entries.map((entry) => ({ path: entry.name, data: entry.data, mtimeMs }));
  for (const file of files) {
    if (file.path.split('/').some((part) => part === '..' || part === '') || file.path.startsWith('/')) {
      throw new PackageError(hostPath, `Wheel ${name} holds a file whose path leaves the wheel (${file.path}).`, { file: file.path });
    }
    refuseNative(hostPath, file.path, file.data);
  }
  checkRecord(hostPath, name, files);
  return files;
}

/** Checks each `path,sha256=<urlsafe base64>,size` line of `*.dist-info/RECORD` against the files. */
function checkRecord(hostPath: string, name: string, files: PackageFile[]): void {
  const record = files.find((file) => /^[^/]+\.dist-info\/RECORD$/.test(file.path));
  if (!record) return;
  const byPath = new Map(files.map((file) => [file.path, file]));
  for (const line of new TextDecoder().decode(record.data).split(/\r?\n/)) {
    if (!line.trim()) continue;
    const [path, hash] = splitRecordLine(line);
    if (!hash) continue; // RECORD lists itself (and signatures) without a hash
    const [algorithm, expected] = [hash.slice(0, hash.indexOf('=')), hash.slice(hash.indexOf('=') + 1)];
    const file = byPath.get(path);
    if (!file) throw new PackageError(hostPath, `Wheel ${name}: RECORD lists ${path}, which the wheel does not hold.`, { file: path });
    if (algorithm !== 'sha256') continue;
    const actual = createHash('sha256').update(file.data).digest('base64url');
    if (actual !== expected) {
      throw new PackageError(
        hostPath,
        `Wheel ${name}: ${path} does not match its hash in RECORD (sha256 ${actual}, RECORD says ${expected}): the wheel was changed after it was built.`,
        {
          file: path,
        },
      );
    }
  }
}

/** A RECORD line's path (which may be quoted, CSV style) and hash. */
function splitRecordLine(line: string): [string, string] {
  if (line.startsWith('"')) {
    const close = line.indexOf('",');
    return [line.slice(1, close).replace(/""/g, '"'), line.slice(close + 2).split(',')[0] ?? ''];
  }
  const [path = '', hash = ''] = line.split(',');
  return [path, hash];
}
