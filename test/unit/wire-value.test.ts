import { describe, expect, it } from 'vitest';
import { decodeWireJson, decodeWireValue, encodeWireValue } from '../../src/protocol/wire-value.js';
import { UnserializableValueError } from '../../src/errors.js';

const roundTrip = (value: unknown): unknown => decodeWireJson(JSON.stringify(encodeWireValue(value, 'value')));

describe('wire values', () => {
  it('round-trips JSON data unchanged', () => {
    const value = { a: [1, 2.5, 'x', null, true, false], nested: { deep: [[{}], []] }, unicode: 'é漢字🎉' };
    expect(roundTrip(value)).toEqual(value);
  });

  it('tags what JSON cannot say', () => {
    expect(encodeWireValue(2n ** 70n, 'v')).toEqual({ $bigint: '1180591620717411303424' });
    expect(encodeWireValue(NaN, 'v')).toEqual({ $float: 'nan' });
    expect(encodeWireValue(Uint8Array.of(0, 255), 'v')).toEqual({ $bytes: 'AP8=' });
    expect(roundTrip(-Infinity)).toBe(-Infinity);
    expect(Object.is(roundTrip(-0), -0)).toBe(true);
    expect(roundTrip(2n ** 70n)).toBe(2n ** 70n);
    expect(roundTrip(Uint8Array.of(1, 2, 3))).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('decodes small bigints as numbers and large ones as bigint', () => {
    expect(decodeWireJson('{"$bigint":"42"}')).toBe(42);
    expect(decodeWireJson('{"$bigint":"9007199254740993"}')).toBe(9007199254740993n);
  });

  it('escapes user objects that look like tags', () => {
    const tricky = { $bigint: '5' };
    expect(encodeWireValue(tricky, 'v')).toEqual({ $object: [['$bigint', '5']] });
    expect(roundTrip(tricky)).toEqual(tricky);
    expect(roundTrip({ $object: { $bytes: 'x' } })).toEqual({ $object: { $bytes: 'x' } });
  });

  it('keeps a key named __proto__ as an ordinary key', () => {
    const decoded = decodeWireJson('{"__proto__": {"polluted": 1}, "b": 2}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.keys(decoded)).toEqual(['__proto__', 'b']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('converts dates to ISO strings and drops undefined properties', () => {
    expect(encodeWireValue({ when: new Date(0), gone: undefined, list: [undefined] }, 'v')).toEqual({ when: '1970-01-01T00:00:00.000Z', list: [null] });
  });

  it.each([
    ['a function', () => 1, 'args[0]'],
    ['a symbol', Symbol('s'), 'args[0]'],
    ['a Map', new Map(), 'args[0]'],
    [
      'an instance of class Point',
      new (class Point {
        x = 1;
      })(),
      'args[0]',
    ],
  ])('rejects %s with its path', (kind, value, path) => {
    const error = (() => {
      try {
        encodeWireValue(value, path);
      } catch (e) {
        return e as UnserializableValueError;
      }
    })();
    expect(error).toBeInstanceOf(UnserializableValueError);
    expect(error?.path).toBe(path);
    expect(error?.message).toContain(kind);
  });

  it('rejects circular references and names where they are', () => {
    const a: Record<string, unknown> = { list: [] };
    (a.list as unknown[]).push({ back: a });
    expect(() => encodeWireValue(a, 'args[2]')).toThrowError(/args\[2\]\.list\[0\]\.back.*circular/);
  });

  it('returns what needs no conversion as it is, and copies only the way down to what does', () => {
    const plain = { list: [1, 'two', null, true], nested: { a: [{}] } };
    expect(encodeWireValue(plain, 'v')).toBe(plain);
    const mixed = { plain, big: [1, 2n ** 64n], undefinedInArray: [undefined], dropped: undefined };
    const encoded = encodeWireValue(mixed, 'v') as Record<string, unknown>;
    expect(encoded).not.toBe(mixed);
    expect(encoded.plain).toBe(plain);
    expect(encoded).toEqual({ plain, big: [1, { $bigint: '18446744073709551616' }], undefinedInArray: [null] });
    expect(mixed.big[1]).toBe(2n ** 64n); // the input is never changed
    expect(Object.keys(encodeWireValue({ a: 1, gone: undefined }, 'v') as object)).toEqual(['a']);
  });

  it('decodes tags at any depth, leaves strings that start with $ alone, and refuses unknown tags', () => {
    expect(decodeWireJson('["$bigint", {"k": "$bytes"}, {"$x": 1, "y": 2}]')).toEqual(['$bigint', { k: '$bytes' }, { $x: 1, y: 2 }]);
    expect(decodeWireJson('{"a": [{"b": {"$bigint": "9007199254740993"}}], "c": {"$float": "-0"}}')).toEqual({
      a: [{ b: 9007199254740993n }],
      c: -0,
    });
    expect(() => decodeWireJson('[{"$nope": 1}]')).toThrowError(/Unknown wire tag "\$nope"/);
    const proto = decodeWireJson('{"__proto__": {"$bigint": "1"}, "x": "$"}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(proto, '__proto__')?.value).toBe(1);
  });

  it('accepts shared (non-circular) references', () => {
    const shared = { x: 1 };
    expect(roundTrip([shared, shared])).toEqual([{ x: 1 }, { x: 1 }]);
  });

  it('limits nesting depth', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 300; i++) deep = [deep];
    expect(() => encodeWireValue(deep, 'v')).toThrowError(UnserializableValueError);
    expect(() => encodeWireValue(deep, 'v', { maxDepth: 400 })).not.toThrow();
  });
});

describe('decodeWireValue (values already parsed, as a job queue holds them)', () => {
  const parsed = { n: { $bigint: '5' }, big: { $bigint: '9007199254740993' }, raw: { $bytes: 'AQI=' }, kept: { $object: [['$x', { $float: 'nan' }]] } };

  it('gives a new value and leaves the parsed one as it was', () => {
    const before = JSON.stringify(parsed);
    expect(decodeWireValue(parsed)).toEqual({ n: 5, big: 9007199254740993n, raw: new Uint8Array([1, 2]), kept: { $x: NaN } });
    expect(JSON.stringify(parsed)).toBe(before);
  });

  it('with exactBigints, a bigint stays a bigint however small (the host sent 5n, not 5)', () => {
    expect(decodeWireValue(parsed, { exactBigints: true })).toMatchObject({ n: 5n, big: 9007199254740993n });
    expect(decodeWireValue(encodeWireValue([1n, 2], 'v'), { exactBigints: true })).toEqual([1n, 2]);
  });
});
