/**
 * Property-based tests (fast-check): SIP frames round-trip for arbitrary payloads, and arbitrary values
 * round-trip through a real interpreter's identity function in every language.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxExecutor, SUPPORTED_LANGUAGES, type Language } from '../../src/index.js';
import { decodeSipFrame, encodeSipFrame } from '../../src/protocol/sip.js';
import { decodeWireJson, encodeWireValue } from '../../src/protocol/wire-value.js';

/** JSON-compatible values plus what the wire adds: big integers, bytes, special floats, `$` keys. */
const wireValue = fc.letrec((tie) => ({
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

describe('SIP and wire values', () => {
  it('a frame decodes to the payload it encodes', () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.array(fc.jsonValue()),
        fc.dictionary(fc.string({ minLength: 1 }), fc.jsonValue()),
        fc.constantFrom('A' as const, 'P' as const),
        (functionName, args, kwargs, mode) => {
          const frame = encodeSipFrame(mode, { functionName, args: args as never, kwargs: kwargs as never });
          const decoded = decodeSipFrame(frame);
          expect(decoded?.mode).toBe(mode);
          expect(decoded?.consumed).toBe(frame.byteLength);
          expect(decoded?.payload).toEqual(JSON.parse(JSON.stringify({ functionName, args, kwargs })));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('wire encoding round-trips every value it accepts', () => {
    fc.assert(
      fc.property(wireValue, (value) => {
        expect(decodeWireJson(JSON.stringify(encodeWireValue(value, 'value')))).toEqual(value);
      }),
      { numRuns: 500 },
    );
  });
});

/**
 * What each language can hold faithfully, as a fast-check arbitrary. The identity function is the
 * conformance table's `echo`.
 */
const CAPABILITIES: Record<Language, { arbitrary: fc.Arbitrary<unknown>; code: string; runs: number }> = {
  python: { arbitrary: wireValue, code: 'def echo(value):\n    return value\n', runs: 60 },
  ruby: { arbitrary: wireValue, code: 'def echo(value)\n  value\nend\n', runs: 40 },
  javascript: { arbitrary: wireValue, code: 'function echo(value) {\n  return value;\n}\n', runs: 60 },
  // PHP: 32-bit integers (larger ones travel as exact floats), no big integers, and an empty object
  // comes back as an empty array (PHP has one array type).
  php: {
    arbitrary: fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: 'small' },
        fc.constant(null),
        fc.boolean(),
        fc.integer(),
        fc.double({ noNaN: false }),
        fc.string({ unit: 'grapheme' }),
        fc.array(tie('value'), { maxLength: 5 }),
        fc.dictionary(
          fc.string().filter((k) => !/^(0|-?[1-9]\d*)$/.test(k)),
          tie('value'),
          { minKeys: 1, maxKeys: 5 },
        ),
      ),
    })).value,
    code: '<?php\nfunction echo_value($value) {\n  return $value;\n}\n',
    runs: 30,
  },
  c: {
    arbitrary: fc.option(
      fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0')),
      { nil: null },
    ),
    code: 'const char* echo(const char* value) {\n  return value;\n}\n',
    runs: 30,
  },
  cpp: {
    arbitrary: fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0')),
    code: '#include <string>\nstd::string echo(std::string value) {\n  return value;\n}\n',
    runs: 30,
  },
};

describe('values round-trip through each interpreter', () => {
  const executor = new SandboxExecutor({ poolSize: 1 });
  afterAll(() => executor.close());

  it.each(SUPPORTED_LANGUAGES.map((language) => [language]))('%s', async (language) => {
    const { arbitrary, code, runs } = CAPABILITIES[language];
    const session = await executor.createSession({ language, code });
    const functionName = language === 'php' ? 'echo_value' : 'echo';
    try {
      await fc.assert(
        fc.asyncProperty(arbitrary, async (value) => {
          const result = await session.invoke({ functionName, args: [value] });
          expect(result.status, JSON.stringify(result.error)).toBe('success');
          expect(result.result).toEqual(value);
        }),
        { numRuns: runs },
      );
    } finally {
      await session.close();
    }
  });
});
