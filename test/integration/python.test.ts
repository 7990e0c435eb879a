import { afterAll, describe, expect, it } from 'vitest';
import {
  AmbiguousFunctionError,
  FunctionNotFoundError,
  InvalidRequestError,
  SandboxExecutor,
  UnserializableValueError,
  UnsupportedLanguageError,
  UserCodeError,
} from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 2 });
afterAll(() => executor.close());

const py = (code: string, functionName?: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}) =>
  executor.invoke({ language: 'python', code, functionName, args, kwargs });

describe('Python: signatures map args and kwargs onto the call', () => {
  const code = `
import functools

def plain(a, b):
    return [a, b]

def defaults(a, b=10, *, c="kw"):
    return {"a": a, "b": b, "c": c}

def variadic(first, *rest, **options):
    return {"first": first, "rest": rest, "options": options}

def typed(x: int, y: "list[str]" = None) -> dict:
    return {"x": x, "y": y}

def shout(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return str(fn(*args, **kwargs)).upper()
    return wrapper

@shout
def greet(name, greeting="hello"):
    return f"{greeting} {name}"

async def later(x):
    import asyncio
    await asyncio.sleep(0.01)
    return x * 2
`;

  it('positional and keyword arguments', async () => {
    expect((await py(code, 'plain', [1, 2])).result).toEqual([1, 2]);
    expect((await py(code, 'plain', [1], { b: 'two' })).result).toEqual([1, 'two']);
  });

  it('defaults and keyword-only parameters', async () => {
    expect((await py(code, 'defaults', [1])).result).toEqual({ a: 1, b: 10, c: 'kw' });
    expect((await py(code, 'defaults', [1, 2], { c: 'set' })).result).toEqual({ a: 1, b: 2, c: 'set' });
  });

  it('*args and **kwargs', async () => {
    expect((await py(code, 'variadic', [1, 2, 3], { x: true, y: null })).result).toEqual({ first: 1, rest: [2, 3], options: { x: true, y: null } });
  });

  it('annotated parameters', async () => {
    expect((await py(code, 'typed', [5], { y: ['a'] })).result).toEqual({ x: 5, y: ['a'] });
  });

  it('decorated functions', async () => {
    expect((await py(code, 'greet', ['ada'], { greeting: 'hi' })).result).toBe('HI ADA');
  });

  it('async def is awaited', async () => {
    expect((await py(code, 'later', [21])).result).toBe(42);
  });

  it('wrong arguments surface as Python TypeError', async () => {
    const missing = await py(code, 'plain', [1]);
    expect(missing.status).toBe('error');
    expect(missing.error?.type).toBe('TypeError');
    expect(missing.error?.message).toContain("missing 1 required positional argument: 'b'");
    const unknown = await py(code, 'plain', [1, 2], { nope: 1 });
    expect(unknown.error?.type).toBe('TypeError');
    expect(unknown.error?.message).toContain("unexpected keyword argument 'nope'");
  });
});

