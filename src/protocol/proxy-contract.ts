/**
 * The contract between the host and every proxy, from one source: the sandbox's layout, the devices a
 * proxy opens, the frame bytes, the wire tags and the nesting limit. The host's code (the SIP and result
 * frame codecs, the wire encoding, the worker's devices) uses these constants, and every template gets
 * them as `{{PLACEHOLDERS}}` (see `PROXY_CONTRACT`), so that no proxy repeats one as a literal.
 *
 * This module imports nothing: the worker thread uses it too.
 */

/** The working directory of user code, and the default mount point. */
export const WORKDIR = '/workspace';
/** The folder of the machinery: the proxy and the user's code. Never reported as a change, never mounted over. */
export const SANDBOX_DIR = '/sandbox';
/** The result channel: the proxy opens it before any user code runs, and it refuses every later open. */
export const RESULT_DEVICE = '/dev/sandbox/result';
/** Commands from the proxy to the host (`sleep <nanoseconds>`). */
export const CONTROL_DEVICE = '/dev/sandbox/control';
/** Mode byte of a SIP frame that asks for one call, after which the proxy exits. */
export const SIP_ATOMIC = 'A';
/** Mode byte of a SIP frame that asks for a call, after which the proxy waits for the next frame. */
export const SIP_PERSISTENT = 'P';
/** Length of the header of every frame, SIP or result: a tag byte and a big-endian u32 length. */
export const FRAME_HEADER_BYTES = 5;
/** First byte of every result frame. */
export const RESULT_FRAME_MARK = 0x52; // 'R'
/** Largest integer a proxy sends as a JSON number; larger ones travel as `$bigint`. */
export const MAX_SAFE_INTEGER = Number.MAX_SAFE_INTEGER;
/** Deepest nesting of a value on the wire, in both directions: arguments and results. */
export const WIRE_MAX_DEPTH = 256;
/** What every wire tag starts with; an object with one key that starts with it is escaped (`$object`). */
export const WIRE_TAG_PREFIX = '$';
/** The tags of the wire encoding (see `wire-value.ts`). */
export const WIRE_TAGS = { bigint: '$bigint', bytes: '$bytes', float: '$float', object: '$object' } as const;

/** A JSON value on the wire: plain JSON, with tagged objects for what JSON cannot say (see `wire-value.ts`). */
export type WireJson = null | boolean | number | string | WireJson[] | { [key: string]: WireJson };

/** The values every template may use, by placeholder name. */
export const PROXY_CONTRACT: Readonly<Record<string, string>> = {
  WORKDIR,
  SANDBOX_DIR,
  RESULT_DEVICE,
  CONTROL_DEVICE,
  FRAME_HEADER_BYTES: String(FRAME_HEADER_BYTES),
  SIP_ATOMIC,
  SIP_PERSISTENT,
  RESULT_MARK: String.fromCharCode(RESULT_FRAME_MARK),
  WIRE_TAG_PREFIX: WIRE_TAG_PREFIX,
  WIRE_BIGINT: WIRE_TAGS.bigint,
  WIRE_BYTES: WIRE_TAGS.bytes,
  WIRE_FLOAT: WIRE_TAGS.float,
  WIRE_OBJECT: WIRE_TAGS.object,
  WIRE_MAX_DEPTH: String(WIRE_MAX_DEPTH),
  MAX_SAFE_INTEGER: String(MAX_SAFE_INTEGER),
};
