/**
 * Result frames: how the proxy reports the outcome of a call.
 *
 * The proxy writes them to the result channel, a device (`/dev/sandbox/result`) that only the proxy can
 * open, never to standard output. User output therefore stays byte-exact, and nothing a user prints,
 * including text that imitates a frame, can reach the result.
 *
 * A frame is the byte `R`, a big-endian u32 length, then UTF-8 JSON:
 * `{"ok":true,"value":<wire value>}` or
 * `{"ok":false,"error":{"type":…,"message":…,"traceback":…,"line":…}}`.
 */
import { decodeWireJson } from './wire-value.js';
import type { ExecutionErrorInfo } from '../types.js';

/** First byte of every result frame. */
export const RESULT_FRAME_MARK = 0x52; // 'R'
/** Length of the result frame header. */
export const RESULT_HEADER_BYTES = 5;

/** A decoded result frame. */
export type ResultFrame =
  | { ok: true; value: unknown }
  | { ok: false; error: ExecutionErrorInfo; exitCode?: number };

/** Collects result-channel bytes and cuts them into frames. */
export class ResultFrameReader {
  private chunks: Uint8Array[] = [];
  private buffered = 0;

  /** Total bytes received so far and not yet returned as frames. */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Adds bytes written by the proxy. */
  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
  }

  /**
   * Returns the next whole frame, or `undefined` when more bytes are needed.
   *
   * @throws SyntaxError when the bytes are not a valid frame
   */
  next(): ResultFrame | undefined {
    if (this.buffered < RESULT_HEADER_BYTES) return undefined;
    const head = this.peek(RESULT_HEADER_BYTES);
    if (head[0] !== RESULT_FRAME_MARK) throw new SyntaxError('Corrupt result frame: bad marker byte');
    const length = new DataView(head.buffer, head.byteOffset, head.byteLength).getUint32(1, false);
    if (this.buffered < RESULT_HEADER_BYTES + length) return undefined;
    const whole = this.take(RESULT_HEADER_BYTES + length);
    const json = Buffer.from(whole.buffer, whole.byteOffset + RESULT_HEADER_BYTES, length).toString('utf8');
    return parseResultJson(json);
  }

  private peek(count: number): Uint8Array {
    this.compact();
    return this.chunks[0].subarray(0, count);
  }

  private take(count: number): Uint8Array {
    this.compact();
    const first = this.chunks[0];
    const taken = first.subarray(0, count);
    const rest = first.subarray(count);
    this.chunks = rest.byteLength > 0 ? [rest] : [];
    this.buffered -= count;
    return taken;
  }

  private compact(): void {
    if (this.chunks.length > 1) this.chunks = [Buffer.concat(this.chunks)];
  }
}

function parseResultJson(json: string): ResultFrame {
  // The frame object has several keys, so it is never taken for a wire tag; tags inside it are revived.
  const raw = decodeWireJson(json) as { ok?: unknown; value?: unknown; error?: Record<string, unknown>; exitCode?: unknown };
  if (raw === null || typeof raw !== 'object') throw new SyntaxError('Corrupt result frame: not an object');
  if (raw.ok === true) return { ok: true, value: raw.value ?? null };
  const error = raw.error ?? {};
  const info: ExecutionErrorInfo = {
    type: typeof error.type === 'string' ? error.type : 'Error',
    message: typeof error.message === 'string' ? error.message : '',
  };
  if (typeof error.traceback === 'string' && error.traceback !== '') info.traceback = error.traceback;
  if (typeof error.line === 'number' && error.line > 0) info.line = error.line;
  const frame: ResultFrame = { ok: false, error: info };
  if (typeof raw.exitCode === 'number') frame.exitCode = raw.exitCode;
  return frame;
}
