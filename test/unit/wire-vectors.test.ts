/**
 * The host's side of the wire vectors: it reads each vector as a value of its kind, and writes that value
 * back as exactly the vector (each proxy is held to the same vectors in test/integration/wire-vectors.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { decodeWireJson, encodeWireValue } from '../../src/protocol/wire-value.js';
import { WIRE_VECTORS, type WireKind } from '../conformance/wire-vectors.js';

function hostKind(value: unknown): WireKind | string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return 'boolean';
  if (typeof value === 'bigint' || (Number.isSafeInteger(value) && !Object.is(value, -0))) return 'integer';
  if (typeof value === 'number') return 'float';
  if (typeof value === 'string') return 'string';
  if (value instanceof Uint8Array) return 'bytes';
  if (Array.isArray(value)) return 'list';
  return typeof value === 'object' ? 'map' : typeof value;
}

describe('wire vectors, host side', () => {
  it.each(WIRE_VECTORS.map((vector) => [vector.name, vector]))('%s', (_name, vector) => {
    const value = decodeWireJson(JSON.stringify(vector.wire));
    expect(hostKind(value)).toBe(vector.kind);
    expect(JSON.stringify(encodeWireValue(value, 'value'))).toBe(JSON.stringify(vector.wire));
  });

  it('the vectors hold every tag, the escaping of tag-like keys, special floats and nesting', () => {
    const text = JSON.stringify(WIRE_VECTORS.map((vector) => vector.wire));
    for (const piece of ['"$bigint"', '"$bytes"', '"$object"', '"nan"', '"inf"', '"-inf"', '"-0"', '"$float":"9007199254740992"', '[[[[[[[[[['])
      expect(text).toContain(piece);
  });
});