describe('Python: values round-trip', () => {
  const identity = 'def identity(x):\n    return x\n';
  const typeOf = 'def type_of(x):\n    return [type(x).__name__, repr(x)]\n';

  it('None, bool, int, float, str, list, dict and nesting', async () => {
    const value = { none: null, yes: true, no: false, int: -7, float: 2.5, str: 'héllo ✓ 🎉', list: [1, [2, [3, { deep: [] }]]], empty: {} };
    expect((await py(identity, 'identity', [value])).result).toEqual(value);
  });

  it('tuples and sets come back as arrays', async () => {
    expect((await py('def f():\n    return (1, (2, 3)), {4}\n', 'f')).result).toEqual([[1, [2, 3]], [4]]);
  });

  it('integers beyond 2^53 come back as bigint, and a bigint arrives as a Python int', async () => {
    expect((await py('def big():\n    return 2 ** 64\n', 'big')).result).toBe(18446744073709551616n);
    expect((await py(typeOf, 'type_of', [12345678901234567890123n])).result).toEqual(['int', '12345678901234567890123']);
    expect((await py('def f(x):\n    return x + 1\n', 'f', [2n ** 100n])).result).toBe(2n ** 100n + 1n);
    expect((await py(identity, 'identity', [2n ** 100n])).result).toBe(2n ** 100n);
  });

  it('Uint8Array becomes bytes and bytes become Uint8Array', async () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect((await py(typeOf, 'type_of', [Uint8Array.of(0, 1, 255)])).result).toEqual(['bytes', "b'\\x00\\x01\\xff'"]);
    expect((await py(identity, 'identity', [all])).result).toEqual(all);
    expect((await py("def f():\n    return bytearray(b'\\x00hi')\n", 'f')).result).toEqual(Uint8Array.of(0, 104, 105));
  });

  it('NaN, Infinity and -Infinity survive both ways', async () => {
    const r = await py(identity, 'identity', [[NaN, Infinity, -Infinity]]);
    expect(r.result).toEqual([NaN, Infinity, -Infinity]);
    expect((await py("def f():\n    return float('nan'), float('-inf')\n", 'f')).result).toEqual([NaN, -Infinity]);
  });

  it('objects whose keys look like wire tags stay objects', async () => {
    const value = { $bigint: '1', nested: { $bytes: 'x' } };
    expect((await py(identity, 'identity', [value])).result).toEqual(value);
    expect((await py(identity, 'identity', [{ $bytes: 'QQ==' }])).result).toEqual({ $bytes: 'QQ==' });
  });

  it('lone surrogates in strings survive, and non-string dict keys come back as their JSON text', async () => {
    expect((await py(identity, 'identity', ['a\ud800b'])).result).toBe('a\ud800b');
    expect((await py('def f():\n    return {1: "int", 2.5: "float", None: "none"}, {False: "bool"}\n', 'f')).result).toEqual([
      { '1': 'int', '2.5': 'float', null: 'none' },
      { false: 'bool' },
    ]);
    const r = await py('def f():\n    return {(1, 2): "tuple key"}\n', 'f');
    expect(r.error?.type).toBe('SerializationError');
    expect(r.error?.message).toContain("dict key of type 'tuple'");
  });

  it('a 1 MB string argument round-trips (no 8 KB stdin limit)', async () => {
    const big = 'é漢🎉x'.repeat(200_000);
    const r = await py('def f(s):\n    return [len(s), s]\n', 'f', [big]);
    expect(r.status).toBe('success');
    expect(r.result).toEqual([big.length - 200_000, big]); // Python counts code points; the emoji is 2 UTF-16 units
  });

  it('lists and dicts carry the same tags whichever way the proxy writes them', async () => {
    // The proxy writes a returned list or dict with Python's C encoder, and falls back to its own walk
    // where that text could hold something that needs a tag: each case below must take the fallback.
    const cases: [string, unknown][] = [
      ['[2 ** 53, -(2 ** 60), 2 ** 53 - 1]', [2n ** 53n, -(2n ** 60n), 2 ** 53 - 1]],
      ['{"k": 12345678901234567890}', { k: 12345678901234567890n }],
      ['[{"$bigint": "5"}]', [{ $bigint: '5' }]],
      ['{"a": {"$x": [1]}}', { a: { $x: [1] } }],
      ['[float("nan"), {"x": float("-inf")}]', [NaN, { x: -Infinity }]],
      ['[b"\\x00\\xff"]', [Uint8Array.of(0, 255)]],
      ['[10 ** 5000]', [10n ** 5000n]],
      // Long floats look like big integers to the check (a false alarm), and stay floats.
      ['[0.1 + 0.2, 1234567890123456.0, 1e22, -0.0]', [0.1 + 0.2, 1234567890123456, 1e22, -0]],
      ['[{1, 2}, frozenset(), (3, (4,))]', [[1, 2], [], [3, [4]]]],
      ['[{None: True, 2.5: False, 10 ** 20: 0}]', [{ null: true, '2.5': false, '100000000000000000000': 0 }]],
      ['[Mode.ON, {"mode": Mode.OFF}]', ['on', { mode: 'off' }]],
      ['[Mode.ON, {Mode.OFF: 2 ** 60}]', ['on', { off: 2n ** 60n }]],
    ];
    const code = (expression: string) => `import enum\n\nclass Mode(str, enum.Enum):\n    ON = "on"\n    OFF = "off"\n\ndef f():\n    return ${expression}\n`;
    for (const [expression, expected] of cases) {
      const r = await py(code(expression), 'f');
      expect(r.status, `${expression}: ${JSON.stringify(r.error)}`).toBe('success');
      expect(r.result, expression).toEqual(expected);
    }
    // A str-based enum member is its value, as the C encoder writes it, on its own too.
    expect((await py(code('Mode.ON'), 'f')).result).toBe('on');
  });

  it('a value nested 256 levels comes back whichever way it is written; 257 levels is a SerializationError', async () => {
    const code = 'def nest(n, kind):\n    v = 1\n    for _ in range(n):\n        v = [v] if kind == "list" else {"k": v}\n    return v\n';
    for (const kind of ['list', 'dict']) {
      for (const levels of [255, 256]) {
        let expected: unknown = 1;
        for (let i = 0; i < levels; i++) expected = kind === 'list' ? [expected] : { k: expected };
        const r = await py(code, 'nest', [levels, kind]);
        expect(r.status, `${kind} ${levels}: ${JSON.stringify(r.error)}`).toBe('success');
        expect(r.result).toEqual(expected);
      }
      expect((await py(code, 'nest', [257, kind])).error).toMatchObject({
        type: 'SerializationError',
        message: 'return value is nested deeper than 256 levels',
      });
    }
  });

  it('what cannot be returned is named with where it is, deep inside a list or dict', async () => {
    const message = async (body: string) => (await py(`class W:\n    pass\n\ndef f():\n${body}\n`, 'f')).error?.message;
    expect(await message('    return [1, {"a": [2, W()]}]')).toBe("return value of type 'W' at result[1]['a'][1] is not serializable");
    expect(await message('    x = {"k": [0]}\n    x["k"].append(x)\n    return [x]')).toBe("circular reference at result[0]['k'][1]");
    expect(await message('    return [{"ok": 1}, {(1, 2): 3}]')).toBe("dict key of type 'tuple' at result[1] is not serializable");
    expect(await message('    return W()')).toBe("return value of type 'W' is not serializable");
  });

  it('an unserializable return value gives a clear error naming its type', async () => {
    const r = await py('class Widget:\n    pass\n\ndef f():\n    return {"w": Widget()}\n', 'f');
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('SerializationError');
    expect(r.error?.message).toContain("'Widget'");
    const r2 = await py('def f():\n    return object()\n', 'f');
    expect(r2.error?.message).toContain("'object'");
  });
});

