/**
 * The conformance table: the same scenarios, with the same expectations, for every language, on every
 * runtime it declares. A language adds one column (the file its definition names,
 * test/conformance/<language>.ts), not a test file.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FunctionNotFoundError, InvalidRequestError, SandboxExecutor, SessionClosedError, type ExecutionResult } from '../../src/index.js';
import type { ConformanceScenario } from '../conformance/column.js';
import { CONFORMANCE_RUNS } from '../conformance/columns.js';
import { rejection } from '../helpers/rejection.js';

// Each language's column is the file its definition names (`conformance`), in the registry's order, once
// per runtime of the language.
const RUNS = CONFORMANCE_RUNS;

const executor = new SandboxExecutor({ poolSize: 2 });
afterAll(() => executor.close());

const NESTED = { list: [1, 2.5, 'x', null, true, { deep: [[1, 'two']] }], map: { a: { b: 'c' } }, empty: [] };
const UNICODE = 'héllo wörld, 世界, Привет, 🎉👍🏽';

describe.each(RUNS)('$label', ({ column, runtime }) => {
  const { language } = column;
  const applies = (scenario: ConformanceScenario) => column.skip?.[scenario] === undefined;
  const invoke = (code: string, functionName: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}) =>
    executor.invoke({ language, runtime, code, functionName, args, kwargs });

  it.runIf(applies('add'))('add', async () => {
    expect(await invoke(column.add, 'add', [2, 3])).toMatchObject({ status: 'success', result: 5 });
    expect((await invoke(column.add, 'add', [0.5, -1.25])).result).toBe(-0.75);
  });

  it.runIf(applies('defaults'))('defaults', async () => {
    expect((await invoke(column.greet!, 'greet', ['Ada'])).result).toBe('Hello, Ada!');
  });

  it.runIf(applies('kwargs'))('kwargs', async () => {
    expect((await invoke(column.greet!, 'greet', ['Ada'], { greeting: 'Hey' })).result).toBe('Hey, Ada!');
  });

  it.runIf(applies('variadics'))('variadics', async () => {
    expect((await invoke(column.total!, 'total', [1, 2, 3, 4])).result).toBe(10);
    expect((await invoke(column.total!, 'total', [])).result).toBe(0);
  });

  it.runIf(applies('nested data'))('nested data', async () => {
    expect((await invoke(column.echo, 'echo', [NESTED])).result).toEqual(NESTED);
  });

  it.runIf(applies('unicode'))('unicode', async () => {
    expect((await invoke(column.echo, 'echo', [UNICODE])).result).toBe(UNICODE);
  });

  it.runIf(applies('null'))('null', async () => {
    expect((await invoke(column.echo, 'echo', [null])).result).toBeNull();
    expect((await invoke(column.checkNull!, 'check_null', [null])).result).toBe(true);
    expect((await invoke(column.checkNull!, 'check_null', [0])).result).toBe(false);
  });

  it.runIf(column.bigIntegers && applies('big integers'))('big integers', async () => {
    expect((await invoke(column.echo, 'echo', [2n ** 80n])).result).toBe(2n ** 80n);
    expect((await invoke(column.add, 'add', [2n ** 64n, 1n])).result).toBe(2n ** 64n + 1n);
  });

  it.runIf(applies('exception with line'))('exception with line', async () => {
    const r = await invoke(column.fail!.code, 'fail');
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe(column.fail!.type);
    expect(r.error?.message).toContain('boom');
    expect(r.error?.line).toBe(column.fail!.line);
    expect(r.error?.traceback).toContain(String(column.fail!.line));
  });

  it.runIf(applies('syntax error with line'))('syntax error with line', async () => {
    const r = await invoke(column.syntaxError!.code, 'ok');
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe(column.syntaxError!.type);
    expect(r.error?.line).toBe(column.syntaxError!.line);
  });

  it.runIf(applies('printing stays apart from the result'))('printing stays apart from the result', async () => {
    const r = await invoke(column.chatty!, 'chatty');
    expect(r).toMatchObject({ status: 'success', result: 42, stdout: 'hello stdout\n', stderr: 'hello stderr\n' });
  });

  it.runIf(applies('function not found'))('function not found', async () => {
    const error = await rejection(invoke(column.add, 'missing'));
    expect(error).toBeInstanceOf(FunctionNotFoundError);
    expect(error.candidates).toEqual(['add']);
  });

  it.runIf(applies('writes a file that syncs to a mounted folder'))('writes a file that syncs to a mounted folder', async () => {
    const dir = await mkdtemp(join(tmpdir(), `conformance-${language}-`));
    try {
      const r = await executor.invoke({
        language,
        runtime,
        code: column.writeFile!,
        functionName: 'write_file',
        args: ['out.txt', UNICODE],
        mounts: [{ hostPath: dir }],
        permissions: { rules: [{ pattern: '*.txt', allow: ['create'] }] },
      });
      expect(r.status).toBe('success');
      expect(r.files?.created.map((c) => c.virtualPath)).toEqual(['/workspace/out.txt']);
      expect(await readFile(join(dir, 'out.txt'), 'utf8')).toBe(UNICODE);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it.runIf(applies('sessions keep module state'))('sessions keep module state', async () => {
    const session = await executor.createSession({ language, runtime, code: column.counter! });
    try {
      expect(session.mode).toBe(column.sessionMode);
      const expected = column.sessionMode === 'persistent' ? [1, 2, 3] : [1, 1, 1];
      expect([await session.call('inc'), await session.call('inc'), await session.call('inc')]).toEqual(expected);
    } finally {
      await session.close();
    }
  });

  it.runIf(applies('deterministic mode fixes the clock and random numbers'))('deterministic mode fixes the clock and random numbers', async () => {
    const run = (deterministic?: { seed: number }) => executor.invoke({ language, runtime, code: column.entropy!, functionName: 'entropy', deterministic });
    const [a, b, c, d] = await Promise.all([run({ seed: 7 }), run({ seed: 7 }), run(), run()]);
    for (const r of [a, b, c, d]) expect(r!.status).toBe('success');
    expect(a!.result).toEqual(b!.result);
    expect((a!.result as number[])[1]).toBeCloseTo(Date.UTC(2000, 0, 1) / 1000, 0);
    expect((c!.result as number[])[0]).not.toBe((d!.result as number[])[0]);
  });

  it.runIf(applies('timeout'))('timeout', async () => {
    const r = await executor.invoke({ language, runtime, code: column.spin!, functionName: 'spin', timeoutMs: 800 });
    expect(r.status).toBe('timeout');
  });

  // --- scripts and contexts: code run without naming a function -----------------------------------

  const script = column.script;
  const hasValue = applies('script: last expression value');

  it.runIf(hasValue)('script: last expression value', async () => {
    const r = await executor.run({ language, code: script.value! });
    expect(r).toMatchObject({ status: 'success', result: 42, exitCode: 0, functionName: '' });
  });

  it.runIf(applies('script: prints apart from the value'))('script: prints apart from the value', async () => {
    const r = await executor.run({ language, code: script.chatty });
    expect(r).toMatchObject({ status: 'success', stdout: 'hello stdout\n', stderr: 'hello stderr\n', exitCode: 0 });
    if (hasValue) expect(r.result).toBe(42);
    else expect(r).not.toHaveProperty('result');
  });

  it.runIf(applies('script: syntax error with line'))('script: syntax error with line', async () => {
    const r = await executor.run({ language, code: script.syntaxError.code });
    expect(r.status).toBe('error');
    expect(r.error).toMatchObject({ type: script.syntaxError.type, line: script.syntaxError.line });
  });

  it.runIf(applies('script: runtime error with traceback'))('script: runtime error with traceback', async () => {
    const { code, type, line } = script.runtimeError!;
    const r = await executor.run({ language, code });
    expect(r).toMatchObject({ status: 'error', exitCode: 1, stderr: '' });
    expect(r.error).toMatchObject({ type, line });
    expect(r.error?.message).toContain('boom');
    expect(r.error?.traceback).toContain(String(line));
  });

  it.runIf(applies('script: exit(3) gives exit code 3'))('script: exit(3) gives exit code 3', async () => {
    const r = await executor.run({ language, code: script.exit });
    expect(r).toMatchObject({ status: 'error', exitCode: 3, stdout: 'bye\n', error: { type: 'Exit' } });
  });

  it.runIf(applies('script: env and argv visible'))('script: env and argv visible', async () => {
    const r = await executor.run({ language, code: script.envAndArgv, env: { GREETING: 'hi there' }, argv: ['a', 'b c', ''] });
    expect(r).toMatchObject({ status: 'success', stdout: 'hi there:a,b c,\n' });
  });

  it.runIf(applies('script: nothing of the host environment leaks in'))('script: nothing of the host environment leaks in', async () => {
    process.env.SANDBOX_CONFORMANCE_HOST_SECRET = 'from the host';
    try {
      const r = await executor.run({ language, code: script.envNames, env: { GREETING: 'hi' } });
      const expected = ['GREETING', 'HOME', 'TMPDIR', ...(script.extraEnv ?? [])].sort();
      expect(r).toMatchObject({ status: 'success', stdout: `${expected.join(',')}\n` });
    } finally {
      delete process.env.SANDBOX_CONFORMANCE_HOST_SECRET;
    }
  });

  it.runIf(applies('env in calls and sessions'))('env in calls and sessions', async () => {
    const env = { GREETING: 'héllo' };
    expect((await executor.invoke({ language, code: script.readEnv, functionName: 'read_env', args: ['GREETING'], env })).result).toBe('héllo');
    expect((await executor.invoke({ language, code: script.readEnv, functionName: 'read_env', args: ['GREETING'] })).result).toBeNull();
    const session = await executor.createSession({ language, code: script.readEnv, env });
    try {
      expect([await session.call('read_env', ['GREETING']), await session.call('read_env', ['HOME'])]).toEqual(['héllo', '/workspace']);
    } finally {
      await session.close();
    }
  });

  it.runIf(applies('script: stdin read'))('script: stdin read', async () => {
    const r = await executor.run({ language, code: script.stdin, stdin: 'abc\nxyz\n' });
    expect(r).toMatchObject({ status: 'success', stdout: 'ABC\nXYZ\n' });
  });

  it.runIf(applies('script: interactive input answered while running'))('script: interactive input answered while running', async () => {
    const execution = executor.start({ kind: 'script', language, code: script.interactive });
    let stdout = '';
    let result: ExecutionResult | undefined;
    for await (const event of execution) {
      if (event.type === 'result') result = event.result;
      else if (event.type === 'stdout') {
        stdout += event.data;
        // The answer goes in only once the prompt is out: the program is waiting for it.
        if (stdout === 'Name? ') execution.write('Ada\n');
      }
    }
    expect(result).toMatchObject({ status: 'success', stdout: 'Name? Hello, Ada!\n', exitCode: 0 });
    expect(await execution.result).toBe(result);
  });

  const contexts = applies('context: keeps a variable across three snippets');

  it.runIf(contexts)('context: keeps a variable across three snippets', async () => {
    await using context = await executor.createContext({ language });
    const results = [];
    for (const snippet of script.context!) results.push(await context.run(snippet));
    for (const r of results) expect(r.status).toBe('success');
    expect(results[2].result).toBe(3);
  });

  it.runIf(applies('context: a timeout ends it cleanly'))('context: a timeout ends it cleanly', async () => {
    const open = executor.status().sessions;
    const context = await executor.createContext({ language, timeoutMs: 800 });
    expect(executor.status().sessions).toBe(open + 1);
    const r = await context.run(script.spin!);
    expect(r.status).toBe('timeout');
    expect(context.state).toBe('closed');
    expect(context.closedReason).toContain('time limit');
    expect(await rejection(context.run(script.context![0]))).toBeInstanceOf(SessionClosedError);
    expect(executor.status().sessions).toBe(open);
  });

  it.runIf(!contexts)('context: refused, with the reason', async () => {
    const error = await rejection(executor.createContext({ language }));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.field).toBe('language');
    expect(error.message).toContain('no contexts');
  });
});
