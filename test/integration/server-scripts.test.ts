/**
 * Scripts over HTTP: `POST /exec` without `functionName` runs the code as `executor.run()` does, waiting
 * for the answer or in the background (`?wait=false`) with its events over Server-Sent Events.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxExecutor } from '../../src/index.js';
import { createSandboxServer, type SandboxServer } from '../../src/server/index.js';
import { post, readEvents } from '../helpers/http-client.js';

const executor = new SandboxExecutor({ poolSize: 2 });
let server: SandboxServer;
let base: string;

beforeAll(async () => {
  server = createSandboxServer({ executor, maxTimeoutMs: 5_000 });
  const { port } = await server.listen(0);
  base = `http://127.0.0.1:${port}/api/sandbox`;
});
afterAll(async () => {
  await server.close();
  await executor.close();
});

describe('POST /exec without functionName', () => {
  it('runs the code as a script, with stdin, env and argv; the answer carries exitCode and the last value', async () => {
    const response = await post(base, '/exec', {
      language: 'python',
      code: 'import os, sys\nline = sys.stdin.readline().strip()\nprint(line, os.environ["MODE"], sys.argv[1:])\nlen(line)\n',
      stdin: 'hello\n',
      env: { MODE: 'test' },
      argv: ['--fast'],
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as any;
    expect(body).toMatchObject({ status: 'success', exitCode: 0, stdout: "hello test ['--fast']\n", result: 5, functionName: '' });
  });

  it('a script that defines a function does not call it; an exit code other than 0 is an error', async () => {
    const defines = (await (await post(base, '/exec', { language: 'python', code: 'def f():\n    print("called")\n' })).json()) as any;
    expect(defines).toMatchObject({ status: 'success', exitCode: 0, stdout: '' });
    const exits = (await (await post(base, '/exec', { language: 'ruby', code: 'puts "bye"\nexit 3\n' })).json()) as any;
    expect(exits).toMatchObject({ status: 'error', exitCode: 3, stdout: 'bye\n' });
  });

  it('a C program runs its own main with argv and stdin', async () => {
    const code =
      '#include <stdio.h>\nint main(int argc, char **argv) {\n  int n = 0;\n  scanf("%d", &n);\n  printf("%s %d\\n", argv[1], n * 2);\n  return 4;\n}\n';
    const body = (await (await post(base, '/exec', { language: 'c', code, stdin: '21', argv: ['twice'] })).json()) as any;
    expect(body).toMatchObject({ status: 'error', exitCode: 4, stdout: 'twice 42\n' });
  });

  it('arguments without a function name still call the only function; kind says which explicitly', async () => {
    const code = 'def double(x):\n    return x * 2\n';
    expect(((await (await post(base, '/exec', { language: 'python', code, args: [4] })).json()) as any).result).toBe(8);
    const asCall = (await (await post(base, '/exec', { language: 'python', code: 'def one():\n    return 1\n', kind: 'call' })).json()) as any;
    expect(asCall).toMatchObject({ status: 'success', result: 1, functionName: 'one' });
    const contradicting = await post(base, '/exec', { language: 'python', code, kind: 'script', args: [4] });
    expect(contradicting.status).toBe(400);
    expect(((await contradicting.json()) as any).error).toMatchObject({ code: 'INVALID_REQUEST', field: 'args' });
    const unknownKind = await post(base, '/exec', { language: 'python', code, kind: 'notebook' });
    expect(((await unknownKind.json()) as any).error).toMatchObject({ code: 'INVALID_REQUEST', field: 'kind' });
  });

  it('?wait=false runs it in the background; /events streams its output, then its result with exitCode', async () => {
    const code = 'import sys\nfor i in range(3):\n    print("line", i, flush=True)\nprint("oops", file=sys.stderr)\nsys.exit(2)\n';
    const started = await post(base, '/exec?wait=false', { language: 'python', code });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as any;
    const events = await readEvents(await fetch(`${base}/exec/${id}/events`));
    const output = events.filter((e) => e.event === 'execution-output');
    expect(
      output
        .filter((e) => e.data.stream === 'stdout')
        .map((e) => e.data.data)
        .join(''),
    ).toBe('line 0\nline 1\nline 2\n');
    expect(
      output
        .filter((e) => e.data.stream === 'stderr')
        .map((e) => e.data.data)
        .join(''),
    ).toBe('oops\n');
    expect(events.at(-1)).toMatchObject({ event: 'execution-complete', data: { id, result: { status: 'error', exitCode: 2, error: { type: 'Exit' } } } });
  });
});
