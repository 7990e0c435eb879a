import fc from 'fast-check';

/** JSON-compatible values plus what the wire adds: big integers, bytes, special floats, `$` keys. */
export const wireValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: false }),
    fc.string({ unit: 'grapheme' }),
    fc.bigInt({ min: -(2n ** 200n), max: 2n ** 200n }).filter((n) => n < -(2n ** 53n) || n > 2n ** 53n),
    fc.uint8Array({ maxLength: 32 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.oneof(fc.string(), fc.constantFrom('$bigint', '$x', '__proto__', 'constructor')), tie('value'), { maxKeys: 5 }),
  ),
})).value;
