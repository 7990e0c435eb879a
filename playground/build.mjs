// Builds the web playground into dist/playground/: one script and one style sheet bundled by esbuild (CodeMirror
// included, nothing loaded from a CDN), named by a hash of their content so that the server can let browsers
// cache them for good, and index.html pointing at them. Each language's grammar is a chunk of its own
// (chunks/), loaded when the language is chosen. Run by `npm run build` after tsup (whose `clean`
// empties dist/).
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'playground');

await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const result = await build({
  entryPoints: { app: join(here, 'src', 'main.ts') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome109', 'firefox115', 'safari16'],
  entryNames: '[name]-[hash]',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  outdir: out,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});
const outputs = Object.keys(result.metafile.outputs)
  .filter((file) => !file.includes('/chunks/'))
  .map((file) => basename(file));
const script = outputs.find((file) => file.endsWith('.js'));
const styles = outputs.find((file) => file.endsWith('.css'));
if (!script || !styles) throw new Error(`The playground build made ${outputs.join(', ')}: expected one .js and one .css file.`);
// The chunks the script imports statically are fetched at once, not after the script has been read.
const entry = Object.values(result.metafile.outputs).find((output) => output.entryPoint !== undefined);
const preloads = entry.imports
  .filter((imported) => imported.kind === 'import-statement')
  .map((imported) => `<link rel="modulepreload" href="chunks/${basename(imported.path)}" />`)
  .join('\n    ');
const page = (await readFile(join(here, 'index.html'), 'utf8'))
  .replace('{{SCRIPT}}', script)
  .replace('{{STYLES}}', styles)
  .replace('<!-- {{PRELOADS}} -->', preloads);
await writeFile(join(out, 'index.html'), page);
