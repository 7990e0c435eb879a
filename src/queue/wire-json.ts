/**
 * Values on the queue: plain JSON, plus the tagged objects of the library's wire format (docs/values.md)
 * for what JSON cannot say, so that a request or a result crosses Redis unchanged.
 *
 * | tag       | payload                       | JavaScript   |
 * |-----------|-------------------------------|--------------|
 * | `$bigint` | decimal digits                | `bigint`     |
 * | `$bytes`  | base64                        | `Uint8Array` |
 * | `$float`  | `nan`, `inf`, `-inf` or `-0`  | `number`     |
 * | `$object` | array of `[key, value]` pairs | plain object whose only key starts with `$` |
 *
 * The HTTP adapter speaks the same tags. A `bigint` stays a `bigint` here (the queue carries the host's
 * values, not the guest's), and a `Date` becomes its ISO string, as it does on its way into the sandbox.
 */
import { UnserializableValueError } from '../index.js';

/** JSON as stored on the queue. */
export type QueueJson = null | boolean | number | string | QueueJson[] | { [key: string]: QueueJson };

const MAX_DEPTH = 256;

/**
 * Encodes a value for the queue.
 *
 * @param path where the value sits in the request, for error messages (`args[0]`)
 * @throws UnserializableValueError for functions, symbols, class instances, circular references and data
 *   nested deeper than 256 levels
 */
export function encodeQueueValue(value: unknown, path: string): QueueJson {
  const ancestors = new Set<object>();
  const encode = (current: unknown, at: string, depth: number): QueueJson | undefined => {
    switch (typeof current) {
      case 'string':
      case 'boolean':
        return current;
      case 'number':
        if (Number.isNaN(current)) return { $float: 'nan' };
        if (current === Infinity) return { $float: 'inf' };
        if (current === -Infinity) return { $float: '-inf' };
        return Object.is(current, -0) ? { $float: '-0' } : current;
      case 'bigint':
        return { $bigint: current.toString() };
      case 'undefined':
        return undefined;
      case 'function':
        throw new UnserializableValueError(at, 'a function');
      case 'symbol':
        throw new UnserializableValueError(at, 'a symbol');
    }
    if (current === null) return null;
    const object = current as object;
    if (depth >= MAX_DEPTH) throw new UnserializableValueError(at, `data nested deeper than ${MAX_DEPTH} levels`);
    if (ancestors.has(object)) throw new UnserializableValueError(at, 'a circular reference');
    if (object instanceof Uint8Array) return { $bytes: Buffer.from(object.buffer, object.byteOffset, object.byteLength).toString('base64') };
    if (object instanceof ArrayBuffer) return { $bytes: Buffer.from(object).toString('base64') };
    if (object instanceof Date) {
      if (Number.isNaN(object.getTime())) throw new UnserializableValueError(at, 'an invalid Date');
      return object.toISOString();
    }
    ancestors.add(object);
    try {
      if (Array.isArray(object)) return object.map((item, index) => encode(item, `${at}[${index}]`, depth + 1) ?? null);
      const prototype = Object.getPrototypeOf(object);
      if (prototype !== Object.prototype && prototype !== null) {
        const name = (object as { constructor?: { name?: string } }).constructor?.name;
        throw new UnserializableValueError(
          at,
          name ? `an instance of ${name}` : 'an object with a custom prototype',
          'Pass plain objects, arrays and primitives.',
        );
      }
      const out: Record<string, QueueJson> = {};
      const keys = Object.keys(object);
      for (const key of keys) {
        const encoded = encode((object as Record<string, unknown>)[key], `${at}.${key}`, depth + 1);
        if (encoded !== undefined) Object.defineProperty(out, key, { value: encoded, enumerable: true, writable: true, configurable: true });
      }
      const kept = Object.keys(out);
      if (kept.length === 1 && kept[0]!.startsWith('$')) return { $object: [[kept[0]!, out[kept[0]!]!]] };
      return out;
    } finally {
      ancestors.delete(object);
    }
  };
  return encode(value, path, 0) ?? null;
}

/** Decodes what {@link encodeQueueValue} produced. @throws SyntaxError for an unknown tag */
export function decodeQueueValue(value: QueueJson): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeQueueValue);
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0]!.startsWith('$')) return decodeTag(keys[0]!, value[keys[0]!]!);
  const out: Record<string, unknown> = {};
  for (const key of keys) Object.defineProperty(out, key, { value: decodeQueueValue(value[key]!), enumerable: true, writable: true, configurable: true });
  return out;
}

function decodeTag(tag: string, payload: QueueJson): unknown {
  switch (tag) {
    case '$bigint':
      return BigInt(String(payload));
    case '$bytes':
      return new Uint8Array(Buffer.from(String(payload), 'base64'));
    case '$float': {
      const special: Record<string, number> = { nan: NaN, inf: Infinity, '-inf': -Infinity, '-0': -0 };
      if (typeof payload === 'string' && payload in special) return special[payload];
      throw new SyntaxError(`Unknown $float payload ${JSON.stringify(payload)}`);
    }
    case '$object': {
      if (!Array.isArray(payload)) throw new SyntaxError('$object payload must be an array of pairs');
      const out: Record<string, unknown> = {};
      for (const pair of payload) {
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string')
          throw new SyntaxError('$object payload must be an array of [key, value] pairs');
        Object.defineProperty(out, pair[0], { value: decodeQueueValue(pair[1]!), enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    default:
      throw new SyntaxError(`Unknown wire tag ${JSON.stringify(tag)}`);
  }
}
