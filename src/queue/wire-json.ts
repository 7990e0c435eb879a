/**
 * Values on the queue: the library's wire format (docs/values.md, `src/protocol/wire-value.ts`), so that a
 * request or a result crosses Redis unchanged. A `bigint` stays a `bigint` here (the queue carries the
 * host's values, not the guest's), and a `Date` becomes its ISO string, as it does on its way into the
 * sandbox. The HTTP adapter speaks the same tags.
 */
import { decodeWireValue, encodeWireValue, type WireJson } from '../protocol/wire-value.js';

/** JSON as stored on the queue. */
export type QueueJson = WireJson;

/**
 * Encodes a value for the queue.
 *
 * @param path where the value sits in the request, for error messages (`args[0]`)
 * @throws UnserializableValueError for functions, symbols, class instances, circular references and data
 *   nested deeper than 256 levels
 */
export function encodeQueueValue(value: unknown, path: string): QueueJson {
  return encodeWireValue(value, path);
}

/** Decodes what {@link encodeQueueValue} produced. @throws SyntaxError for an unknown tag */
export function decodeQueueValue(value: QueueJson): unknown {
  return decodeWireValue(value, { exactBigints: true });
}
