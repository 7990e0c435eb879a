/**
 * Loads each runtime once per process: reads the interpreter binary, rewrites it to import its memory,
 * compiles it to a `WebAssembly.Module` (shared with every worker, so compiled code is shared too), and
 * extracts its base filesystem.
 */
import { RuntimeUnavailableError } from '../errors.js';
import { contentDigest } from './content-digest.js';
import { importMemory } from './memory-import.js';
import type { RuntimeBinary } from './runtime-binary.js';
import { readTarGz } from './tar.js';
import type { JobFile, RuntimeId } from './worker-protocol.js';

/** A runtime ready to be sent to workers. */
export interface RuntimeAssets {
  id: RuntimeId;
  module: WebAssembly.Module;
  minPages: number;
  baseFiles: JobFile[];
  baseDirs: string[];
}

const loading = new Map<RuntimeId, Promise<RuntimeAssets>>();

/** Programs compiled at run time, most recently used last. Bounded: each holds compiled machine code. */
const programs = new Map<RuntimeId, RuntimeAssets>();
const MAX_PROGRAMS = 128;

/**
 * Makes a WebAssembly program built at run time (a compiled C function) runnable, and returns it as a
 * runtime with the id `program:<sha-256 of the bytes>`. The same bytes give the same id and are compiled once.
 */
export async function registerProgram(wasm: Uint8Array): Promise<RuntimeBinary> {
  const id: RuntimeId = `program:${contentDigest(wasm)}`;
  const known = programs.get(id);
  if (known) {
    programs.delete(id);
    programs.set(id, known);
  } else {
    const { module, minPages } = await compileProgramModule(wasm);
    programs.set(id, { id, module, minPages, baseFiles: [], baseDirs: [] });
    while (programs.size > MAX_PROGRAMS) programs.delete(programs.keys().next().value!);
  }
  return {
    id,
    description: `the compiled program ${id}`,
    read: () => Promise.reject(programGone(id)),
  };
}

function programGone(id: RuntimeId): RuntimeUnavailableError {
  return new RuntimeUnavailableError(`The compiled program ${id} is no longer cached; plan the call again.`);
}

/** Whether a runtime is a program compiled at run time (sent with each run rather than once per worker). */
export function isProgramRuntime(id: RuntimeId): id is `program:${string}` {
  return id.startsWith('program:');
}

/** The assets of a runtime, loaded on first use and cached (by its id) for the life of the process. */
export function loadRuntimeAssets(binary: RuntimeBinary): Promise<RuntimeAssets> {
  const id = binary.id;
  if (isProgramRuntime(id)) {
    const program = programs.get(id);
    return program ? Promise.resolve(program) : Promise.reject(programGone(id));
  }
  let pending = loading.get(id);
  if (!pending) {
    pending = load(binary);
    loading.set(id, pending);
    // A failed load may succeed later (for example after a missing file is restored).
    pending.catch(() => loading.delete(id));
  }
  return pending;
}

/** Compiles a module from bytes produced at run time (a compiled C program), with the memory rewrite. */
export async function compileProgramModule(bytes: Uint8Array): Promise<{ module: WebAssembly.Module; minPages: number }> {
  const rewritten = importMemory(bytes);
  return { module: await WebAssembly.compile(rewritten.bytes), minPages: rewritten.minPages };
}

async function load(binary: RuntimeBinary): Promise<RuntimeAssets> {
  let wasm: Uint8Array;
  let baseFs: Uint8Array | undefined;
  let unpacked: JobFile[] | undefined;
  try {
    ({ wasm, baseFs, baseFiles: unpacked } = await binary.read());
  } catch (error) {
    throw new RuntimeUnavailableError(`Cannot read the runtime ${binary.description}: ${(error as Error).message}`, { cause: error });
  }
  const { module, minPages } = await compileProgramModule(wasm);
  const baseFiles: JobFile[] = unpacked ? [...unpacked] : [];
  const baseDirs: string[] = [];
  if (baseFs) {
    for (const entry of readTarGz(baseFs)) {
      if (entry.kind === 'dir') baseDirs.push(entry.path);
      else baseFiles.push({ path: entry.path, data: entry.data, mtimeMs: entry.mtimeMs });
    }
  }
  return { id: binary.id, module, minPages, baseFiles, baseDirs };
}
