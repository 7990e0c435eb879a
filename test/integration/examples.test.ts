/**
 * The examples in examples/ run as they are, through the package's own name (the built dist/).
 */
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

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
