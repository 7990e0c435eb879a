/**
 * The examples in examples/ run as they are, through the package's own name (the built dist/).
 */
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { command, ROOT } from '../helpers/packed-package.js';

const EXAMPLES = fileURLToPath(new URL('../../examples/', import.meta.url));
// By URL: the examples are plain JavaScript, loaded as a user would run them.
const example = (path: string) => import(pathToFileURL(join(EXAMPLES, path)).href);

describe('examples/serverless-handler', async () => {
  const { handler, executor } = await example('serverless-handler/handler.mjs');
  afterAll(() => executor.close());
  const event = (body: unknown) => ({ body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('answers 200 with the result', async () => {
    const response = await handler(event({ language: 'python', code: 'def area(w, h):\n    return w * h\n', args: [3, 4] }));
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ status: 'success', result: 12 });
  });

  it('answers 422 when the function fails, 400 for bad requests', async () => {
    const failed = await handler(event({ language: 'ruby', code: 'def f\n  raise "no"\nend\n' }));
    expect(failed.statusCode).toBe(422);
    expect(JSON.parse(failed.body).error.type).toBe('RuntimeError');
    expect((await handler(event('{oops'))).statusCode).toBe(400);
    const unknown = await handler(event({ language: 'cobol', code: 'x' }));
    expect(unknown.statusCode).toBe(400);
    expect(JSON.parse(unknown.body).code).toBe('UNSUPPORTED_LANGUAGE');
  });
});

describe('examples/data-transform', () => {
  it('summarizes the CSV files and syncs only summary/ back', async () => {
    const { transform } = await example('data-transform/transform.mjs');
    const folder = await mkdtemp(join(tmpdir(), 'example-transform-'));
    try {
      await cp(join(EXAMPLES, 'data-transform', 'data'), folder, { recursive: true });
      const inputsBefore = await readFile(join(folder, 'input', 'january.csv'), 'utf8');
      const result = await transform(folder);
      expect(result.status).toBe('success');
      expect(result.result).toEqual({ east: 7.25, north: 12.5, south: 4 });
      expect(JSON.parse(await readFile(join(folder, 'summary', 'totals.json'), 'utf8'))).toEqual({ east: 7.25, north: 12.5, south: 4 });
      expect(await readFile(join(folder, 'input', 'january.csv'), 'utf8')).toBe(inputsBefore);
      // A second run writes the same summary again: nothing changes on disk.
      expect((await transform(folder)).files.modified.map((c: { virtualPath: string }) => c.virtualPath)).toEqual([]);
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });
});

describe('examples run directly', () => {
  it('from any path (relative, with spaces, through a link), without writing next to themselves', async () => {
    // A copy of examples/ in a folder whose name has a space, reached through a symbolic link, with the
    // package installed next to it.
    const dir = await mkdtemp(join(tmpdir(), 'examples run-'));
    try {
      const copy = join(dir, 'my examples');
      await cp(EXAMPLES, copy, { recursive: true });
      await mkdir(join(dir, 'node_modules'));
      await symlink(ROOT, join(dir, 'node_modules', 'sandbox-executor'), 'dir');
      await symlink(copy, join(dir, 'linked'), 'dir');
      const before = await readdir(join(copy, 'data-transform', 'data'));

      const transformOut = await command(process.execPath, [relative(dir, join(copy, 'data-transform', 'transform.mjs'))], { cwd: dir });
      expect(transformOut).toMatch(/^success \{ /m);
      expect(await readdir(join(copy, 'data-transform', 'data'))).toEqual(before);
      // The temporary copy it worked on got the summary.
      const folder = /^folder: (.*)$/m.exec(transformOut)![1]!;
      try {
        expect(JSON.parse(await readFile(join(folder, 'summary', 'totals.json'), 'utf8'))).toEqual({ east: 7.25, north: 12.5, south: 4 });
      } finally {
        await rm(folder, { recursive: true, force: true });
      }

      const handlerOut = await command(process.execPath, [join(dir, 'linked', 'serverless-handler', 'handler.mjs')], { cwd: dir });
      expect(handlerOut).toContain('statusCode: 200');
      expect(handlerOut).toContain('"result":12');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
