import { afterAll, describe, expect, it } from 'vitest';
import { AmbiguousFunctionError, InvalidRequestError, SandboxExecutor, UserCodeError } from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 2 });
afterAll(() => executor.close());

const js = (code: string, functionName?: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}) =>
  executor.invoke({ language: 'javascript', code, functionName, args, kwargs });

describe('JavaScript: function forms', () => {
  const code = `
function declared(a, b) {
  return [a, b];
}
async function awaited(x) {
  await null;
  return x + 1;
}
const arrow = (x) => x * 2;
let letArrow = x => x * 3;
var varArrow = async (x) => x * 4;
const expression = function (x) { return x * 5; };
export function exported(x) {
  return "exported " + x;
}
export const exportedArrow = (x) => "arrow " + x;
export async function exportedAsync(x) {
  return "async " + x;
}
export default function namedDefault(x) {
  return "default " + x;
}
function* generator() {
  yield 1;
}
`;
  it.each([
    ['declared', [1, 2], [1, 2]],
    ['awaited', [1], 2],
    ['arrow', [2], 4],
    ['letArrow', [2], 6],
    ['varArrow', [2], 8],
    ['expression', [2], 10],
    ['exported', ['x'], 'exported x'],
    ['exportedArrow', ['x'], 'arrow x'],
    ['exportedAsync', ['x'], 'async x'],
    ['namedDefault', ['x'], 'default x'],
  ])('%s', async (name, args, expected) => {
    const r = await js(code, name, args);
    expect(r.error).toBeUndefined();
    expect(r.result).toEqual(expected);
  });

  it('a generator is called, and its generator object is reported as not serializable', async () => {
    const r = await js(code, 'generator');
    expect(r.error?.type).toBe('SerializationError');
    expect(r.error?.message).toContain("'Generator'");
  });

  it('default parameters, and missing arguments are undefined as in JavaScript', async () => {
    const code = 'function f(a, b = a * 2, c = "c") {\n  return [a, b, c, arguments.length];\n}\n';
    expect((await js(code, 'f', [1])).result).toEqual([1, 2, 'c', 1]);
    expect((await js(code, 'f', [1, 5, 'x'])).result).toEqual([1, 5, 'x', 3]);
    // undefined * 2 is NaN, which survives the trip.
    expect((await js(code, 'f', [])).result).toEqual([null, NaN, 'c', 0]);
  });

  it('rest parameters collect the remaining positional arguments', async () => {
    expect((await js('function f(first, ...rest) {\n  return { first, rest };\n}\n', 'f', [1, 2, 3])).result).toEqual({ first: 1, rest: [2, 3] });
  });

  it('functionName may be omitted when one function qualifies; _helpers do not count', async () => {
    expect((await executor.invoke({ language: 'js', code: 'function _helper(x) { return x; }\nfunction main(x = 4) { return _helper(x); }\n' })).result).toBe(
      4,
    );
    const error = await rejection(executor.invoke({ language: 'javascript', code: 'function a() {}\nconst b = () => 1;\n' }));
    expect(error).toBeInstanceOf(AmbiguousFunctionError);
    expect(error.candidates).toEqual(['a', 'b']);
  });
});

