/**
 * The documentation's runnable samples (```ts run / ```js run blocks in README.md and docs/) are
 * type-checked with `tsc --strict` and run as written, against the built package; a ```text output block
 * after a sample is what it must print.
 *
 * The samples run one after another in one Node process (each in a folder of its own, its stdout
 * captured), so that interpreters and clang load once rather than once per sample.
 */
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transform } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentationSamples } from '../helpers/doc-samples.js';
import { command, ROOT } from '../helpers/packed-package.js';

const samples = documentationSamples(ROOT);
let dir: string;
/** What each sample printed, or how it failed, by file name. */
let report: Record<string, { stdout: string; error?: string }>;

/**
 * Runs the sample modules given as arguments in order: each in a fresh working folder, with its stdout
 * captured; writes what each printed (or its error) to report.json.
 */
const RUNNER = `
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
const home = process.cwd();
const write = process.stdout.write.bind(process.stdout);
const report = {};
for (const file of process.argv.slice(2)) {
  let stdout = '';
  process.stdout.write = (chunk, ...rest) => {
    stdout += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const done = rest.find((arg) => typeof arg === 'function');
    if (done) done();
    return true;
  };
  process.chdir(mkdtempSync(join(home, 'run-')));
  try {
    await import(pathToFileURL(join(home, file)).href);
    report[file] = { stdout };
  } catch (error) {
    report[file] = { stdout, error: String(error?.stack ?? error) };
  } finally {
    process.stdout.write = write;
  }
}
writeFileSync(join(home, 'report.json'), JSON.stringify(report));
`;

/** File name of a sample: its location, made safe. */
const fileOf = (location: string) => location.replace(/[^A-Za-z0-9]+/g, '-');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-doc-samples-'));
  // The samples import the package by its name: this repository, as built for the tests.
  await mkdir(join(dir, 'node_modules', '@types'), { recursive: true });
  await symlink(ROOT, join(dir, 'node_modules', 'sandbox-executor'), 'dir');
  await symlink(join(ROOT, 'node_modules', '@types', 'node'), join(dir, 'node_modules', '@types', 'node'), 'dir');
  // The WebSocket clients of docs/server.md use `ws` (Node 20 has no WebSocket of its own).
  await symlink(join(ROOT, 'node_modules', 'ws'), join(dir, 'node_modules', 'ws'), 'dir');
  await symlink(join(ROOT, 'node_modules', '@types', 'ws'), join(dir, 'node_modules', '@types', 'ws'), 'dir');
  await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'doc-samples', private: true, type: 'module' }));
  for (const sample of samples) {
    const name = fileOf(sample.location);
    if (sample.language === 'ts') await writeFile(join(dir, `${name}.mts`), sample.code);
    const { code } = sample.language === 'ts' ? await transform(sample.code, { loader: 'ts', format: 'esm', target: 'node20' }) : sample;
    await writeFile(join(dir, `${name}.mjs`), code);
  }
  await writeFile(join(dir, 'runner.mjs'), RUNNER);
  await command(process.execPath, ['runner.mjs', ...samples.map((sample) => `${fileOf(sample.location)}.mjs`)], { cwd: dir, timeout: 300_000 });
  report = JSON.parse(await readFile(join(dir, 'report.json'), 'utf8'));
}, 300_000);
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

  it.each(samples.map((sample) => [sample.location, sample] as const))('%s runs', (_location, sample) => {
    const ran = report[`${fileOf(sample.location)}.mjs`];
    expect(ran, 'the sample ran').toBeDefined();
    expect(ran!.error).toBeUndefined();
    if (sample.output !== undefined) expect(ran!.stdout.trimEnd()).toBe(sample.output.trimEnd());
  });
});
