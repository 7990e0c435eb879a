/**
 * A small reader of zip archives (what a Python wheel is), in memory: the central directory, then each
 * entry inflated with node:zlib. Stored and deflated entries only, no encryption, no multi-disk archives;
 * Zip64 sizes are read where the archive needs them.
 */
import { inflateRawSync } from 'node:zlib';

/** One file of an archive. */
export interface ZipEntry {
  /** Its path in the archive (forward slashes). */
  name: string;
  data: Uint8Array;
}

const END_OF_CENTRAL_DIRECTORY = 0x06054b50;
const CENTRAL_HEADER = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const ZIP64_EXTRA = 0x0001;

/**
 * The files of a zip archive (folders left out).
 *
 * @param maxBytes most bytes all entries may inflate to together (a zip bomb stops there)
 * @throws Error with a message saying what is wrong with the archive
 */
export function readZip(archive: Uint8Array, maxBytes = Number.POSITIVE_INFINITY): ZipEntry[] {
  const view = new DataView(archive.buffer, archive.byteOffset, archive.byteLength);
  const end = findEndOfCentralDirectory(view);
  const count = view.getUint16(end + 10, true);
  let at = view.getUint32(end + 16, true);
  const entries: ZipEntry[] = [];
  let total = 0;
  for (let index = 0; index < count; index++) {
    if (at + 46 > archive.byteLength || view.getUint32(at, true) !== CENTRAL_HEADER) throw new Error('the zip central directory is damaged');
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    let compressedSize = view.getUint32(at + 20, true);
    let size = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let localOffset = view.getUint32(at + 42, true);
    const name = new TextDecoder().decode(archive.subarray(at + 46, at + 46 + nameLength));
    const zip64 = readZip64(view, at + 46 + nameLength, extraLength, { size, compressedSize, localOffset });
    ({ size, compressedSize, localOffset } = zip64);
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    if (flags & 1) throw new Error(`${name} is encrypted`);
    if (localOffset + 30 > archive.byteLength || view.getUint32(localOffset, true) !== LOCAL_HEADER) throw new Error(`the local header of ${name} is damaged`);
    const dataStart = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
    if (dataStart + compressedSize > archive.byteLength) throw new Error(`${name} runs past the end of the archive`);
    total += size;
    if (total > maxBytes) throw new Error(`the archive unpacks to more than ${maxBytes} bytes`);
    const raw = archive.subarray(dataStart, dataStart + compressedSize);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else if (method === 8) data = inflateRawSync(raw, { maxOutputLength: Math.max(size, 1) });
    else throw new Error(`${name} uses compression method ${method} (only stored and deflated entries are read)`);
    if (data.byteLength !== size) throw new Error(`${name} unpacks to ${data.byteLength} bytes, not the ${size} its header says`);
    entries.push({ name, data });
  }
  return entries;
}

function findEndOfCentralDirectory(view: DataView): number {
  // The record is 22 bytes plus a comment of at most 65,535 bytes, at the very end.
  for (let at = view.byteLength - 22; at >= Math.max(0, view.byteLength - 22 - 65_535); at--) {
    if (view.getUint32(at, true) === END_OF_CENTRAL_DIRECTORY) return at;
  }
  throw new Error('not a zip archive (no end of central directory)');
}

function readZip64(view: DataView, at: number, length: number, sizes: { size: number; compressedSize: number; localOffset: number }) {
  const out = { ...sizes };
  const end = at + length;
  while (at + 4 <= end) {
    const id = view.getUint16(at, true);
    const size = view.getUint16(at + 2, true);
    if (id === ZIP64_EXTRA) {
      let field = at + 4;
      const next = (): number => {
        const value = Number(view.getBigUint64(field, true));
        field += 8;
        return value;
      };
      if (out.size === 0xffffffff) out.size = next();
      if (out.compressedSize === 0xffffffff) out.compressedSize = next();
      if (out.localOffset === 0xffffffff) out.localOffset = next();
    }
    at += 4 + size;
  }
  return out;
}