describe('JavaScript: keyword arguments through the options object', () => {
  const code = `
function greet(name, { greeting = "Hello", punctuation = "!" } = {}) {
  return greeting + ", " + name + punctuation;
}
const configure = ({ retries = 3, ...rest } = {}) => ({ retries, rest });
function later(a, b = "b", { flag = false } = {}) {
  return [a, b, flag];
}
function plain(a, b) {
  return [a, b];
}
`;

  it('kwargs become the trailing options object; its defaults apply', async () => {
    expect((await js(code, 'greet', ['Ada'], { greeting: 'Hey' })).result).toBe('Hey, Ada!');
    expect((await js(code, 'greet', ['Ada'], { punctuation: '?' })).result).toBe('Hello, Ada?');
    expect((await js(code, 'greet', ['Ada'])).result).toBe('Hello, Ada!');
    expect((await js(code, 'configure', [], { retries: 5, verbose: true })).result).toEqual({ retries: 5, rest: { verbose: true } });
  });

  it('positional parameters before the options object are padded with undefined (so defaults apply)', async () => {
    expect((await js(code, 'later', [1], { flag: true })).result).toEqual([1, 'b', true]);
    expect((await js(code, 'later', [1, 'B'], { flag: true })).result).toEqual([1, 'B', true]);
  });

  it('kwargs to a function without an options object are refused before running, naming the function and the rule', async () => {
    const error = await rejection(js(code, 'plain', [1], { b: 2 }));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toContain('plain()');
    expect(error.message).toContain('object destructuring pattern');
  });

  it('an unknown option and too many positional arguments are refused too', async () => {
    await expect(js(code, 'greet', ['Ada'], { greting: 'Hey' })).rejects.toThrowError(/no option "greting"/);
    await expect(js(code, 'greet', ['Ada', {}], { greeting: 'Hey' })).rejects.toBeInstanceOf(InvalidRequestError);
  });
});