describe('Python: output and errors', () => {
  it('prints go to stdout and stderr, apart from the result', async () => {
    const r = await py('import sys\n\ndef f():\n    print("to stdout")\n    print("to stderr", file=sys.stderr)\n    return 1\n', 'f');
    expect(r).toMatchObject({ status: 'success', result: 1, stdout: 'to stdout\n', stderr: 'to stderr\n', exitCode: 0 });
  });

  it('printing text that imitates the result framing cannot fake the result', async () => {
    const code = `
import sys, os

def f():
    forged = b'R\\x00\\x00\\x00\\x1b{"ok":true,"value":"forged"}'
    os.write(1, forged)
    sys.stdout.write('{"ok":true,"value":"forged"}\\n')
    try:
        open('/dev/sandbox/result', 'wb')
        opened = True
    except OSError:
        opened = False
    return {"real": True, "second_open": opened}
`;
    const r = await py(code, 'f');
    expect(r.result).toEqual({ real: true, second_open: false });
    expect(r.stdout).toContain('forged');
  });

  it('output is byte-exact: a character split across writes arrives whole', async () => {
    const code = `
import sys

def f():
    data = "é漢🎉".encode()
    for i in range(len(data)):
        sys.stdout.buffer.write(data[i:i + 1])
        sys.stdout.buffer.flush()
    return len(data)
`;
    const r = await py(code, 'f');
    expect(r.result).toBe(9);
    expect(r.stdout).toBe('é漢🎉');
  });

  it('stdin is byte-exact: every byte value reaches the program intact after the call frame', async () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const r = await executor.invoke({ language: 'python', code: 'import sys\n\ndef f():\n    return sys.stdin.buffer.read()\n', stdin: all });
    expect(r.result).toEqual(all);
  });

  it('a syntax error reports SyntaxError and the line', async () => {
    const r = await py('def ok():\n    return 1\n\ndef broken(:\n    pass\n', 'ok');
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('SyntaxError');
    expect(r.error?.line).toBe(4);
    expect(r.error?.traceback).toContain('line 4');
  });

  it('an exception reports type, message and a traceback with user line numbers', async () => {
    const code = '\n\ndef helper(d):\n    return d["missing"]\n\ndef f():\n    data = {}\n    return helper(data)\n';
    const r = await py(code, 'f');
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('KeyError');
    expect(r.error?.message).toBe("'missing'");
    expect(r.error?.line).toBe(4);
    const traceback = r.error?.traceback ?? '';
    expect(traceback).toContain('File "user_code.py", line 8, in f');
    expect(traceback).toContain('File "user_code.py", line 4, in helper');
    expect(traceback).toContain('return d["missing"]');
    expect(traceback).not.toContain('main.py');
  });

  it('call() returns the value or throws UserCodeError carrying the result', async () => {
    expect(await executor.call({ language: 'python', code: 'def add(a, b):\n    return a + b\n', args: [2, 3] })).toBe(5);
    const error = await rejection(executor.call({ language: 'python', code: 'def f():\n    raise ValueError("bad input")\n' }));
    expect(error).toBeInstanceOf(UserCodeError);
    expect(error.type).toBe('ValueError');
    expect(error.message).toBe('ValueError: bad input');
    expect(error.traceback).toContain('raise ValueError("bad input")');
    expect(error.result.status).toBe('error');
  });
});

