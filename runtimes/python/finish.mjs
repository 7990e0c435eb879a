// Last step of build.sh: compresses the runtime and its standard library with brotli (Node's zlib, so the
// output depends only on the input bytes), and writes build-info.json: the checksums of what ships, of the
// recipe files that produced it, and the inputs (sources, compiler, flags).
//
// Usage: node finish.mjs BUILD_DIR OUT_DIR key=value...
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants } from 'node:zlib';

/** Files of runtimes/python/ that make up the recipe: editing one without rebuilding fails the artifact test. */
export const RECIPE_FILES = [
  'build.sh',
  'config.site',
  'entry.c',
  'entry.mk',
  'finish.mjs',
  'make_stdlib_zip.py',
  'sandbox_runtime.py',
  'Setup.local',
  'sqlite-wasi.h',
  'xz-wasi.h',
  'stdlib-exclude.txt',
];

const ARTIFACTS = [
  { name: 'python.wasm.br', from: 'python.wasm' },
  { name: 'python-stdlib.zip.br', from: 'root/usr/local/lib/python311.zip' },
];

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

function main([buildDir, outDir, ...pairs]) {
  const inputs = Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]));
  const artifacts = {};
  for (const { name, from } of ARTIFACTS) {
    const raw = readFileSync(join(buildDir, from));
    const compressed = brotliCompressSync(raw, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_LGWIN]: 24,
        [constants.BROTLI_PARAM_SIZE_HINT]: raw.byteLength,
      },
    });
    writeFileSync(join(outDir, name), compressed);
    artifacts[name] = { sha256: sha256(compressed), bytes: compressed.byteLength, uncompressedSha256: sha256(raw), uncompressedBytes: raw.byteLength };
  }
  const recipe = Object.fromEntries(RECIPE_FILES.map((file) => [file, sha256(readFileSync(join(outDir, file)))]));
  const info = { runtime: 'CPython 3.11 for wasm32-wasi, pre-initialized with Wizer', artifacts, recipe, inputs };
  writeFileSync(join(outDir, 'build-info.json'), `${JSON.stringify(info, null, 2)}\n`);
  for (const [name, artifact] of Object.entries(artifacts)) {
    console.log(`${name}  sha256 ${artifact.sha256}  ${artifact.bytes} bytes (${artifact.uncompressedBytes} uncompressed)`);
  }
}

main(process.argv.slice(2));
