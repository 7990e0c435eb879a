/**
 * Minimal reader for the (gzipped) tar archives that hold the interpreters' base filesystems.
 * Understands ustar names with prefixes, GNU long names and pax `path` records; ignores links and devices.
 */
import { gunzipSync } from 'node:zlib';

/** One regular file or directory from an archive. */
export interface TarEntry {
  /** Absolute path inside the archive, always starting with `/`, without a trailing slash. */
  path: string;
  kind: 'file' | 'dir';
  /** File contents (empty for directories). */
  data: Uint8Array;
  /** Modification time in milliseconds since the epoch. */
  mtimeMs: number;
}

const BLOCK = 512;

/** Reads a `.tar.gz` archive. */
export function readTarGz(archive: Uint8Array): TarEntry[] {
  return readTar(gunzipSync(archive));
}

/** Reads an uncompressed tar archive. */
export function readTar(tar: Uint8Array): TarEntry[] {
  const entries: TarEntry[] = [];
  let offset = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;

  while (offset + BLOCK <= tar.byteLength) {
    const header = tar.subarray(offset, offset + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = parseOctal(header.subarray(124, 136));
    const type = String.fromCharCode(header[156] || 0x30);
    const dataStart = offset + BLOCK;
    const data = tar.subarray(dataStart, dataStart + size);
    offset = dataStart + Math.ceil(size / BLOCK) * BLOCK;

    if (type === 'L') {
      longName = text(data);
      continue;
    }
    if (type === 'x') {
      paxPath = parsePaxPath(data) ?? paxPath;
      continue;
    }
    if (type === 'g') continue;

    const prefix = text(header.subarray(345, 500));
    const name = paxPath ?? longName ?? (prefix ? `${prefix}/${text(header.subarray(0, 100))}` : text(header.subarray(0, 100)));
    longName = undefined;
    paxPath = undefined;

    const path = normalize(name);
    if (path === '/') continue;
    const mtimeMs = parseOctal(header.subarray(136, 148)) * 1000;
    if (type === '0' || type === '7') entries.push({ path, kind: 'file', data: data.slice(), mtimeMs });
    else if (type === '5') entries.push({ path, kind: 'dir', data: new Uint8Array(0), mtimeMs });
  }
  return entries;
}

function text(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return Buffer.from(end < 0 ? bytes : bytes.subarray(0, end)).toString('utf8');
}

function parseOctal(bytes: Uint8Array): number {
  const value = text(bytes).trim();
  return value === '' ? 0 : parseInt(value, 8);
}

function parsePaxPath(data: Uint8Array): string | undefined {
  // Records look like "<length> <key>=<value>\n".
  for (const record of text(data).split('\n')) {
    const match = /^\d+ path=(.*)$/.exec(record);
    if (match) return match[1];
  }
  return undefined;
}

function normalize(name: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  return `/${parts.join('/')}`;
}