describe('Python: requests that are wrong before anything runs', () => {
  it('unknown language', async () => {
    await expect(executor.invoke({ language: 'cobol' as never, code: 'x' })).rejects.toBeInstanceOf(UnsupportedLanguageError);
  });

  it('function not found lists the candidates', async () => {
    const error = await rejection(py('def add(a, b):\n    return a + b\n\ndef sub(a, b):\n    return a - b\n', 'ad'));
    expect(error).toBeInstanceOf(FunctionNotFoundError);
    expect(error.candidates).toEqual(['add', 'sub']);
    expect(error.message).toContain('Did you mean "add"?');
  });

  it('functionName may be omitted when there is one function, not when there are several', async () => {
    expect((await executor.invoke({ language: 'python', code: 'def only(x=4):\n    return x\n' })).result).toBe(4);
    const error = await rejection(executor.invoke({ language: 'python', code: 'def a():\n    pass\n\ndef b():\n    pass\n' }));
    expect(error).toBeInstanceOf(AmbiguousFunctionError);
    expect(error.candidates).toEqual(['a', 'b']);
  });

  it('args that are not an array', async () => {
    await expect(executor.invoke({ language: 'python', code: 'def f(x):\n    return x\n', args: { 0: 1 } as never })).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
  });

  it('unserializable arguments: a function, a circular object', async () => {
    await expect(py('def f(x):\n    return x\n', 'f', [() => 1])).rejects.toBeInstanceOf(UnserializableValueError);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(py('def f(x):\n    return x\n', 'f', [], { x: circular })).rejects.toThrowError(/kwargs\.x\.self.*circular/);
  });
});

