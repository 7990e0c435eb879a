/**
 * Linear memories of ended runs, kept for the next run of the same size and limit. A new memory costs
 * the mapping of every page the program touches (page faults: most of the start-up of a pre-initialized
 * interpreter, whose snapshot fills its initial pages); a reused one costs zeroing it.
 *
 * Only a memory that never grew is kept, and it is zeroed before it is handed out again: with the data
 * segments that instantiation writes, the next program finds exactly what a new memory would give it,
 * its size (from which the run's peak is read) included.
 */
import { WASM_PAGE_BYTES } from '../memory-import.js';

export class MemoryRecycler {
  private spare: { memory: WebAssembly.Memory; initial: number; maximum: number } | undefined;

  /** A memory of `initial` pages that can grow to `maximum`: the spare one when it fits, zeroed, else a new one. */
  take(initial: number, maximum: number): WebAssembly.Memory {
    const spare = this.spare;
    if (spare && spare.initial === initial && spare.maximum === maximum) {
      this.spare = undefined;
      new Uint8Array(spare.memory.buffer).fill(0);
      return spare.memory;
    }
    return new WebAssembly.Memory({ initial, maximum });
  }

  /** Takes back the memory of a run that has ended (nothing may use it any more); kept if it never grew. */
  give(memory: WebAssembly.Memory, initial: number, maximum: number): void {
    if (memory.buffer.byteLength !== initial * WASM_PAGE_BYTES) return;
    // Zeroed when taken, off the path of the run that just ended.
    this.spare = { memory, initial, maximum };
  }
}
