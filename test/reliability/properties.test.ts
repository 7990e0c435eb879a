/**
 * Property-based tests (fast-check): SIP frames round-trip for arbitrary payloads, and arbitrary values
 * round-trip through a real interpreter's identity function in every language.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxExecutor } from '../../src/index.js';
import { CONFORMANCE_COLUMNS } from '../conformance/columns.js';
import { decodeSipFrame, encodeSipFrame } from '../../src/protocol/sip.js';
import { decodeWireJson, encodeWireValue } from '../../src/protocol/wire-value.js';
import { wireValue } from '../conformance/wire-arbitrary.js';

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

describe('values round-trip through each interpreter', () => {
  const executor = new SandboxExecutor({ poolSize: 1 });
  afterAll(() => executor.close());

  it.each(CONFORMANCE_COLUMNS.map((column) => [column.language, column]))('%s', async (language, column) => {
    const { arbitrary, code, functionName, runs } = column.roundTrip;
    const session = await executor.createSession({ language, code });
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
