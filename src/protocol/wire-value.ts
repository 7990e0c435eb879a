/**
 * Wire encoding of values crossing the sandbox boundary: plain JSON, plus tagged objects for what JSON
 * cannot say.
 *
 * A tagged object has exactly one key, which starts with `$`:
 *
 * | tag        | payload                         | JavaScript side | guest side (e.g. Python) |
 * |------------|---------------------------------|-----------------|--------------------------|
 * | `$bigint`  | decimal digits                  | `bigint`        | `int`                    |
 * | `$bytes`   | base64                          | `Uint8Array`    | `bytes`                  |
 * | `$float`   | `nan`, `inf`, `-inf`, `-0`, or  | `number`        | `float`                  |
 * |            | an integral float's digits (1)  |                 |                          |
 * | `$object`  | array of `[key, value]` pairs   | plain object    | `dict`                   |
 *
 * `$object` escapes user objects that would otherwise look like a tag (one key starting with `$`).
 * Pairs (rather than a nested object) keep decoding bottom-up: an escaped object is never mistaken for a
 * tag before its wrapper is seen. Integers outside ±(2^53 − 1) travel as `$bigint` in both directions;
 * (1) a float with such an integral value travels as `$float` with its digits, since JSON would give it as
 * an integer.
 */
import { UnserializableValueError } from '../errors.js';
import { MAX_SAFE_INTEGER, WIRE_MAX_DEPTH, WIRE_TAGS, type WireJson } from './proxy-contract.js';

export type { WireJson };

/** Limits applied while encoding. */
export interface WireEncodeOptions {
  /** Deepest nesting of arrays/objects accepted (default {@link WIRE_MAX_DEPTH}). */
  maxDepth?: number;
}

const TAGS = new Set<string>(Object.values(WIRE_TAGS));
/** A number as JSON writes it: the payload of a `$float` that is not a special value. */
const FLOAT_TEXT = /^-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?$/;

/**
 * Converts a JavaScript value into its wire form, checking that it can be sent.
 *
 * @param value the value to encode
 * @param path where the value sits in the request, used in error messages (for example `args[0]`)
 * @throws UnserializableValueError for functions, symbols, circular references, class instances and
 *   other values that have no faithful representation in the guest language
 */
export function encodeWireValue(value: unknown, path: string, options: WireEncodeOptions = {}): WireJson {
  const maxDepth = options.maxDepth ?? WIRE_MAX_DEPTH;
  const ancestors = new Set<object>();

  const encode = (current: unknown, at: string, depth: number): WireJson | undefined => {
    switch (typeof current) {
      case 'string':
      case 'boolean':
        return current;
      case 'number':
        if (Number.isNaN(current)) return { $float: 'nan' };
        if (current === Infinity) return { $float: 'inf' };
        if (current === -Infinity) return { $float: '-inf' };
        if (Object.is(current, -0)) return { $float: '-0' };
        // JSON writes an integral float beyond 2^53 (below 1e21, where exponents start) as an integer,
        // which a guest would read as another type.
        if (Number.isInteger(current) && Math.abs(current) > MAX_SAFE_INTEGER && Math.abs(current) < 1e21) return { $float: String(current) };
        return current;
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
    if (depth >= maxDepth) {
      throw new UnserializableValueError(at, `data nested deeper than ${maxDepth} levels`);
    }
    if (ancestors.has(object)) throw new UnserializableValueError(at, 'a circular reference');

    if (object instanceof Uint8Array) return { $bytes: Buffer.from(object.buffer, object.byteOffset, object.byteLength).toString('base64') };
    if (object instanceof ArrayBuffer) return { $bytes: Buffer.from(object).toString('base64') };
    if (object instanceof Date) {
      if (Number.isNaN(object.getTime())) throw new UnserializableValueError(at, 'an invalid Date');
      return object.toISOString();
    }

    ancestors.add(object);
    try {
      if (Array.isArray(object)) {
        return object.map((item, index) => encode(item, `${at}[${index}]`, depth + 1) ?? null);
      }
      const prototype = Object.getPrototypeOf(object);
      if (prototype !== Object.prototype && prototype !== null) {
        const kind = describeInstance(object);
        throw new UnserializableValueError(at, kind, 'Pass plain objects, arrays and primitives.');
      }
      const entries: [string, WireJson][] = [];
      for (const key of Object.keys(object)) {
        const encoded = encode((object as Record<string, unknown>)[key], `${at}${propertyPath(key)}`, depth + 1);
        if (encoded !== undefined) entries.push([key, encoded]);
      }
      if (Object.getOwnPropertySymbols(object).length > 0) {
        throw new UnserializableValueError(at, 'an object with symbol keys');
      }
      if (entries.length === 1 && entries[0][0].startsWith('$')) return { $object: [[entries[0][0], entries[0][1]]] };
      const out: { [key: string]: WireJson } = {};
      for (const [key, encoded] of entries) defineData(out, key, encoded);
      return out;
    } finally {
      ancestors.delete(object);
    }
  };

  return encode(value, path, 0) ?? null;
}

/**
 * Parses wire JSON text back into JavaScript values (tags become `bigint`, `Uint8Array`, special numbers).
 *
 * @throws SyntaxError when the text is not valid JSON or holds an unknown tag
 */
export function decodeWireJson(text: string): unknown {
  return JSON.parse(text, function revive(this: unknown, _key: string, value: unknown) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
    const keys = Object.keys(value);
    if (keys.length !== 1 || !keys[0].startsWith('$')) return value;
    return decodeTag(keys[0], (value as Record<string, unknown>)[keys[0]]);
  });
}

function decodeTag(tag: string, payload: unknown): unknown {
  if (!TAGS.has(tag)) throw new SyntaxError(`Unknown wire tag ${JSON.stringify(tag)}`);
  switch (tag) {
    case '$bigint': {
      const big = BigInt(String(payload));
      return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
    }
    case '$bytes':
      return new Uint8Array(Buffer.from(String(payload), 'base64'));
    case '$float':
      switch (payload) {
        case 'nan':
          return NaN;
        case 'inf':
          return Infinity;
        case '-inf':
          return -Infinity;
        case '-0':
          return -0;
      }
      if (typeof payload === 'string' && FLOAT_TEXT.test(payload)) return Number(payload);
      throw new SyntaxError(`Unknown $float payload ${JSON.stringify(payload)}`);
    default: {
      if (!Array.isArray(payload)) throw new SyntaxError('$object payload must be an array of pairs');
      const out: Record<string, unknown> = {};
      for (const pair of payload) {
        if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string') {
          throw new SyntaxError('$object payload must be an array of [key, value] pairs');
        }
        defineData(out, pair[0], pair[1]);
      }
      return out;
    }
  }
}

/** Sets a property without invoking setters (a key named `__proto__` stays an ordinary key). */
function defineData(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function propertyPath(key: string): string {
  return /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function describeInstance(object: object): string {
  if (object instanceof Map) return 'a Map';
  if (object instanceof Set) return 'a Set';
  if (object instanceof Promise) return 'a Promise';
  if (object instanceof RegExp) return 'a RegExp';
  if (object instanceof Error) return 'an Error';
  if (ArrayBuffer.isView(object)) return `a ${object.constructor.name} (only Uint8Array is supported for bytes)`;
  const name = (object as { constructor?: { name?: string } }).constructor?.name;
  return name ? `an instance of class ${name}` : 'an object with a custom prototype';
}
