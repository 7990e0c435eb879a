import fc from 'fast-check';

/**
 * Random values for the round-trip property: JSON-compatible values, plus what the wire adds where the
 * language holds it (big integers, bytes), with object keys from `key`.
 */
export function wireValues(options: { bigints: boolean; bytes: boolean; key: fc.Arbitrary<string>; minKeys: number }): fc.Arbitrary<unknown> {
  return fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: 'small' },
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.double({ noNaN: false }),
      fc.string({ unit: 'grapheme' }),
      ...(options.bigints ? [fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }).filter((n) => n < -(2n ** 53n) || n > 2n ** 53n)] : []),
      ...(options.bytes ? [fc.uint8Array({ maxLength: 32 })] : []),
      fc.array(tie('value'), { maxLength: 5 }),
      fc.dictionary(options.key, tie('value'), { minKeys: options.minKeys, maxKeys: 5 }),
    ),
  })).value;
}

/** Every value the wire carries: big integers, bytes, special floats, and keys that look like tags. */
export const wireValue = wireValues({
  bigints: true,
  bytes: true,
  key: fc.oneof(fc.string(), fc.constantFrom('$bigint', '$x', '__proto__', 'constructor')),
  minKeys: 0,
});
