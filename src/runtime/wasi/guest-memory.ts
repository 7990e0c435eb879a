/**
 * The program's linear memory as the system calls see it: every access is bounds-checked, so that a bad
 * pointer from the program fails its call with EFAULT instead of throwing in the host (which would be
 * reported as a sandbox failure, not as the program's bug).
 *
 * Pointers and lengths arrive as signed i32 values and are read unsigned. Views are taken afresh for each
 * access: the memory's buffer is replaced whenever it grows.
 */
import { FsError } from '../vfs/virtual-fs.js';
import { Errno } from './abi.js';

/** One buffer of an iovec array: where it is and how long. */
export interface IoVec {
  ptr: number;
  len: number;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

export class GuestMemory {
  private memory: WebAssembly.Memory | undefined;

  /** Attaches the memory of the instance the calls come from. */
  attach(memory: WebAssembly.Memory): void {
    this.memory = memory;
  }

  /** `len` bytes at `ptr`, as a view into memory (valid until the memory grows). */
  bytes(ptr: number, len: number): Uint8Array {
    const at = ptr >>> 0;
    const size = len >>> 0;
    const buffer = this.buffer();
    if (at + size > buffer.byteLength) throw new FsError(Errno.FAULT);
    return new Uint8Array(buffer, at, size);
  }

  /** Checks that `len` bytes at `ptr` lie within memory (EFAULT), before a call has side effects. */
  check(ptr: number, len: number): void {
    this.bytes(ptr, len);
  }

  u8(ptr: number): number {
    return this.view(ptr, 1).getUint8(0);
  }

  u16(ptr: number): number {
    return this.view(ptr, 2).getUint16(0, true);
  }

  u32(ptr: number): number {
    return this.view(ptr, 4).getUint32(0, true);
  }

  u64(ptr: number): bigint {
    return this.view(ptr, 8).getBigUint64(0, true);
  }

  setU8(ptr: number, value: number): void {
    this.view(ptr, 1).setUint8(0, value);
  }

  setU16(ptr: number, value: number): void {
    this.view(ptr, 2).setUint16(0, value, true);
  }

  setU32(ptr: number, value: number): void {
    this.view(ptr, 4).setUint32(0, value, true);
  }

  setU64(ptr: number, value: bigint): void {
    this.view(ptr, 8).setBigUint64(0, value, true);
  }

  /** Copies `data` into memory at `ptr`. */
  write(ptr: number, data: Uint8Array): void {
    this.bytes(ptr, data.byteLength).set(data);
  }

  /** A path or name passed by the program: UTF-8 without NUL bytes (EINVAL otherwise). */
  string(ptr: number, len: number): string {
    const raw = this.bytes(ptr, len);
    if (raw.includes(0)) throw new FsError(Errno.INVAL);
    try {
      return decoder.decode(raw);
    } catch {
      throw new FsError(Errno.INVAL);
    }
  }

  /** Reads an array of `count` iovecs (`{ u32 buf; u32 buf_len }`), each checked to lie within memory. */
  iovecs(ptr: number, count: number): IoVec[] {
    const list: IoVec[] = [];
    const table = this.bytes(ptr, (count >>> 0) * 8);
    const view = new DataView(table.buffer, table.byteOffset, table.byteLength);
    for (let i = 0; i < count >>> 0; i++) {
      const vec = { ptr: view.getUint32(i * 8, true), len: view.getUint32(i * 8 + 4, true) };
      this.bytes(vec.ptr, vec.len);
      list.push(vec);
    }
    return list;
  }

  /** Scatters `data` over `vecs` in order; returns how many bytes were placed. */
  scatter(vecs: IoVec[], data: Uint8Array): number {
    let placed = 0;
    for (const vec of vecs) {
      if (placed >= data.byteLength) break;
      const part = data.subarray(placed, placed + vec.len);
      this.write(vec.ptr, part);
      placed += part.byteLength;
    }
    return placed;
  }

  private view(ptr: number, size: number): DataView {
    const bytes = this.bytes(ptr, size);
    return new DataView(bytes.buffer, bytes.byteOffset, size);
  }

  private buffer(): ArrayBuffer {
    if (!this.memory) throw new Error('A WASI call came before the memory was attached');
    return this.memory.buffer as ArrayBuffer;
  }
}
