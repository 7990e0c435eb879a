/**
 * A worker hands the linear memory of a run that ended to the next run of the same size and limit. The
 * next program must find exactly what a new memory would give it: zeros, and its initial size.
 */
import { describe, expect, it } from 'vitest';
import { WASM_PAGE_BYTES } from '../../src/runtime/memory-import.js';
import { MemoryRecycler } from '../../src/runtime/worker/memory-recycler.js';

describe('MemoryRecycler', () => {
  it('hands back the memory of the run before, zeroed', () => {
    const recycler = new MemoryRecycler();
    const first = recycler.take(2, 8);
    new Uint8Array(first.buffer).fill(0xab);
    recycler.give(first, 2, 8);
    const second = recycler.take(2, 8);
    expect(second).toBe(first);
    expect(second.buffer.byteLength).toBe(2 * WASM_PAGE_BYTES);
    expect(new Uint8Array(second.buffer).every((byte) => byte === 0)).toBe(true);
    // Once taken, it is nobody else's: the next run gets a new one.
    expect(recycler.take(2, 8)).not.toBe(first);
  });

  it('keeps neither a memory that grew, nor one for another size or limit', () => {
    const recycler = new MemoryRecycler();
    const grown = recycler.take(1, 8);
    grown.grow(1);
    recycler.give(grown, 1, 8);
    const next = recycler.take(1, 8);
    expect(next).not.toBe(grown);
    expect(next.buffer.byteLength).toBe(WASM_PAGE_BYTES);
    recycler.give(next, 1, 8);
    expect(recycler.take(1, 4)).not.toBe(next);
    recycler.give(next, 1, 8);
    expect(recycler.take(2, 8)).not.toBe(next);
  });
});
