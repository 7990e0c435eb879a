/**
 * SIP, the Sandbox Input Protocol: how a call request reaches the proxy through standard input.
 *
 * A frame is 1 byte of mode, 4 bytes of big-endian payload length, then the UTF-8 JSON payload:
 *
 * ```
 * +------+----------------+----------------------------------------------+
 * | mode | length (u32 BE)| {"functionName":"add","args":[1,2],"kwargs":{}} |
 * +------+----------------+----------------------------------------------+
 * ```
 *
 * Mode `A` (atomic) asks for one call, after which the proxy exits. Mode `P` (persistent) asks for a call
 * after which the proxy waits for the next frame.
 */
import { FRAME_HEADER_BYTES, type WireJson } from './proxy-contract.js';

/** Mode byte of a SIP frame. */
export type SipMode = 'A' | 'P';

/** JSON payload of a SIP call frame. */
export interface SipCallPayload {
  /**
   * Number of the call, chosen by the host; the proxy echoes it in its result frame, so that an answer
   * can never be taken for another call's.
   */
  call?: number;
  /** Function to call. */
  functionName: string;
  /** Positional arguments in wire form. */
  args: WireJson[];
  /** Keyword arguments in wire form. */
  kwargs: { [name: string]: WireJson };
  /**
   * The program's environment variables, as `[name, value]` pairs (an object of one key could read as a
   * wire tag); the proxy applies those of its first frame, before loading the user's code, in place of its own.
   */
  env?: [string, string][];
  /** The program's arguments after the script's name; applied with `env`. */
  argv?: string[];
}

/**
 * JSON payload of a SIP frame that runs code rather than calling a function: `script`, the user's file as a
 * script (its last expression's value is the result); `snippet`, `code` in the namespace that the
 * previous snippets of the program (a context) left.
 */
export interface SipRunPayload {
  call?: number;
  kind: 'script' | 'snippet';
  /** The snippet's code (`snippet` only). */
  code?: string;
  /** Number of the snippet in its context, from 1: its file name in tracebacks (`snippet` only). */
  snippet?: number;
  env?: [string, string][];
  argv?: string[];
}

/** Length of the frame header (mode byte + length). */
export const SIP_HEADER_BYTES = FRAME_HEADER_BYTES;

/** Largest payload a frame can describe (the length field is an unsigned 32-bit integer). */
export const SIP_MAX_PAYLOAD_BYTES = 0xffff_ffff;

/** Encodes one SIP frame. */
export function encodeSipFrame(mode: SipMode, payload: SipCallPayload): Uint8Array {
  return encodeSipFrameFromJson(mode, JSON.stringify(payload));
}

/** Encodes one SIP frame around an already serialized JSON payload (given in parts, written one after the other). */
export function encodeSipFrameFromJson(mode: SipMode, ...json: string[]): Uint8Array {
  let length = 0;
  for (const part of json) length += Buffer.byteLength(part, 'utf8');
  if (length > SIP_MAX_PAYLOAD_BYTES) throw new RangeError('SIP payload larger than 4 GiB');
  // Encoded in place: a large payload is never copied. The frame has a buffer of its own (posting it
  // to a worker copies the whole buffer).
  const frame = new Uint8Array(SIP_HEADER_BYTES + length);
  const writer = Buffer.from(frame.buffer, 0, frame.byteLength);
  frame[0] = mode.charCodeAt(0);
  writer.writeUInt32BE(length, 1);
  let offset = SIP_HEADER_BYTES;
  for (const part of json) offset += writer.write(part, offset, 'utf8');
  return frame;
}

/**
 * Encodes the SIP frame of call number `callNumber` around its serialized payload (which must be a JSON
 * object without a `call` key). The number goes first, so that a proxy finds it even in a payload it
 * cannot decode.
 */
