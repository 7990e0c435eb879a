/**
 * The committed Python runtime (runtimes/python/) is what its recorded build produced: CI never rebuilds
 * it, so these checks are what ties the binary to the recipe in the repository.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliDecompressSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { PYTHON_RUNTIME_FILES, PYTHON_STDLIB_PATH, readPythonRuntime } from '../../src/runtime/python-runtime.js';

const DIR = fileURLToPath(new URL('../../runtimes/python/', import.meta.url));
const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

interface BuildInfo {
  artifacts: Record<string, { sha256: string; bytes: number; uncompressedSha256: string; uncompressedBytes: number }>;
  recipe: Record<string, string>;
  inputs: Record<string, string>;
}
const info = JSON.parse(readFileSync(join(DIR, 'build-info.json'), 'utf8')) as BuildInfo;

/** Files of runtimes/python/ that are outputs or documentation, not part of the recipe. */
const NOT_RECIPE = new Set(['build-info.json', 'LICENSE', 'README.md', '.gitignore', ...Object.values(PYTHON_RUNTIME_FILES)]);

describe('the committed Python runtime', () => {
  it('ships exactly the artifacts the loader reads', () => {
    expect(Object.keys(info.artifacts).sort()).toEqual(Object.values(PYTHON_RUNTIME_FILES).sort());
  });

  for (const name of Object.values(PYTHON_RUNTIME_FILES)) {
    it(`${name} matches its recorded checksums, compressed and decompressed`, () => {
      const compressed = readFileSync(join(DIR, name));
      expect({ sha256: sha256(compressed), bytes: compressed.byteLength }).toEqual({ sha256: info.artifacts[name].sha256, bytes: info.artifacts[name].bytes });
      const raw = brotliDecompressSync(compressed);
      expect({ sha256: sha256(raw), bytes: raw.byteLength }).toEqual({
        sha256: info.artifacts[name].uncompressedSha256,
        bytes: info.artifacts[name].uncompressedBytes,
      });
    });
  }

  it('is what the loader reads: the module, and the standard library in memory every worker shares', async () => {
    const { wasm, baseFiles } = await readPythonRuntime();
    expect(sha256(wasm)).toBe(info.artifacts[PYTHON_RUNTIME_FILES.wasm].uncompressedSha256);
    expect(baseFiles.map((file) => file.path)).toEqual([PYTHON_STDLIB_PATH]);
    expect(sha256(baseFiles[0].data)).toBe(info.artifacts[PYTHON_RUNTIME_FILES.stdlib].uncompressedSha256);
    expect(baseFiles[0].data.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('was built from the recipe files as they are now (edit one, and the runtime must be rebuilt)', () => {
    const recipe = Object.fromEntries(Object.keys(info.recipe).map((file) => [file, sha256(readFileSync(join(DIR, file)))]));
    expect(recipe).toEqual(info.recipe);
  });

  it('records every file of the recipe', () => {
    const files = readdirSync(DIR, { withFileTypes: true })
      .filter((entry) => entry.isFile() && !NOT_RECIPE.has(entry.name))
      .map((entry) => entry.name);
    expect(files.sort()).toEqual(Object.keys(info.recipe).sort());
  });

  it('records its inputs: source tarballs with their SHA-256, compiler, flags without -O0', () => {
    for (const source of ['python', 'zlib', 'sqlite', 'bzip2', 'xz']) expect(info.inputs[source]).toMatch(/^[\w.+~-]+\.orig\.tar\.\w+:[0-9a-f]{64}$/);
    expect(info.inputs.clang).toMatch(/clang version \d+/);
    expect(info.inputs.cflags).toMatch(/(^| )-O2( |$)/);
    expect(`${info.inputs.cflags} ${info.inputs.opt}`).not.toMatch(/-O[0s1gz]\b/);
  });
});
