/**
 * The Python runtime this project builds itself (`runtimes/python/`, {@link cpythonBinary}): CPython 3.11 for
 * wasm32-wasi, compiled with optimizations and pre-initialized with Wizer, so that an instance starts with
 * the interpreter already initialized.
 *
 * What the snapshot expects of the sandbox at run time:
 * - `/` is the only preopened directory, as descriptor 3 (wasi-libc keeps the preopen table it found
 *   while initializing); {@link SandboxWASI} presents exactly that;
 * - the standard library is a zip at {@link PYTHON_STDLIB_PATH}, read when a module not imported at build
 *   time is first imported: it is part of the base filesystem, shared by every run;
 * - `_start` reads this run's arguments and environment and runs like `python` would.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { brotliDecompress } from 'node:zlib';
import { RuntimeUnavailableError } from '../errors.js';
import { packageRoot } from './package-paths.js';
import type { RuntimeBinary } from './runtime-binary.js';
import type { JobFile } from './worker-protocol.js';

/** Where the runtime's standard library lives in the sandbox's filesystem (CPython's default zip path). */
export const PYTHON_STDLIB_PATH = '/usr/local/lib/python311.zip';

/** The compressed files that ship in `runtimes/python/`. */
export const PYTHON_RUNTIME_FILES = { wasm: 'python.wasm.br', stdlib: 'python-stdlib.zip.br' } as const;

const decompress = promisify(brotliDecompress);

/** The directory holding the built runtime. */
export function pythonRuntimeDir(): string {
  return join(packageRoot(), 'runtimes', 'python');
}

/** The runtime's module bytes (not yet rewritten or compiled) and its base filesystem. */
export async function readPythonRuntime(): Promise<{ wasm: Uint8Array; baseFiles: JobFile[] }> {
  const dir = pythonRuntimeDir();
  let compressed: [Buffer, Buffer];
  try {
    compressed = await Promise.all([readFile(join(dir, PYTHON_RUNTIME_FILES.wasm)), readFile(join(dir, PYTHON_RUNTIME_FILES.stdlib))]);
  } catch (error) {
    throw new RuntimeUnavailableError(`Cannot read the Python runtime from ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const [wasm, stdlib] = await Promise.all(compressed.map((bytes) => decompress(bytes)));
  // In shared memory, every worker reads the same 21 MB instead of receiving a copy of its own.
  const shared = new Uint8Array(new SharedArrayBuffer(stdlib.byteLength));
  shared.set(stdlib);
  return { wasm, baseFiles: [{ path: PYTHON_STDLIB_PATH, data: shared }] };
}

/** The runtime as a binary a language can declare (see `LanguageRuntime`). */
export const cpythonBinary: RuntimeBinary = {
  id: 'sandbox-executor:cpython-3.11',
  description: 'the CPython 3.11 build in runtimes/python',
  read: readPythonRuntime,
};
