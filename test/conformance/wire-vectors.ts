/**
 * The wire vectors of test/fixtures/wire-vectors.json: values every proxy must read and write exactly.
 */
import { readFileSync } from 'node:fs';

/** What a proxy must read a wire value as, in terms common to every language. */
export type WireKind = 'null' | 'boolean' | 'integer' | 'float' | 'string' | 'bytes' | 'list' | 'map';

/** One vector: a value as the host writes it on the wire, and the kind a proxy must read it as. */
export interface WireVector {
  name: string;
  wire: unknown;
  kind: WireKind;
}

export const WIRE_VECTORS: readonly WireVector[] = (
  JSON.parse(readFileSync(new URL('../fixtures/wire-vectors.json', import.meta.url), 'utf8')) as { vectors: WireVector[] }
).vectors;
