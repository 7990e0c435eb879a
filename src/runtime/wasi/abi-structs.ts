/**
 * Layouts of the structs the system calls exchange with the program, for both ABI flavours (preview1 and
 * `wasi_unstable` differ in `filestat` and in clock subscriptions). Each struct is encoded into a fresh
 * buffer and copied into memory in one checked write.
 */
import type { VNode } from '../vfs/virtual-fs.js';
import { EventType, FileType, PREOPEN_TYPE_DIR, type AbiFlavor } from './abi.js';
import type { GuestMemory } from './guest-memory.js';

/** The WASI file type of a node. */
export function fileTypeOf(node: VNode): number {
  if (node.kind === 'file') return FileType.REGULAR_FILE;
  if (node.kind === 'dir') return FileType.DIRECTORY;
  return FileType.CHARACTER_DEVICE;
}

/** `filestat`: preview1 has a 64-bit link count (64 bytes); `wasi_unstable` a 32-bit one (56 bytes). */
export function writeFilestat(memory: GuestMemory, out: number, node: VNode, flavor: AbiFlavor): void {
  const preview1 = flavor === 'preview1';
  const record = new Uint8Array(preview1 ? 64 : 56);
  const view = new DataView(record.buffer);
  const size = BigInt(node.kind === 'file' ? node.size : 0);
  view.setBigUint64(0, 0n, true); // dev
  view.setBigUint64(8, BigInt(node.ino), true);
  view.setUint8(16, fileTypeOf(node));
  if (preview1) view.setBigUint64(24, 1n, true);
  else view.setUint32(20, 1, true);
  const sizeAt = preview1 ? 32 : 24;
  view.setBigUint64(sizeAt, size, true);
  view.setBigUint64(sizeAt + 8, node.atime, true);
  view.setBigUint64(sizeAt + 16, node.mtime, true);
  view.setBigUint64(sizeAt + 24, node.ctime, true);
  memory.write(out, record);
}

/** `fdstat` (24 bytes, same in both flavours). */
export function writeFdstat(memory: GuestMemory, out: number, fileType: number, flags: number, rightsBase: bigint, rightsInheriting: bigint): void {
  const record = new Uint8Array(24);
  const view = new DataView(record.buffer);
  view.setUint8(0, fileType);
  view.setUint16(2, flags, true);
  view.setBigUint64(8, rightsBase, true);
  view.setBigUint64(16, rightsInheriting, true);
  memory.write(out, record);
}

/** `prestat` of a preopened directory whose name is `nameLength` bytes long. */
export function writePrestatDir(memory: GuestMemory, out: number, nameLength: number): void {
  const record = new Uint8Array(8);
  const view = new DataView(record.buffer);
  view.setUint8(0, PREOPEN_TYPE_DIR);
  view.setUint32(4, nameLength, true);
  memory.write(out, record);
}

/** A `dirent` header (24 bytes) followed by the name. */
export function encodeDirent(next: bigint, ino: number, name: Uint8Array, fileType: number): Uint8Array {
  const record = new Uint8Array(24 + name.byteLength);
  const view = new DataView(record.buffer);
  view.setBigUint64(0, next, true);
  view.setBigUint64(8, BigInt(ino), true);
  view.setUint32(16, name.byteLength, true);
  view.setUint8(20, fileType);
  record.set(name, 24);
  return record;
}

/** One subscription of `poll_oneoff`. */
export type Subscription =
  | { kind: 'clock'; userdata: bigint; type: number; clockId: number; timeout: bigint; flags: number }
  | { kind: 'fd'; userdata: bigint; type: number; fd: number }
  | { kind: 'unknown'; userdata: bigint; type: number };

/** Size of a subscription: `wasi_unstable` clock subscriptions carry an extra 8-byte identifier. */
export function subscriptionSize(flavor: AbiFlavor): number {
  return flavor === 'preview1' ? 48 : 56;
}

/** Reads the subscription at `at`. */
export function readSubscription(memory: GuestMemory, at: number, flavor: AbiFlavor): Subscription {
  const record = memory.bytes(at, subscriptionSize(flavor));
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  const userdata = view.getBigUint64(0, true);
  const type = view.getUint8(8);
  if (type === EventType.CLOCK) {
    const clockAt = flavor === 'preview1' ? 16 : 24;
    return {
      kind: 'clock',
      userdata,
      type,
      clockId: view.getUint32(clockAt, true),
      timeout: view.getBigUint64(clockAt + 8, true),
      flags: view.getUint16(clockAt + 24, true),
    };
  }
  if (type === EventType.FD_READ || type === EventType.FD_WRITE) return { kind: 'fd', userdata, type, fd: view.getUint32(16, true) };
  return { kind: 'unknown', userdata, type };
}

/** Size of an `event`. */
export const EVENT_SIZE = 32;

/** Writes one `event` of `poll_oneoff`. */
export function writeEvent(memory: GuestMemory, at: number, userdata: bigint, errno: number, type: number, nbytes: bigint): void {
  const record = new Uint8Array(EVENT_SIZE);
  const view = new DataView(record.buffer);
  view.setBigUint64(0, userdata, true);
  view.setUint16(8, errno, true);
  view.setUint8(10, type);
  view.setBigUint64(16, nbytes, true);
  memory.write(at, record);
}
