/**
 * The local recipe of docs/scale-out.md, run as written: its `worker.mjs` and `server.mjs` blocks (fenced
 * as ```js file=<name>) in a fresh project that imports the built package, a real redis-server, two
 * worker processes and one server, then the recipe's request. Every wait is on a line a process prints.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/packed-package.js';
import { REDIS_MISSING, startRedis, type RedisServer } from '../helpers/redis-server.js';

/** The recipe's files: blocks whose info string is `js file=<name>`. */
async function recipeFiles(): Promise<Record<string, string>> {
  const markdown = await readFile(join(ROOT, 'docs', 'scale-out.md'), 'utf8');
  const files: Record<string, string> = {};
  for (const match of markdown.matchAll(/^```js file=(\S+)\n([\s\S]*?)^```$/gm)) files[match[1]!] = match[2]!;
  return files;
}

/** Starts `node file` and resolves with the child once it prints a line that matches. */
function startNode(cwd: string, file: string, env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, [file], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (ready.test(line)) resolve({ child, line });
    });
    child.once('exit', (code) => reject(new Error(`${file} exited (${code}) before it was ready:\n${stderr}`)));
  });
}

describe.skipIf(REDIS_MISSING !== undefined)(`docs/scale-out.md: the local recipe${REDIS_MISSING ? ` (skipped: ${REDIS_MISSING})` : ''}`, () => {
  let dir: string | undefined;
  let redis: RedisServer | undefined;
  const children: ChildProcess[] = [];
  afterAll(async () => {
    await Promise.all(
      children.map((child) => (child.exitCode === null && child.signalCode === null ? new Promise((resolve) => (child.once('exit', resolve), child.kill('SIGTERM'))) : undefined)),
    );
    await redis?.dispose();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('two workers and one server answer the recipe request, and stop on SIGTERM', async () => {
    const files = await recipeFiles();
    expect(Object.keys(files).sort()).toEqual(['server.mjs', 'worker.mjs']);
    dir = await mkdtemp(join(tmpdir(), 'sandbox-recipe-'));
    await mkdir(join(dir, 'node_modules'));
    await symlink(ROOT, join(dir, 'node_modules', 'sandbox-executor'), 'dir');
    await writeFile(join(dir, 'package.json'), JSON.stringify({ name: 'recipe', private: true, type: 'module' }));
    for (const [name, code] of Object.entries(files)) await writeFile(join(dir, name), code);
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, PORT: '0' };
    const workers = await Promise.all([0, 1].map(() => startNode(dir!, 'worker.mjs', env, /^worker .* ready$/)));
    children.push(...workers.map((w) => w.child));
    const server = await startNode(dir, 'server.mjs', env, /^server ready on port \d+$/);
    children.push(server.child);
    const port = /port (\d+)/.exec(server.line)![1];

    const response = await fetch(`http://127.0.0.1:${port}/api/sandbox/exec`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ language: 'python', code: 'def add(a, b):\n    return a + b\n', args: [2, 3] }),
    });
    const body = (await response.json()) as { status: string; result: unknown; queue: { attempt: number; worker: string } };
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ status: 'success', result: 5, queue: { attempt: 1 } });
    expect(workers.map((w) => w.line.split(' ')[1])).toContain(body.queue.worker);

    const exits = children.map((child) => new Promise((resolve) => child.once('exit', (code) => resolve(code))));
    for (const child of children) child.kill('SIGTERM');
    expect(await Promise.all(exits)).toEqual([0, 0, 0]);
  });
});
