/**
 * The documentation's runnable samples (```ts run / ```js run blocks in README.md and docs/) are
 * type-checked with `tsc --strict` and run as written, against the built package; a ```text output block
 * after a sample is what it must print.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentationSamples } from '../helpers/doc-samples.js';
import { command, ROOT } from '../helpers/packed-package.js';

const samples = documentationSamples(ROOT);
let dir: string;

/** File name of a sample: its location, made safe. */
const fileOf = (location: string) => location.replace(/[^A-Za-z0-9]+/g, '-');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-doc-samples-'));
  // The samples import the package by its name: this repository, as built for the tests.
  await mkdir(join(dir, 'node_modules', '@types'), { recursive: true });
  await symlink(ROOT, join(dir, 'node_modules', 'sandbox-executor'), 'dir');
  await symlink(join(ROOT, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'), 'dir');
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'doc-samples', private: true, type: 'module' }));
  for (const sample of samples) {
    const name = fileOf(sample.location);
    if (sample.language === 'ts') await writeFile(join(dir, `${name}.mts`), sample.code);
    const { code } = sample.language === 'ts' ? await transform(sample.code, { loader: 'ts', format: 'esm', target: 'node20' }) : sample;
    await writeFile(join(dir, `${name}.mjs`), code);
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('documentation samples', () => {
  it('the pages the issue found broken have runnable samples', () => {
    const pages = new Set(samples.map((sample) => sample.location.replace(/:\d+$/, '')));
    for (const page of ['README.md', 'docs/getting-started.md', 'docs/filesystem.md', 'docs/sessions.md', 'docs/server.md', 'docs/languages/cpp.md']) expect(pages, page).toContain(page);
  });

  it('every TypeScript sample type-checks under tsc --strict', async () => {
    const compilerOptions = { strict: true, skipLibCheck: false, types: ['node'], module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', lib: ['es2022'], noEmit: true };
    await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['*.mts'] }));
    await command(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir], { cwd: dir });
  });

  it.each(samples.map((sample) => [sample.location, sample] as const))('%s runs', async (_location, sample) => {
    // Each sample runs in a folder of its own: what it writes stays there.
    const cwd = await mkdtemp(join(dir, 'run-'));
    const stdout = await command(process.execPath, [join(dir, `${fileOf(sample.location)}.mjs`)], { cwd, timeout: 120_000 });
    if (sample.output !== undefined) expect(stdout.trimEnd()).toBe(sample.output.trimEnd());
  });
});
