/**
 * Bad-input catalog: each case feeds the public API something wrong and asserts the exact typed error or
 * status. Nothing here may crash the host, hang, or touch files it was not allowed to.
 * (Per-language cases, such as exit() in every language, are in exits.test.ts.)
 */
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AmbiguousFunctionError,
  ArgumentValidationError,
  FunctionNotFoundError,
  InvalidRequestError,
  MountError,
  PayloadTooLargeError,
  SandboxExecutor,
  UnserializableValueError,
  UnsupportedLanguageError,
  type ExecutionRequest,
} from '../../src/index.js';

const executor = new SandboxExecutor({ poolSize: 2, maxPayloadBytes: 1024 * 1024, maxOutputBytes: 64 * 1024 });
afterAll(() => executor.close());

const ECHO = 'def echo(value=None):\n    return value\n';
const py = (code: string, extra: Partial<ExecutionRequest> = {}) => executor.invoke({ language: 'python', code, ...extra });

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'sandbox-catalog-'));
  await mkdir(join(root, 'mount'));
  await mkdir(join(root, 'outside'));
  await writeFile(join(root, 'outside', 'secret.txt'), 'secret');
  await symlink(join(root, 'outside'), join(root, 'mount', 'escape'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

/** Each case: a name, a request, and what must come of it. */
type Case = [string, () => Promise<unknown>, (outcome: { error?: any; result?: any }) => void];

const rejects = (type: new (...args: any[]) => Error, extra?: (error: any) => void) => (outcome: { error?: any }) => {
  expect(outcome.error).toBeInstanceOf(type);
  extra?.(outcome.error);
};
const status = (expected: string, type?: string, extra?: (result: any) => void) => (outcome: { result?: any; error?: any }) => {
  expect(outcome.error).toBeUndefined();
  expect(outcome.result.status).toBe(expected);
  if (type) expect(outcome.result.error?.type).toBe(type);
  extra?.(outcome.result);
};

const circular: Record<string, unknown> = {};
circular.self = circular;
let deep: unknown = 1;
for (let i = 0; i < 1000; i++) deep = [deep];

const CASES: Case[] = [
  ['unknown language', () => executor.invoke({ language: 'cobol' as never, code: ECHO }), rejects(UnsupportedLanguageError)],
  ['language that is not a string', () => executor.invoke({ language: 42 as never, code: ECHO }), rejects(UnsupportedLanguageError)],
  ['request that is not an object', () => executor.invoke(null as never), rejects(InvalidRequestError)],
  ['empty code', () => py('   \n'), rejects(InvalidRequestError, (e) => expect(e.field).toBe('code'))],
  ['code that is not text', () => py(Buffer.from('def f(): pass') as never), rejects(InvalidRequestError, (e) => expect(e.field).toBe('code'))],
  ['code with no function', () => py('x = 1\n'), rejects(FunctionNotFoundError)],
  [
    'missing function, with a suggestion',
    () => py(ECHO, { functionName: 'ecoh' }),
    rejects(FunctionNotFoundError, (e) => expect(e.message).toContain('Did you mean "echo"?')),
  ],
  ['ambiguous function', () => py('def a():\n    pass\n\ndef b():\n    pass\n'), rejects(AmbiguousFunctionError)],
  ['wrong arity', () => py('def add(a, b):\n    return a + b\n', { args: [1] }), status('error', 'TypeError')],
  [
    'wrong arity, caught before running with validateArgs',
    () => py('def add(a, b):\n    return a + b\n', { args: [1, 2, 3], validateArgs: true }),
    rejects(ArgumentValidationError),
  ],
  ['args that is not an array', () => py(ECHO, { args: { 0: 1 } as never }), rejects(InvalidRequestError, (e) => expect(e.field).toBe('args'))],
  ['kwargs that is an array', () => py(ECHO, { kwargs: [1] as never }), rejects(InvalidRequestError, (e) => expect(e.field).toBe('kwargs'))],
  ['kwargs that is a class instance', () => py(ECHO, { kwargs: new Map() as never }), rejects(InvalidRequestError)],
  ['argument of the wrong type', () => py('def twice(n: int):\n    return n * 2\n', { args: ['x'], validateArgs: true }), rejects(ArgumentValidationError)],
  ['a function as argument', () => py(ECHO, { args: [() => 1] }), rejects(UnserializableValueError, (e) => expect(e.path).toBe('args[0]'))],
  ['a symbol as argument', () => py(ECHO, { args: [Symbol('s')] }), rejects(UnserializableValueError)],
  ['a circular argument', () => py(ECHO, { args: [circular] }), rejects(UnserializableValueError, (e) => expect(e.message).toContain('circular'))],
  [
    'a class instance with methods',
    () =>
      py(ECHO, {
        args: [
          new (class Point {
            x = 1;
            norm() {
              return 1;
            }
          })(),
        ],
      }),
    rejects(UnserializableValueError),
  ],
  ['a payload over maxPayloadBytes', () => py(ECHO, { args: ['x'.repeat(2 * 1024 * 1024)] }), rejects(PayloadTooLargeError)],
  ['data nested too deeply', () => py(ECHO, { args: [deep] }), rejects(UnserializableValueError)],
  [
    'invalid UTF-8 (lone surrogate) in a string',
    () => py('def n(s):\n    return len(s)\n', { args: ['a\ud800b'] }),
    status('success', undefined, (r) => expect(r.result).toBe(3)),
  ],
  ['a NUL byte in a file name', () => py(ECHO, { files: { 'a\0b': 'x' } }), rejects(InvalidRequestError)],
  ['a traversal path in files', () => py(ECHO, { files: { '../../etc/passwd': 'x' } }), rejects(InvalidRequestError)],
  ['a files key that names the root', () => py(ECHO, { files: { '/': 'x' } }), rejects(InvalidRequestError, (e) => expect(e.field).toBe('files["/"]'))],
  [
    'a files key that names the working directory',
    () => py(ECHO, { files: { '.': 'x' } }),
    rejects(InvalidRequestError, (e) => expect(e.field).toBe('files["."]')),
  ],
  ['a mount that does not exist', () => py(ECHO, { mounts: [{ hostPath: join(root, 'missing') }] }), rejects(MountError)],
  [
    'a symlink escaping a mount',
    () => py('import os\ndef f():\n    return os.listdir(".")\n', { mounts: [{ hostPath: join(root, 'mount') }] }),
    status('success', undefined, (r) => expect(r.result).toEqual([])),
  ],
  ['an infinite loop', () => py('def f():\n    while True:\n        pass\n', { timeoutMs: 500 }), status('timeout', 'Timeout')],
  ['infinite recursion', () => py('def f():\n    return f()\n'), status('error', 'RecursionError')],
  [
    'an allocation bomb',
    () => py('def f():\n    x = []\n    while True:\n        x.append(bytearray(16 * 1024 * 1024))\n', { memoryLimitMb: 64 }),
    (outcome) => {
      expect(['error', 'crash']).toContain(outcome.result.status);
      expect(['MemoryError', 'MemoryLimitExceeded']).toContain(outcome.result.error.type);
    },
  ],
  [
    'an output flood',
    () => py('def f():\n    while True:\n        print("x" * 1000)\n'),
    status('error', 'OutputLimitExceeded', (r) => expect(r.stdout).toContain('[sandbox-executor: output truncated at 65536 bytes]')),
  ],
  [
    'code that reads stdin to the end',
    () => py('import sys\ndef f():\n    return sys.stdin.read()\n', { stdin: 'given' }),
    status('success', undefined, (r) => expect(r.result).toBe('given')),
  ],
  [
    'code that closes stdin and stdout',
    () => py('import os\ndef f():\n    os.close(0)\n    os.close(1)\n    return "still here"\n'),
    status('success', undefined, (r) => expect(r.result).toBe('still here')),
  ],
  [
    'code that forges the result framing on stdout',
    () => py('import sys\ndef f():\n    sys.stdout.buffer.write(b"R\\x00\\x00\\x00\\x0b{\\"ok\\":true}")\n    return "real"\n'),
    status('success', undefined, (r) => {
      expect(r.result).toBe('real');
      expect(r.stdout).toContain('{"ok":true}');
    }),
  ],
  [
    'code that opens the result channel itself',
    () => py('def f():\n    open("/dev/sandbox/result", "wb").write(b"R\\x00\\x00\\x00\\x14{\\"ok\\":true,\\"value\\":1}")\n    return "real"\n'),
    status('error', 'PermissionError'),
  ],
  ['a return value that is not serializable', () => py('def f():\n    return object()\n'), status('error', 'SerializationError')],
  ['a return value that is circular', () => py('def f():\n    x = []\n    x.append(x)\n    return x\n'), status('error', 'SerializationError')],
  ['timeoutMs that is not a number', () => py(ECHO, { timeoutMs: 'soon' as never }), rejects(InvalidRequestError, (e) => expect(e.field).toBe('timeoutMs'))],
  ['a negative memory limit', () => py(ECHO, { memoryLimitMb: -1 }), rejects(InvalidRequestError)],
  ['a signal that is not an AbortSignal', () => py(ECHO, { signal: {} as never }), rejects(InvalidRequestError)],
  [
    'a memory limit above what wasm32 can address',
    () => py(ECHO, { memoryLimitMb: 5_000 }),
    rejects(InvalidRequestError, (e) => expect(e.field).toBe('memoryLimitMb')),
  ],
  [
    'an output limit above the longest string Node can build',
    () => py(ECHO, { maxOutputBytes: 2 ** 30 }),
    rejects(InvalidRequestError, (e) => expect(e.field).toBe('maxOutputBytes')),
  ],
  ['a result over maxResultBytes', () => py('def f():\n    return "x" * 5000\n', { maxResultBytes: 1_000 }), status('error', 'ResultTooLarge')],
  [
    'a forged result frame followed by a crash',
    () =>
      py(
        'import os, __main__\ndef f():\n    body = b\'{"call":%d,"ok":true,"value":1}\' % getattr(__main__, "_call_number", 0)\n    os.write(__main__._result_fd, b"R" + len(body).to_bytes(4, "big") + body)\n    os.abort()\n',
      ),
    status('crash', 'Trap', (r) => expect(r.result).toBeUndefined()),
  ],
];

describe('bad-input catalog', () => {
  it(`has at least 30 cases (${CASES.length})`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(CASES)('%s', async (_name, run, check) => {
    let outcome: { error?: unknown; result?: unknown };
    try {
      outcome = { result: await run() };
    } catch (error) {
      outcome = { error };
    }
    check(outcome);
  });

  it('left the files outside the mount alone', async () => {
    expect(await readdir(join(root, 'outside'))).toEqual(['secret.txt']);
  });

  it('the executor still works after all of it', async () => {
    expect((await py('def add(a, b):\n    return a + b\n', { args: [1, 2] })).result).toBe(3);
  });
});
