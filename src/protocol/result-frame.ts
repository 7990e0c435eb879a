/**
 * Result frames: how the proxy reports the outcome of a call.
 *
 * The proxy writes them to the result channel, a device (`/dev/sandbox/result`) that only the proxy can
 * open, never to standard output. User output therefore stays byte-exact, and nothing a user prints,
 * including text that imitates a frame, can reach the result.
 *
 * A frame is the byte `R`, a big-endian u32 length, then UTF-8 JSON:
 * `{"call":N,"ok":true,"value":<wire value>}` or
 * `{"call":N,"ok":false,"error":{"type":…,"message":…,"traceback":…,"line":…}}`, where N echoes the call
 * number of the request (see `encodeSipCallFrame`).
 */
import { FRAME_HEADER_BYTES, RESULT_FRAME_MARK } from './proxy-contract.js';
import { decodeWireJson } from './wire-value.js';

/** What went wrong, in the terms of the user's language. */
export interface ExecutionErrorInfo {
  /** The language's own error type (`ZeroDivisionError`, `SyntaxError`…) or one of ours (`Timeout`, `Crash`…). */
  type: string;
  /** Human-readable message. */
  message: string;
  /** Traceback or stack trace with the line numbers of the user's code, when available. */
  traceback?: string;
  /** Line of the user's code where the error happened, when known (1-based). */
  line?: number;
}

/** Length of the result frame header. */
const RESULT_HEADER_BYTES = FRAME_HEADER_BYTES;

/** A decoded result frame. `call` is the call number the proxy echoed (see `encodeSipCallFrame`). */
export type ResultFrame = { ok: true; value: unknown; call?: number } | { ok: false; error: ExecutionErrorInfo; exitCode?: number; call?: number };

/** A frame header announced a body larger than the reader's limit; nothing of that body is kept. */
export class ResultFrameTooLarge extends Error {
  constructor(
    /** Body bytes the header announced. */
    readonly announcedBytes: number,
    /** The limit (`maxResultBytes`). */
    readonly limitBytes: number,
  ) {
    super(`A result frame announced ${announcedBytes} bytes, more than the limit of ${limitBytes}`);
  }
}

/**
 * Collects result-channel bytes and cuts them into frames.
 *
 * The work is linear in the bytes received: a body is kept as the chunks it arrived in and joined once,
 * when it is complete. A header that announces more than `maxBodyBytes` is refused at once.
 */
export class ResultFrameReader {
  private readonly header = new Uint8Array(RESULT_HEADER_BYTES);
  private headerSeen = 0;
  private bodyLength = 0;
  private bodyChunks: Uint8Array[] = [];
  private bodyReceived = 0;
  private readonly complete: Uint8Array[] = [];
  private failure: Error | undefined;

  constructor(private readonly maxBodyBytes = Number.POSITIVE_INFINITY) {}

  /** Bytes received that do not yet form a whole frame. */
  get pendingBytes(): number {
    return this.headerSeen + this.bodyReceived;
  }

  /** Adds bytes written by the proxy. */
  push(chunk: Uint8Array): void {
    let offset = 0;
    while (offset < chunk.byteLength && !this.failure) {
      if (this.headerSeen < RESULT_HEADER_BYTES) {
        this.header[this.headerSeen++] = chunk[offset++];
        if (this.headerSeen === 1 && this.header[0] !== RESULT_FRAME_MARK) {
          this.failure = new SyntaxError('Corrupt result frame: bad marker byte');
        } else if (this.headerSeen === RESULT_HEADER_BYTES) {
          this.bodyLength = new DataView(this.header.buffer).getUint32(1, false);
          if (this.bodyLength > this.maxBodyBytes) this.failure = new ResultFrameTooLarge(this.bodyLength, this.maxBodyBytes);
          else if (this.bodyLength === 0) this.finishBody();
        }
        continue;
      }
      const take = Math.min(this.bodyLength - this.bodyReceived, chunk.byteLength - offset);
      this.bodyChunks.push(chunk.subarray(offset, offset + take));
      this.bodyReceived += take;
      offset += take;
      if (this.bodyReceived === this.bodyLength) this.finishBody();
    }
  }

  /**
   * Returns the next whole frame, or `undefined` when more bytes are needed.
   *
   * @throws SyntaxError when the bytes are not a valid frame; ResultFrameTooLarge when a header announced
   *   more than the limit
   */
  next(): ResultFrame | undefined {
    const body = this.complete.shift();
    if (body) return parseResultJson(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
    if (this.failure) throw this.failure;
    return undefined;
  }

  private finishBody(): void {
    this.complete.push(this.bodyChunks.length === 1 ? this.bodyChunks[0] : Buffer.concat(this.bodyChunks, this.bodyLength));
    this.bodyChunks = [];
    this.bodyReceived = 0;
    this.bodyLength = 0;
    this.headerSeen = 0;
  }
}

function parseResultJson(json: string): ResultFrame {
  // The frame object has several keys, so it is never taken for a wire tag; tags inside it are revived.
  const raw = decodeWireJson(json) as { ok?: unknown; value?: unknown; error?: Record<string, unknown>; exitCode?: unknown; call?: unknown };
  if (raw === null || typeof raw !== 'object') throw new SyntaxError('Corrupt result frame: not an object');
  const call = Number.isSafeInteger(raw.call) ? (raw.call as number) : undefined;
  if (raw.ok === true) return call === undefined ? { ok: true, value: raw.value ?? null } : { ok: true, value: raw.value ?? null, call };
  const error = raw.error ?? {};
  const info: ExecutionErrorInfo = {
    type: typeof error.type === 'string' ? error.type : 'Error',
    message: typeof error.message === 'string' ? error.message : '',
  };
  if (typeof error.traceback === 'string' && error.traceback !== '') info.traceback = error.traceback;
  if (typeof error.line === 'number' && error.line > 0) info.line = error.line;
  const frame: ResultFrame = { ok: false, error: info };
  if (typeof raw.exitCode === 'number') frame.exitCode = raw.exitCode;
  if (call !== undefined) frame.call = call;
  return frame;
}