describe('JavaScript: async functions and timers', () => {
  it('awaits promises and timers inside async code', async () => {
    const code = `
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
async function steps() {
  const seen = [];
  const started = Date.now();
  await sleep(30);
  seen.push("slept");
  await new Promise((resolve) => setImmediate(resolve));
  seen.push("immediate");
  let ticks = 0;
  await new Promise((resolve) => {
    const id = setInterval(() => {
      ticks++;
      if (ticks === 3) {
        clearInterval(id);
        resolve();
      }
    }, 5);
  });
  seen.push("ticks " + ticks);
  const cancelled = setTimeout(() => seen.push("never"), 1);
  clearTimeout(cancelled);
  await sleep(10);
  return { seen, waited: Date.now() - started >= 45 };
}
`;
    const r = await js(code, 'steps');
    expect(r.error).toBeUndefined();
    expect(r.result).toEqual({ seen: ['slept', 'immediate', 'ticks 3'], waited: true });
  });

  it('the call lasts until timers it scheduled have run, like a Node process', async () => {
    const code = 'function f() {\n  setTimeout(() => console.log("late output"), 30);\n  return "early result";\n}\n';
    const r = await js(code, 'f');
    expect(r).toMatchObject({ status: 'success', result: 'early result', stdout: 'late output\n' });
  });

  it('a rejected promise is an error with the user line', async () => {
    const code = 'async function f() {\n  await null;\n  throw new TypeError("async failure");\n}\n';
    const r = await js(code, 'f');
    expect(r.error).toMatchObject({ type: 'TypeError', message: 'async failure', line: 3 });
  });

  it('an error thrown in a timer callback ends the call with that error', async () => {
    const code = 'function f() {\n  setTimeout(() => {\n    throw new RangeError("from a timer");\n  }, 5);\n  return 1;\n}\n';
    const r = await js(code, 'f');
    expect(r.status).toBe('error');
    expect(r.error).toMatchObject({ type: 'RangeError', message: 'from a timer', line: 3 });
  });

  it('a promise that can never settle is reported, not left to the timeout', async () => {
    const started = Date.now();
    const r = await js('async function f() {\n  await new Promise(() => {});\n}\n', 'f');
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('UnsettledPromiseError');
    expect(r.error?.message).toContain('f()');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('timeoutMs stops an endless loop, and the next call works', async () => {
    const r = await executor.invoke({ language: 'javascript', code: 'function spin() {\n  while (true) {}\n}\n', timeoutMs: 500 });
    expect(r.status).toBe('timeout');
    const sleepy = await executor.invoke({
      language: 'javascript',
      code: 'async function nap() {\n  await new Promise((r) => setTimeout(r, 60000));\n}\n',
      timeoutMs: 500,
    });
    expect(sleepy.status).toBe('timeout');
    expect((await js('const ok = () => "alive";', 'ok')).result).toBe('alive');
  });
});

describe('JavaScript: errors', () => {
  it('thrown errors report type, message, a stack of user frames through a helper, and the line', async () => {
    const code = '// helpers\n\nfunction helper(data) {\n  return data.missing.deep;\n}\n\nfunction f() {\n  return helper({});\n}\n';
    const r = await js(code, 'f');
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('TypeError');
    expect(r.error?.message).toContain('deep');
    expect(r.error?.line).toBe(4);
    const traceback = r.error?.traceback ?? '';
    expect(traceback).toContain('at helper (/sandbox/user_code.js:4)');
    expect(traceback).toContain('at f (/sandbox/user_code.js:8)');
    expect(traceback).not.toContain('main.js');
  });

  it('Error subclasses keep their class name, and error causes are shown', async () => {
    const code = `
class ValidationError extends Error {}
class NamedError extends Error {
  constructor(message) {
    super(message);
    this.name = "CustomName";
  }
}
function validation() {
  throw new ValidationError("bad input");
}
function named() {
  throw new NamedError("named");
}
function caused() {
  const error = new Error("outer");
  error.cause = new TypeError("inner");
  throw error;
}
`;
    expect((await js(code, 'validation')).error).toMatchObject({ type: 'ValidationError', message: 'bad input', line: 10 });
    expect((await js(code, 'named')).error).toMatchObject({ type: 'CustomName', message: 'named' });
    expect((await js(code, 'caused')).error?.traceback).toContain('Caused by: TypeError: inner');
  });

  it('a thrown value that is not an Error is reported by its type and text', async () => {
    expect((await js('function f() {\n  throw "just a string";\n}\n', 'f')).error).toMatchObject({ type: 'String', message: 'just a string' });
    expect((await js('function f() {\n  throw { code: 42 };\n}\n', 'f')).error).toMatchObject({ type: 'Object', message: '{"code":42}' });
  });

  it('an error on the first line of a one-line function still has its line', async () => {
    const r = await js('const x = 1;\nfunction f() { throw new Error("one-liner"); }\n', 'f');
    expect(r.error?.line).toBe(2);
    expect(r.error?.traceback).toContain('at f (/sandbox/user_code.js:2)');
  });

  it('a syntax error reports SyntaxError and its line', async () => {
    const r = await js('function ok() {\n  return 1;\n}\n\nconst broken = {\n  a: 1,,\n};\n', 'ok');
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('SyntaxError');
    expect(r.error?.line).toBe(6);
  });

  it("code left unclosed reports the parser's own error", async () => {
    const r = await js('function ok() {\n  return 1;\n', 'ok');
    expect(r.error?.type).toBe('SyntaxError');
    expect(r.error?.message).not.toContain('export');
    expect(r.error?.line).toBe(3);
  });

  it('an error while the module loads reports the top-level line', async () => {
    const r = await js('function ok() {\n  return 1;\n}\nnotDefined.x = 1;\n', 'ok');
    expect(r.error).toMatchObject({ type: 'ReferenceError', line: 4 });
  });

  it('call() throws UserCodeError carrying the result', async () => {
    const error = await rejection(executor.call({ language: 'javascript', code: 'function f() {\n  throw new Error("bad");\n}\n' }));
    expect(error).toBeInstanceOf(UserCodeError);
    expect(error.type).toBe('Error');
    expect(error.message).toBe('Error: bad');
  });
});

describe('JavaScript: values round-trip', () => {
  const echo = 'function echo(x) {\n  return x;\n}\n';
  const describeValue = 'function describe(x) {\n  return [typeof x, x instanceof Uint8Array, Object.is(x, -0), String(x)];\n}\n';

  it('null, booleans, numbers, strings, arrays, objects and nesting', async () => {
    const value = { none: null, yes: true, no: false, int: -7, float: 2.5, str: 'héllo ✓ 🎉', list: [1, [2, [3, { deep: [] }]]], empty: {} };
    expect((await js(echo, 'echo', [value])).result).toEqual(value);
  });

  it('undefined becomes null; undefined properties are left out, as in JSON', async () => {
    expect((await js('function f() {\n  return [undefined, { a: undefined, b: 1 }];\n}\n', 'f')).result).toEqual([null, { b: 1 }]);
    expect((await js('function f() {}\n', 'f')).result).toBeNull();
  });

  it('bigints: big ones both ways; a small BigInt result comes back as a number', async () => {
    expect((await js(describeValue, 'describe', [2n ** 70n])).result).toEqual(['bigint', false, false, String(2n ** 70n)]);
    expect((await js(describeValue, 'describe', [5n])).result).toEqual(['bigint', false, false, '5']);
    expect((await js('function f() {\n  return [2n ** 64n, 5n, -(2n ** 80n)];\n}\n', 'f')).result).toEqual([2n ** 64n, 5, -(2n ** 80n)]);
  });

  it('Uint8Array both ways; ArrayBuffer and DataView come back as bytes', async () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect((await js(echo, 'echo', [all])).result).toEqual(all);
    expect((await js(describeValue, 'describe', [Uint8Array.of(1, 2)])).result).toEqual(['object', true, false, '1,2']);
    expect((await js('function f() {\n  return [new Uint8Array([7, 8]).buffer, new DataView(new Uint8Array([9]).buffer)];\n}\n', 'f')).result).toEqual([
      Uint8Array.of(7, 8),
      Uint8Array.of(9),
    ]);
  });

  it('NaN, Infinity, -Infinity and -0 survive both ways', async () => {
    expect((await js(echo, 'echo', [[NaN, Infinity, -Infinity, -0]])).result).toEqual([NaN, Infinity, -Infinity, -0]);
    expect((await js(describeValue, 'describe', [-0])).result).toEqual(['number', false, true, '0']);
  });

  it('Date becomes its ISO string, Map an object, Set and typed arrays arrays, toJSON() is used', async () => {
    const code = `
function f() {
  return {
    date: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
    map: new Map([["a", 1], [2, [3]]]),
    set: new Set(["x", "y"]),
    floats: new Float64Array([0.5, NaN]),
    custom: { toJSON() { return "custom"; } },
  };
}
`;
    expect((await js(code, 'f')).result).toEqual({
      date: '2024-01-02T03:04:05.000Z',
      map: { a: 1, '2': [3] },
      set: ['x', 'y'],
      floats: [0.5, NaN],
      custom: 'custom',
    });
  });

  it('objects whose keys look like wire tags stay objects', async () => {
    const value = { $bigint: '1', nested: { $bytes: 'x' } };
    expect((await js(echo, 'echo', [value])).result).toEqual(value);
    expect((await js(echo, 'echo', [{ $bytes: 'QQ==' }])).result).toEqual({ $bytes: 'QQ==' });
  });

  it('unicode and a 1 MB string argument round-trip', async () => {
    const big = 'é漢🎉x'.repeat(200_000);
    const r = await js('function f(s) {\n  return [s.length, s];\n}\n', 'f', [big]);
    expect(r.status).toBe('success');
    expect(r.result).toEqual([big.length, big]);
    expect((await js(echo, 'echo', ['a\ud800b'])).result).toBe('a\ud800b');
  });

  it('unserializable results give SerializationError naming the type and the path', async () => {
    const cases: [string, RegExp][] = [
      ['class Widget {}\nfunction f() {\n  return { list: [new Widget()] };\n}\n', /type 'Widget' at result\.list\[0\]/],
      ['function f() {\n  return { fn: () => 1 };\n}\n', /type 'function fn' at result\.fn/],
      ['function f() {\n  return [Symbol("s")];\n}\n', /type 'symbol' at result\[0\]/],
      ['function f() {\n  return { p: Promise.resolve(1) };\n}\n', /type 'Promise' at result\.p.*await it/],
      ['function f() {\n  const a = {};\n  a.self = a;\n  return a;\n}\n', /circular reference at result\.self/],
      ['function f() {\n  return new Map([[{}, 1]]);\n}\n', /Map key of type 'Object'/],
    ];
    for (const [code, message] of cases) {
      const r = await js(code, 'f');
      expect(r.error?.type).toBe('SerializationError');
      expect(r.error?.message).toMatch(message);
    }
  });
});

describe('JavaScript: output, input and isolation', () => {
  it('console and print go to stdout and stderr, apart from the result, formatted like Node', async () => {
    const code = `
function f() {
  console.log("text", 1, { a: [1, "x"], b: null }, [1n], undefined);
  console.info("%s is %d", "answer", 42);
  print("printed");
  console.error("to stderr");
  console.warn({ warn: true });
  return 1;
}
`;
    const r = await js(code, 'f');
    expect(r).toMatchObject({
      status: 'success',
      result: 1,
      stdout: "text 1 { a: [ 1, 'x' ], b: null } [ 1n ] undefined\nanswer is 42\nprinted\n",
      stderr: 'to stderr\n{ warn: true }\n',
    });
  });

  it('user code reads its stdin after the call frame, byte-exact', async () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const code =
      'import * as std from "std";\n\nfunction f() {\n  const buffer = new ArrayBuffer(1024);\n  const n = std.in.read(buffer, 0, 1024);\n  return new Uint8Array(buffer, 0, n);\n}\n';
    expect((await executor.invoke({ language: 'javascript', code, stdin: all })).result).toEqual(all);
    const text = 'import * as std from "std";\nexport const f = () => std.in.readAsString();\n';
    expect((await executor.invoke({ language: 'javascript', code: text, stdin: 'héllo\nwörld' })).result).toBe('héllo\nwörld');
  });

  it('text that imitates a result frame cannot fake the result, and the result channel cannot be reopened', async () => {
    const code = `import * as std from "std";
function f() {
  std.out.puts('R\\x00\\x00\\x00\\x1b{"ok":true,"value":"forged"}');
  return { real: true, reopened: std.open("/dev/sandbox/result", "wb") !== null };
}
`;
    const r = await js(code, 'f');
    expect(r.result).toEqual({ real: true, reopened: false });
    expect(r.stdout).toContain('forged');
  });

  it('TextEncoder, TextDecoder, atob and btoa are available', async () => {
    const code =
      'function f() {\n  const bytes = new TextEncoder().encode("é🎉");\n  return [Array.from(bytes), new TextDecoder().decode(bytes), btoa("hi"), atob("aGk=")];\n}\n';
    expect((await js(code, 'f')).result).toEqual([[195, 169, 240, 159, 142, 137], 'é🎉', 'aGk=', 'hi']);
  });
});

describe('JavaScript: sessions (SIP persistent mode)', () => {
  it('the proxy serves several calls in one process, keeping module state', async () => {
    const code = `
let count = 0;
function inc(by = 1) {
  count += by;
  return count;
}
async function later(x) {
  await new Promise((resolve) => setTimeout(resolve, 10));
  return x;
}
function boom() {
  throw new Error("boom");
}
function greet(name, { greeting = "Hello" } = {}) {
  return greeting + " " + name;
}
`;
    const session = await executor.createSession({ language: 'javascript', code });
    try {
      expect(session.mode).toBe('persistent');
      expect(await session.call('inc')).toBe(1);
      expect(await session.call('later', ['x'])).toBe('x');
      expect(await session.call('inc', [5])).toBe(6);
      expect((await session.invoke({ functionName: 'boom' })).error).toMatchObject({ type: 'Error', line: 12 });
      expect(await session.call('greet', ['Ada'], { greeting: 'Hi' })).toBe('Hi Ada');
      expect(await session.call('inc')).toBe(7);
    } finally {
      await session.close();
    }
  });
});
