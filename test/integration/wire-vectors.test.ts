/**
 * Every proxy reads and writes the wire vectors (test/fixtures/wire-vectors.json) exactly: `echo` gives
 * each one back as the same value, which the host writes as the same wire JSON, and `wire_kind` says the
 * proxy read it as a value of the vector's kind. A round trip alone could hide a mistake made the same
 * way in both directions; the kind cannot.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxExecutor } from '../../src/index.js';
import { decodeWireJson, encodeWireValue } from '../../src/protocol/wire-value.js';
import { CONFORMANCE_RUNS } from '../conformance/columns.js';
import { WIRE_VECTORS } from '../conformance/wire-vectors.js';

const executor = new SandboxExecutor({ poolSize: 2 });
afterAll(() => executor.close());

describe.each(CONFORMANCE_RUNS.map((run) => [run.label, run]))('%s', (_label, { column, runtime }) => {
  const language = column.language;
  const vectors = WIRE_VECTORS.filter((vector) => column.wireVectors.skip?.[vector.name] === undefined);

  it('gives every vector back exactly', async () => {
    const session = await executor.createSession({ language, runtime, code: column.echo });
    try {
      for (const vector of vectors) {
        const value = decodeWireJson(JSON.stringify(vector.wire));
        const result = await session.invoke({ functionName: 'echo', args: [value] });
        expect(result.status, `${vector.name}: ${JSON.stringify(result.error)}`).toBe('success');
        expect(result.result, vector.name).toEqual(value);
        expect(JSON.stringify(encodeWireValue(result.result, 'result')), vector.name).toBe(JSON.stringify(vector.wire));
      }
    } finally {
      await session.close();
    }
  });

  it.runIf(column.wireVectors.scalarsOnly !== true)('gives them all back at once, in a list and in an object', async () => {
    // One value holding every vector: a proxy that writes large values by a faster path than its walk
    // (Python's C encoder) must send the tags inside it exactly as the walk would.
    const session = await executor.createSession({ language, runtime, code: column.echo });
    try {
      const list = vectors.map((vector) => decodeWireJson(JSON.stringify(vector.wire)));
      const object = Object.fromEntries(vectors.map((vector, index) => [`v${index}`, list[index]]));
      for (const value of [list, object]) {
        const result = await session.invoke({ functionName: 'echo', args: [value] });
        expect(result.status, JSON.stringify(result.error)).toBe('success');
        expect(result.result).toEqual(value);
        expect(JSON.stringify(encodeWireValue(result.result, 'result'))).toBe(JSON.stringify(encodeWireValue(value, 'value')));
      }
    } finally {
      await session.close();
    }
  });

  it.runIf(column.wireVectors.kindOf !== undefined)('reads every vector as a value of its kind', async () => {
    const session = await executor.createSession({ language, runtime, code: column.wireVectors.kindOf! });
    try {
      for (const vector of vectors) {
        const result = await session.invoke({ functionName: 'wire_kind', args: [decodeWireJson(JSON.stringify(vector.wire))] });
        expect(result.result, `${vector.name}: ${JSON.stringify(result.error)}`).toBe(vector.kind);
      }
    } finally {
      await session.close();
    }
  });
});
