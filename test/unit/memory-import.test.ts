import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importMemory, MEMORY_IMPORT } from '../../src/runtime/memory-import.js';
import { runtimeBinariesDir } from '../../src/runtime/package-paths.js';

// (module (memory 2) (func (export "grow") (param i32) (result i32) local.get 0 memory.grow) (export "memory" (memory 0)))
const TINY = Uint8Array.from([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x02, 0x07,
  0x11, 0x02, 0x04, 0x67, 0x72, 0x6f, 0x77, 0x00, 0x00, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x0a, 0x08, 0x01, 0x06, 0x00, 0x20, 0x00, 0x40,
  0x00, 0x0b,
]);

describe('memory import rewrite', () => {
  it('turns a defined memory into an import that a bounded memory satisfies', async () => {
    expect(WebAssembly.validate(TINY)).toBe(true);
    const { bytes, minPages } = importMemory(TINY);
    expect(minPages).toBe(2);
    const module = await WebAssembly.compile(bytes);
    expect(WebAssembly.Module.imports(module)).toEqual([{ module: MEMORY_IMPORT.module, name: MEMORY_IMPORT.name, kind: 'memory' }]);
    const memory = new WebAssembly.Memory({ initial: 2, maximum: 4 });
    const instance = new WebAssembly.Instance(module, { [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory } });
    const grow = instance.exports.grow as (pages: number) => number;
    expect(grow(2)).toBe(2); // old size
    expect(grow(1)).toBe(-1); // over the maximum: the guest sees an allocation failure
    expect(instance.exports.memory).toBe(memory);
  });

  it('rewrites the shipped Python interpreter', async () => {
    const wasm = readFileSync(join(runtimeBinariesDir(), 'python-3.11.3.wasm'));
    const { bytes } = importMemory(wasm);
    const module = await WebAssembly.compile(bytes);
    const memoryImports = WebAssembly.Module.imports(module).filter((i) => i.kind === 'memory');
    expect(memoryImports).toEqual([{ module: MEMORY_IMPORT.module, name: MEMORY_IMPORT.name, kind: 'memory' }]);
  });

  it('refuses input that is not WebAssembly', () => {
    expect(() => importMemory(Buffer.from('not wasm at all'))).toThrowError(/WebAssembly/);
  });
});