export function encodeSipCallFrame(mode: SipMode, callNumber: number, json: string): Uint8Array {
  if (!Number.isSafeInteger(callNumber) || callNumber < 1) throw new RangeError(`Invalid call number ${callNumber}`);
  if (!json.startsWith('{')) throw new SyntaxError('A SIP call payload must be a JSON object');
  return json === '{}' ? encodeSipFrameFromJson(mode, `{"call":${callNumber}}`) : encodeSipFrameFromJson(mode, `{"call":${callNumber},`, json.slice(1));
}

/** A decoded SIP frame. */
export interface DecodedSipFrame {
  mode: SipMode;
  payload: SipCallPayload;
  /** Bytes of `bytes` the frame used; any rest belongs to the next frame. */
  consumed: number;
}

/**
 * Decodes one SIP frame from the start of `bytes`.
 *
 * @returns the frame, or `undefined` when `bytes` does not yet hold a whole frame
 * @throws SyntaxError when the mode byte is unknown or the payload is not JSON
 */
export function decodeSipFrame(bytes: Uint8Array): DecodedSipFrame | undefined {
  if (bytes.byteLength < SIP_HEADER_BYTES) return undefined;
  const mode = String.fromCharCode(bytes[0]);
  if (mode !== 'A' && mode !== 'P') throw new SyntaxError(`Unknown SIP mode byte 0x${bytes[0].toString(16)}`);
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1, false);
  if (bytes.byteLength < SIP_HEADER_BYTES + length) return undefined;
  const json = Buffer.from(bytes.buffer, bytes.byteOffset + SIP_HEADER_BYTES, length).toString('utf8');
  return { mode, payload: JSON.parse(json) as SipCallPayload, consumed: SIP_HEADER_BYTES + length };
}

/**
 * Follows a byte stream of frames that start with a 1-byte tag and a big-endian u32 length (SIP frames and
 * result frames share that header) and tells where each frame ends, without decoding it.
 *
 * The worker uses it to give the proxy exactly one SIP frame on standard input and nothing more, so user
 * code that reads stdin during a call sees end-of-input instead of the next request; and to notice when the
 * proxy has finished writing a result frame.
 */
export class FrameTracker {
  private headerSeen = 0;
  private readonly header = new Uint8Array(SIP_HEADER_BYTES);
  private bodyLeft = 0;
  /** Tag byte of the frame in progress or last completed. */
  tag = 0;

  /**
   * @param onHeader called as soon as a frame's header is complete, before any byte of its body is
   *   counted; it may throw to refuse the frame (the result channel refuses one that announces more than
   *   its limit without ever receiving it)
   */
  constructor(private readonly onHeader?: (tag: number, bodyBytes: number) => void) {}

  /** How many of the next `available` bytes belong to the current frame. */
  frameBytesWithin(available: number): number {
    if (this.headerSeen < SIP_HEADER_BYTES) return Math.min(available, SIP_HEADER_BYTES - this.headerSeen);
    return Math.min(available, this.bodyLeft);
  }

  /** Records bytes of the stream; returns how many frames they completed. */
  advance(chunk: Uint8Array): number {
    let completed = 0;
    let offset = 0;
    while (offset < chunk.byteLength) {
      if (this.headerSeen < SIP_HEADER_BYTES) {
        this.header[this.headerSeen++] = chunk[offset++];
        if (this.headerSeen === 1) this.tag = this.header[0];
        if (this.headerSeen === SIP_HEADER_BYTES) {
          this.bodyLeft = new DataView(this.header.buffer).getUint32(1, false);
          this.onHeader?.(this.tag, this.bodyLeft);
          if (this.bodyLeft === 0) {
            this.headerSeen = 0;
            completed++;
          }
        }
      } else {
        const take = Math.min(this.bodyLeft, chunk.byteLength - offset);
        this.bodyLeft -= take;
        offset += take;
        if (this.bodyLeft === 0) {
          this.headerSeen = 0;
          completed++;
        }
      }
    }
    return completed;
  }
}
