/**
 * A single-producer, single-consumer ring buffer in shared memory that carries a worker's output (stdout,
 * stderr and the result channel) to the host.
 *
 * Why not `postMessage` per write: a print loop would post millions of messages. Here a write is a copy and
 * an `Atomics.notify`; the host wakes through `Atomics.waitAsync` and drains everything written since, so
 * output is visible live, in order, at any rate. When the ring is full the writer waits for the reader,
 * which bounds memory without dropping bytes.
 *
 * Records are `[channel u8][length u32 LE][bytes]`. Positions are byte counters modulo 2^32; the capacity
 * is a power of two so that they stay aligned with the ring across the wrap.
 */

/** Channels multiplexed on the ring. */
export const OutputChannel = { STDOUT: 1, STDERR: 2, RESULT: 3 } as const;
export type OutputChannelId = (typeof OutputChannel)[keyof typeof OutputChannel];

const HEADER_BYTES = 16;
const WRITE_POS = 0;
const READ_POS = 1;
const RECORD_HEADER = 5;

/** Default data capacity of a ring (1 MiB). */
export const DEFAULT_RING_BYTES = 1 << 20;

/** Allocates the shared memory of a ring with `capacity` data bytes (a power of two). */
export function createOutputRing(capacity = DEFAULT_RING_BYTES): SharedArrayBuffer {
  if (capacity < 1024 || (capacity & (capacity - 1)) !== 0) throw new RangeError('Ring capacity must be a power of two >= 1024');
  return new SharedArrayBuffer(HEADER_BYTES + capacity);
}

abstract class RingView {
  protected readonly header: Int32Array;
  protected readonly data: Uint8Array;
  protected readonly capacity: number;

  constructor(buffer: SharedArrayBuffer) {
    this.header = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.data = new Uint8Array(buffer, HEADER_BYTES);
    this.capacity = this.data.byteLength;
  }

  protected load(index: number): number {
    return Atomics.load(this.header, index) >>> 0;
  }
}

/** The worker's end: appends records, waiting while the ring is full. */
export class OutputRingWriter extends RingView {
  /** Largest record body; bigger writes are split. */
  private readonly maxChunk: number;

  constructor(buffer: SharedArrayBuffer) {
    super(buffer);
    this.maxChunk = (this.capacity >>> 1) - RECORD_HEADER;
  }

  /** Appends `bytes` on `channel`; blocks (Atomics.wait) while the reader has not made room. */
  write(channel: OutputChannelId, bytes: Uint8Array): void {
    for (let offset = 0; offset < bytes.byteLength; offset += this.maxChunk) {
      this.writeRecord(channel, bytes.subarray(offset, Math.min(bytes.byteLength, offset + this.maxChunk)));
    }
  }

  private writeRecord(channel: number, body: Uint8Array): void {
    const needed = RECORD_HEADER + body.byteLength;
    let write = this.load(WRITE_POS);
    for (;;) {
      const read = this.load(READ_POS);
      if (this.capacity - ((write - read) >>> 0) >= needed) break;
      // The reader notifies READ_POS after each drain; the timeout only guards against a lost wake-up.
      Atomics.wait(this.header, READ_POS, read | 0, 100);
    }
    const head = new Uint8Array(RECORD_HEADER);
    head[0] = channel;
    new DataView(head.buffer).setUint32(1, body.byteLength, true);
    this.copyIn(write, head);
    this.copyIn((write + RECORD_HEADER) >>> 0, body);
    write = (write + needed) >>> 0;
    Atomics.store(this.header, WRITE_POS, write | 0);
    Atomics.notify(this.header, WRITE_POS);
  }

  private copyIn(position: number, bytes: Uint8Array): void {
    const start = position % this.capacity;
    const first = Math.min(bytes.byteLength, this.capacity - start);
    this.data.set(bytes.subarray(0, first), start);
    if (first < bytes.byteLength) this.data.set(bytes.subarray(first), 0);
  }
}

/** The host's end: drains records and waits asynchronously for more. */
export class OutputRingReader extends RingView {
  /**
   * Reads the complete records written so far, up to about `budgetBytes` (at least one record), and
   * returns the body bytes read. Each record is consumed before `onRecord` sees it, so a callback that
   * drains again (re-entrantly) never sees a record twice.
   *
   * The budget matters while the writer keeps writing: without it one drain could go on for as long as
   * the program streams, and the host would never get back to its event loop.
   */
  drain(onRecord: (channel: OutputChannelId, bytes: Uint8Array) => void, budgetBytes = Number.POSITIVE_INFINITY): number {
    let drained = 0;
    while (drained < budgetBytes) {
      const read = this.load(READ_POS);
      if (read === this.load(WRITE_POS)) break;
      const head = this.copyOut(read, RECORD_HEADER);
      const length = new DataView(head.buffer).getUint32(1, true);
      const body = this.copyOut((read + RECORD_HEADER) >>> 0, length);
      Atomics.store(this.header, READ_POS, (read + RECORD_HEADER + length) | 0);
      Atomics.notify(this.header, READ_POS);
      drained += length;
      onRecord(head[0] as OutputChannelId, body);
    }
    return drained;
  }

  /** Whether records are waiting to be drained. */
  hasData(): boolean {
    return this.load(READ_POS) !== this.load(WRITE_POS);
  }

  /** Resolves when the writer has published something not yet drained (or when {@link wake} is called). */
  async waitForData(): Promise<void> {
    const write = Atomics.load(this.header, WRITE_POS);
    if (write >>> 0 !== this.load(READ_POS)) return;
    const waiting = Atomics.waitAsync(this.header, WRITE_POS, write);
    if (waiting.async) await waiting.value;
  }

  /** Wakes a pending {@link waitForData} without data, so that a pump loop can notice it should stop. */
  wake(): void {
    Atomics.notify(this.header, WRITE_POS);
  }

  private copyOut(position: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    const start = position % this.capacity;
    const first = Math.min(length, this.capacity - start);
    out.set(this.data.subarray(start, start + first), 0);
    if (first < length) out.set(this.data.subarray(0, length - first), first);
    return out;
  }
}
