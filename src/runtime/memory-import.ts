/**
 * Rewrites a WebAssembly module so that its linear memory is imported instead of defined.
 *
 * None of the shipped interpreters declares a memory maximum, so an instance could grow to 4 GiB, and
 * worker `resourceLimits` do not bound WebAssembly memory. Importing the memory lets the worker create it
 * per instance with `new WebAssembly.Memory({ initial, maximum })`: one compiled module then serves every
 * memory limit, the guest sees a clean allocation failure at the cap (Python raises `MemoryError`), and the
 * worker can read the peak size of the memory after a run.
 */

/** Module and field name under which the rewritten module imports its memory. */
export const MEMORY_IMPORT = { module: 'sandbox', name: 'memory' } as const;

/** Size of a WebAssembly page in bytes. */
export const WASM_PAGE_BYTES = 65_536;

/** The most memory a wasm32 instance can address, in MiB (65 536 pages of 64 KiB). */
export const WASM32_MAX_MEMORY_MB = 4096;

/** A module whose memory has been turned into an import. */
export interface MemoryImportingModule {
  /** The rewritten module bytes. */
  bytes: Uint8Array;
  /** Initial size of the memory, in pages, as the original module declared it. */
  minPages: number;
}

const SECTION_IMPORT = 2;
const SECTION_MEMORY = 5;
const IMPORT_KIND_MEMORY = 0x02;

/**
 * Moves the single defined memory of `wasm` into the import section.
 *
 * @throws Error when the module is not WebAssembly, defines no memory or several, or already imports one
 */
export function importMemory(wasm: Uint8Array): MemoryImportingModule {
  const reader = new ByteReader(wasm);
  const magic = reader.bytes(8);
  if (magic[0] !== 0x00 || magic[1] !== 0x61 || magic[2] !== 0x73 || magic[3] !== 0x6d) {
    throw new Error('Not a WebAssembly module');
  }

  const sections: { id: number; body: Uint8Array }[] = [];
  while (!reader.done) {
    const id = reader.byte();
    const size = reader.u32();
    sections.push({ id, body: reader.bytes(size) });
  }

  const memoryIndex = sections.findIndex((s) => s.id === SECTION_MEMORY);
  if (memoryIndex < 0) throw new Error('Module defines no memory');
  const memoryBody = new ByteReader(sections[memoryIndex].body);
  if (memoryBody.u32() !== 1) throw new Error('Module must define exactly one memory');
  const flags = memoryBody.byte();
  if (flags & ~0x01) throw new Error(`Unsupported memory limits flags 0x${flags.toString(16)}`);
  const minPages = memoryBody.u32();

  const memoryImport = concat([name(MEMORY_IMPORT.module), name(MEMORY_IMPORT.name), Uint8Array.of(IMPORT_KIND_MEMORY, 0x00), leb128(minPages)]);

  const importIndex = sections.findIndex((s) => s.id === SECTION_IMPORT);
  if (importIndex >= 0) {
    const body = new ByteReader(sections[importIndex].body);
    const count = body.u32();
    const entries = body.rest();
    assertNoMemoryImport(entries, count);
    sections[importIndex] = { id: SECTION_IMPORT, body: concat([leb128(count + 1), entries, memoryImport]) };
    sections.splice(memoryIndex, 1);
  } else {
    // The import section goes right after the type section (id 1), before any function section.
    sections.splice(memoryIndex, 1);
    const at = sections.findIndex((s) => s.id !== 0 && s.id > SECTION_IMPORT);
    sections.splice(at < 0 ? sections.length : at, 0, { id: SECTION_IMPORT, body: concat([leb128(1), memoryImport]) });
  }

  const parts: Uint8Array[] = [magic];
  for (const section of sections) parts.push(Uint8Array.of(section.id), leb128(section.body.byteLength), section.body);
  return { bytes: concat(parts), minPages };
}

function assertNoMemoryImport(entries: Uint8Array, count: number): void {
  const reader = new ByteReader(entries);
  for (let i = 0; i < count; i++) {
    reader.bytes(reader.u32());
    reader.bytes(reader.u32());
    const kind = reader.byte();
    switch (kind) {
      case 0x00: // function: type index
        reader.u32();
        break;
      case 0x01: {
        // table: reftype + limits
        reader.byte();
        const f = reader.byte();
        reader.u32();
        if (f & 1) reader.u32();
        break;
      }
      case 0x02:
        throw new Error('Module already imports a memory');
      case 0x03: // global: valtype + mutability
        reader.byte();
        reader.byte();
        break;
      default:
        throw new Error(`Unknown import kind 0x${kind.toString(16)}`);
    }
  }
}

class ByteReader {
  private offset = 0;
  constructor(private readonly data: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.data.byteLength;
  }

  byte(): number {
    if (this.offset >= this.data.byteLength) throw new Error('Unexpected end of module');
    return this.data[this.offset++];
  }

  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 35) throw new Error('LEB128 value too long');
    }
  }

  bytes(count: number): Uint8Array {
    if (this.offset + count > this.data.byteLength) throw new Error('Unexpected end of module');
    const out = this.data.subarray(this.offset, this.offset + count);
    this.offset += count;
    return out;
  }

  rest(): Uint8Array {
    return this.bytes(this.data.byteLength - this.offset);
  }
}

function leb128(value: number): Uint8Array {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return Uint8Array.from(out);
}

function name(text: string): Uint8Array {
  const bytes = new TextEncoder().encode(text);
  return concat([leb128(bytes.byteLength), bytes]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