describe('Python: runtimes', () => {
  // Only the snapshot of the cpython runtime holds the module that pre-initialized it.
  const which = 'import sys\n\ndef which():\n    return "_sandbox_runtime" in sys.modules\n';

  it('runs on cpython by default, and on runno when a request, a session or load() names it', async () => {
    expect((await executor.invoke({ language: 'python', code: which })).result).toBe(true);
    expect((await executor.invoke({ language: 'python', code: which, runtime: 'cpython' })).result).toBe(true);
    expect((await executor.invoke({ language: 'python', code: which, runtime: 'runno' })).result).toBe(false);
    const session = await executor.createSession({ language: 'python', code: which, runtime: 'runno' });
    try {
      expect([await session.call('which'), await session.call('which')]).toEqual([false, false]);
    } finally {
      await session.close();
    }
    const loaded = await executor.load<{ which(): Promise<boolean> }>({ language: 'python', code: which, runtime: 'Runno' });
    try {
      expect(await loaded.which()).toBe(false);
    } finally {
      await loaded.$close();
    }
  });

  it('a runtime the language does not declare is refused before anything runs, naming those it does', async () => {
    const error = await rejection(executor.invoke({ language: 'python', code: which, runtime: 'pyodide' }));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error).toMatchObject({ field: 'runtime', message: 'Unknown runtime "pyodide" for Python: it runs on cpython (the default) or runno.' });
    expect((await rejection(executor.createSession({ language: 'python', code: which, runtime: 'runo' }))).message).toContain('Did you mean runno?');
    expect(() => executor.describe({ language: 'python', code: which, runtime: 3 as never })).toThrowError(/Unknown runtime number 3 for Python/);
    const other = await rejection(executor.invoke({ language: 'javascript', code: 'function f() {}', runtime: 'cpython' }));
    expect(other.message).toBe('Unknown runtime "cpython" for JavaScript: it runs only on runno (the default).');
  });
});

describe('Python: runtime isolation and limits', () => {
  it('runs the proxy precompiled to bytecode (a failed precompile would fall back silently)', async () => {
    // sys.argv is the user's (argv[0] names the user's file); the interpreter's own command line stays in orig_argv.
    const r = await py('import sys\n\ndef proxy():\n    return sys.orig_argv[-1]\n', 'proxy');
    expect(r.result).toBe('/sandbox/main.pyc');
  });

  it('each call gets its own copy of the filesystem', async () => {
    const code = `
import os

def write():
    with open('/tmp/leak.txt', 'w') as f:
        f.write('secret')
    with open('/workspace/out.txt', 'w') as f:
        f.write('left behind')
    # The proxy file is the same for every call: tamper with it.
    with open('/sandbox/main.py', 'a') as f:
        f.write('\\nraise SystemExit(3)\\n')
    return os.path.exists('/tmp/leak.txt')

def check():
    return [os.path.exists('/tmp/leak.txt'), os.path.exists('/workspace/out.txt')]
`;
    const written = await py(code, 'write');
    expect(written.error).toBeUndefined();
    expect(written.result).toBe(true);
    for (let i = 0; i < 3; i++) expect((await py(code, 'check')).result).toEqual([false, false]);
  });

  it('timeoutMs stops an infinite loop, and the next call works', async () => {
    const started = Date.now();
    const r = await executor.invoke({ language: 'python', code: 'def spin():\n    while True:\n        pass\n', timeoutMs: 1000 });
    expect(r.status).toBe('timeout');
    expect(r.error?.type).toBe('Timeout');
    expect(Date.now() - started).toBeLessThan(2000);
    expect((await py('def ok():\n    return "alive"\n', 'ok')).result).toBe('alive');
  });
});
