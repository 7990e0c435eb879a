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

/** Raised inside the encoding walk; each container it unwinds through adds its step to the path. */
class Unwritable {
  /** Steps from the value that failed up to the root, innermost first (`[3]`, `.name`). */
  readonly steps: string[] = [];
  constructor(
    readonly valueType: string,
    readonly hint?: string,
  ) {}
}

/**
 * Converts a JavaScript value into its wire form, checking that it can be sent.
 *
 * Parts of the value that need no conversion are returned as they are (not copied): the result is for
 * `JSON.stringify`, which writes them as the wire form. Paths are built only for an error.
 *
 * @param value the value to encode
 * @param path where the value sits in the request, used in error messages (for example `args[0]`)
 * @throws UnserializableValueError for functions, symbols, circular references, class instances and
 *   other values that have no faithful representation in the guest language
 */
export function encodeWireValue(value: unknown, path: string, options: WireEncodeOptions = {}): WireJson {
  try {
    return encodeValue(value, 0, options.maxDepth ?? WIRE_MAX_DEPTH, new Set()) ?? null;
  } catch (error) {
    if (!(error instanceof Unwritable)) throw error;
    let at = path;
    for (let index = error.steps.length - 1; index >= 0; index--) at += error.steps[index];
    throw new UnserializableValueError(at, error.valueType, error.hint);
  }
}

/** The wire form of `current`: `current` itself when it needs none, `undefined` for a value JSON leaves out. */
function encodeValue(current: unknown, depth: number, maxDepth: number, ancestors: Set<object>): WireJson | undefined {
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
      throw new Unwritable('a function');
    case 'symbol':
      throw new Unwritable('a symbol');
  }
  if (current === null) return null;
  const object = current as object;
  if (depth >= maxDepth) throw new Unwritable(`data nested deeper than ${maxDepth} levels`);
  if (ancestors.has(object)) throw new Unwritable('a circular reference');

  if (object instanceof Uint8Array) return { $bytes: Buffer.from(object.buffer, object.byteOffset, object.byteLength).toString('base64') };
  if (object instanceof ArrayBuffer) return { $bytes: Buffer.from(object).toString('base64') };
  if (object instanceof Date) {
    if (Number.isNaN(object.getTime())) throw new Unwritable('an invalid Date');
    return object.toISOString();
  }

  ancestors.add(object);
  try {
    return Array.isArray(object) ? encodeArray(object, depth, maxDepth, ancestors) : encodeObject(object, depth, maxDepth, ancestors);
  } finally {
    ancestors.delete(object);
  }
}

/** An array: itself when no item changes (`undefined` and holes become `null`, a change), else a copy. */
function encodeArray(array: readonly unknown[], depth: number, maxDepth: number, ancestors: Set<object>): WireJson {
  let copy: WireJson[] | undefined;
  let index = 0;
  try {
    for (; index < array.length; index++) {
      const item = array[index];
      const encoded = encodeValue(item, depth + 1, maxDepth, ancestors) ?? null;
      if (copy !== undefined) copy.push(encoded);
      else if (encoded !== item) {
        copy = array.slice(0, index) as WireJson[];
        copy.push(encoded);
      }
    }
  } catch (error) {
    if (error instanceof Unwritable) error.steps.push(`[${index}]`);
    throw error;
  }
  return copy ?? (array as WireJson[]);
}

/** A plain object: itself when no property changes (an `undefined` one is dropped, a change), else a copy. */
function encodeObject(object: object, depth: number, maxDepth: number, ancestors: Set<object>): WireJson {
  const prototype = Object.getPrototypeOf(object);
  if (prototype !== Object.prototype && prototype !== null) throw new Unwritable(describeInstance(object), 'Pass plain objects, arrays and primitives.');
  const keys = Object.keys(object);
  const record = object as Record<string, unknown>;
  let copy: { [key: string]: WireJson } | undefined;
  let kept = 0;
  let lastKept = '';
  let index = 0;
  try {
    for (; index < keys.length; index++) {
      const key = keys[index];
      const item = record[key];
      const encoded = encodeValue(item, depth + 1, maxDepth, ancestors);
      if (copy === undefined && (encoded !== item || item === undefined)) {
        copy = {};
        for (let before = 0; before < index; before++) setData(copy, keys[before], record[keys[before]]);
      }
      if (encoded === undefined) continue;
      if (copy !== undefined) setData(copy, key, encoded);
      kept++;
      lastKept = key;
    }
  } catch (error) {
    if (error instanceof Unwritable) error.steps.push(propertyPath(keys[index]));
    throw error;
  }
  if (Object.getOwnPropertySymbols(object).length > 0) throw new Unwritable('an object with symbol keys');
  // A user object that would read as a tag travels as the pairs of `$object`.
  if (kept === 1 && lastKept.startsWith('$')) return { $object: [[lastKept, (copy ?? (record as { [key: string]: WireJson }))[lastKept]]] };
  return copy ?? (record as { [key: string]: WireJson });
}

/**
 * Parses wire JSON text back into JavaScript values (tags become `bigint`, `Uint8Array`, special numbers).
 * Text without any string that starts with `$` holds no tag: it is plain JSON, parsed as such.
 *
 * @throws SyntaxError when the text is not valid JSON or holds an unknown tag
 */
export function decodeWireJson(text: string): unknown {
  const value: unknown = JSON.parse(text);
  // Every tag is a key that starts with `$`, which JSON writes as `"$`: without it, nothing to decode.
  return text.includes('"$') ? decodeTags(value) : value;
}

/** Replaces the tags of freshly parsed JSON, innermost first (`$object` pairs hold decoded values). */
function decodeTags(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      if (item !== null && typeof item === 'object') value[index] = decodeTags(item);
    }
    return value;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  for (const key of keys) {
    const item = record[key];
    if (item === null || typeof item !== 'object') continue;
    const decoded = decodeTags(item);
    if (decoded !== item) setData(record, key, decoded);
  }
  return keys.length === 1 && keys[0].startsWith('$') ? decodeTag(keys[0], record[keys[0]]) : record;
}

/**
 * Decodes the tags of an already parsed wire value into a new value, leaving the input as it is. With
 * `exactBigints`, every `$bigint` stays a `bigint`: for values that were the host's own (a job queue
 * carries them between host processes), where `5n` must not come back as `5`.
 *
 * @throws SyntaxError for an unknown tag
 */
export function decodeWireValue(value: unknown, options: { exactBigints?: boolean } = {}): unknown {
  const exact = options.exactBigints === true;
  const walk = (current: unknown): unknown => {
    if (current === null || typeof current !== 'object') return current;
    if (Array.isArray(current)) return current.map(walk);
    const record = current as Record<string, unknown>;
    const keys = Object.keys(record);
    // Innermost first: the pairs of `$object` hold decoded values.
    if (keys.length === 1 && keys[0].startsWith('$')) return decodeTag(keys[0], walk(record[keys[0]]), exact);
    const out: Record<string, unknown> = {};
    for (const key of keys) setData(out, key, walk(record[key]));
    return out;
  };
  return walk(value);
}

function decodeTag(tag: string, payload: unknown, exactBigints = false): unknown {
  if (!TAGS.has(tag)) throw new SyntaxError(`Unknown wire tag ${JSON.stringify(tag)}`);
  switch (tag) {
    case '$bigint': {
      const big = BigInt(String(payload));
      if (exactBigints) return big;
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

/** {@link defineData}, with a plain assignment for every key but `__proto__` (the only one with a setter). */
function setData(target: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') defineData(target, key, value);
  else target[key] = value;
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
