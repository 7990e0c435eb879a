import { afterAll, describe, expect, it } from 'vitest';
import { AmbiguousFunctionError, SandboxExecutor, UserCodeError } from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 2 });
afterAll(() => executor.close());

const rb = (code: string, functionName?: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}) =>
  executor.invoke({ language: 'ruby', code, functionName, args, kwargs });

describe('Ruby: parameters map args and kwargs onto the call', () => {
  const code = `
def kinds(a, b = 2, *rest, c:, d: 4, **opts, &blk)
  { a: a, b: b, rest: rest, c: c, d: d, opts: opts, block: !blk.nil? }
end

def option_keys(**opts) = opts.keys.map(&:inspect)

def plain(a, b)
  [a, b]
end

def positional_with_default(a, b = "default") = [a, b]
`;

  it('required, optional, splat, required and optional keywords, double splat; the block is never given', async () => {
    expect((await rb(code, 'kinds', [1], { c: 3 })).result).toEqual({ a: 1, b: 2, rest: [], c: 3, d: 4, opts: {}, block: false });
    expect((await rb(code, 'kinds', [1, 20, 30, 40], { c: 3, d: 5, e: 6 })).result).toEqual({
      a: 1,
      b: 20,
      rest: [30, 40],
      c: 3,
      d: 5,
      opts: { e: 6 },
      block: false,
    });
  });

  it('kwargs arrive as keyword arguments with symbol keys', async () => {
    expect((await rb(code, 'option_keys', [], { alpha: 1, 'with space': 2 })).result).toEqual([':alpha', ':"with space"']);
    // A lone keyword whose name looks like a wire tag is still a keyword.
    expect((await rb('def names(**opts) = opts.map { |k, v| [k.to_s, v] }\n', 'names', [], { $bigint: 1 })).result).toEqual([['$bigint', 1]]);
  });

  it('optional positional parameters take their defaults', async () => {
    expect((await rb(code, 'positional_with_default', ['x'])).result).toEqual(['x', 'default']);
  });

  it("an unknown keyword raises Ruby's own ArgumentError, reported at the definition", async () => {
    const r = await rb(code, 'kinds', [1], { c: 3, nope: true });
    // `**opts` takes it: no error.
    expect(r.status).toBe('success');
    const unknown = await rb('def strict(a, b: 1)\n  [a, b]\nend\n', 'strict', [1], { nope: 2 });
    expect(unknown.status).toBe('error');
    expect(unknown.error).toMatchObject({ type: 'ArgumentError', message: 'unknown keyword: :nope', line: 1 });
    expect(unknown.error?.traceback).toContain("user_code.rb:1:in `strict'");
  });

  it('kwargs for a method without keyword parameters are refused rather than passed as a Hash', async () => {
    const r = await rb(code, 'plain', [1], { b: 2, z: 3 });
    expect(r.error).toMatchObject({ type: 'ArgumentError', message: 'unknown keywords: :b, :z', line: 8 });
  });

  it("missing arguments and keywords are Ruby's ArgumentError", async () => {
    const missingKeyword = await rb(code, 'kinds', [1]);
    expect(missingKeyword.error).toMatchObject({ type: 'ArgumentError', message: 'missing keyword: :c', line: 2 });
    const arity = await rb(code, 'plain', [1]);
    expect(arity.error).toMatchObject({ type: 'ArgumentError', message: 'wrong number of arguments (given 1, expected 2)' });
  });

  it('endless methods, predicate names and private def are callable', async () => {
    const methods = 'def double(x) = x * 2\n\ndef even?(x) = x.even?\n\nprivate def hidden = "found"\n';
    expect((await rb(methods, 'double', [21])).result).toBe(42);
    expect((await rb(methods, 'even?', [4])).result).toBe(true);
    expect((await rb(methods, 'hidden')).result).toBe('found');
  });

  it('a method named like a Kernel method shadows it without breaking the proxy', async () => {
    const shadowing =
      'def format(x) = "<#{x}>"\n\ndef method(x) = x\n\ndef raise(x) = x\n\ndef hash(s) = s.sum\n\ndef dup(x) = [x, x]\n\ndef nil?(x) = x == 0\n\ndef use\n  puts "printed"\n  [format(1), method(2), raise(3), hash("ab"), dup(4), nil?(0), "\\xFF"]\nend\n';
    expect(await rb(shadowing, 'use')).toMatchObject({ stdout: 'printed\n', result: ['<1>', 2, 3, 195, [4, 4], true, Uint8Array.of(0xff)] });
    expect((await rb(shadowing, 'use', [], { extra: 1 })).error?.message).toBe('unknown keyword: :extra');
    expect((await rb(shadowing, 'format', [{ a: [1] }])).result).toBe('<{"a"=>[1]}>');
  });
});

describe('Ruby: values round-trip', () => {
  const identity = 'def identity(x) = x\n';
  const inspect = 'def inspect_value(x) = [x.class.name, x.inspect]\n';

  it('nil, booleans, numbers, strings, arrays, hashes and nesting', async () => {
    const value = { none: null, yes: true, no: false, int: -7, float: 2.5, str: 'héllo ✓ 🎉', list: [1, [2, [3, { deep: [] }]]], empty: {} };
    expect((await rb(identity, 'identity', [value])).result).toEqual(value);
  });

  it('hashes arrive with string keys; symbol keys and symbols come back as strings', async () => {
    expect((await rb(inspect, 'inspect_value', [{ a: 1 }])).result).toEqual(['Hash', '{"a"=>1}']);
    const code = 'def f = { name: "x", list: [1, { deep: :sym }], 1 => "int key", nil => "nil key", 2.5 => "float key", true => "t" }\n';
    expect((await rb(code, 'f')).result).toEqual({ name: 'x', list: [1, { deep: 'sym' }], '1': 'int key', null: 'nil key', '2.5': 'float key', true: 't' });
  });

  it('keys that meet on the wire keep the later value', async () => {
    expect((await rb('def f = { a: 1, "a" => 2, "b" => 3 }\n', 'f')).result).toEqual({ a: 2, b: 3 });
  });

  it('integers beyond 2^53 are Integer on both sides', async () => {
    expect((await rb('def big = 2**64\n', 'big')).result).toBe(18446744073709551616n);
    expect((await rb(inspect, 'inspect_value', [12345678901234567890123n])).result).toEqual(['Integer', '12345678901234567890123']);
    expect((await rb('def f(x) = x + 1\n', 'f', [2n ** 100n])).result).toBe(2n ** 100n + 1n);
    expect((await rb('def f = [-(2**53 - 1), 2**53, -(2**70)]\n', 'f')).result).toEqual([-(2 ** 53 - 1), 2n ** 53n, -(2n ** 70n)]);
  });

  it('Uint8Array becomes a binary String, and binary Strings come back as Uint8Array', async () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const info = 'def info(x) = [x.encoding.name, x.bytes]\n';
    expect((await rb(info, 'info', [Uint8Array.of(0, 1, 255)])).result).toEqual(['ASCII-8BIT', [0, 1, 255]]);
    expect((await rb(identity, 'identity', [all])).result).toEqual(all);
    expect((await rb('def f = "hi".b\n', 'f')).result).toEqual(Uint8Array.of(104, 105));
    // Invalid UTF-8 is bytes too; text in another encoding is converted.
    expect((await rb('def f = "\\xFF\\xFE"\n', 'f')).result).toEqual(Uint8Array.of(0xff, 0xfe));
    expect((await rb('def f = "caf\\u00e9".encode("ISO-8859-1")\n', 'f')).result).toBe('café');
  });

  it('NaN, Infinity, -Infinity and -0.0 survive both ways', async () => {
    expect((await rb(identity, 'identity', [[NaN, Infinity, -Infinity, -0]])).result).toEqual([NaN, Infinity, -Infinity, -0]);
    expect((await rb('def f = [Float::NAN, -Float::INFINITY, -0.0, 1e300]\n', 'f')).result).toEqual([NaN, -Infinity, -0, 1e300]);
  });

  it('objects whose keys look like wire tags stay objects', async () => {
    const value = { $bigint: '1', nested: { $bytes: 'x' } };
    expect((await rb(identity, 'identity', [value])).result).toEqual(value);
    expect((await rb(identity, 'identity', [{ $bytes: 'QQ==' }])).result).toEqual({ $bytes: 'QQ==' });
    expect((await rb('def f = { "$float" => "nan" }\n', 'f')).result).toEqual({ $float: 'nan' });
  });

  it('control characters, quotes and lone surrogates in strings survive', async () => {
    const text = 'tab\there "quoted" back\\slash \u0000\u001f new\nline';
    expect((await rb(identity, 'identity', [text])).result).toBe(text);
    expect((await rb(identity, 'identity', ['a\ud800b'])).result).toBe('a\ud800b');
    expect((await rb(identity, 'identity', [['x\udc00', '🎉']])).result).toEqual(['x\udc00', '🎉']);
  });

  it('Set, Struct and Data come back as arrays and objects', async () => {
    const code = 'require "set"\nPoint = Struct.new(:x, :y)\nSize = Data.define(:w, :h)\n\ndef f = [Set[1, 2], Point.new(1, 2), Size.new(w: 3, h: 4)]\n';
    expect((await rb(code, 'f')).result).toEqual([[1, 2], { x: 1, y: 2 }, { w: 3, h: 4 }]);
  });

  it('an unserializable value gives a SerializationError naming its type and place', async () => {
    const widget = await rb('class Widget; end\n\ndef f = { "w" => [1, Widget.new] }\n', 'f');
    expect(widget.error).toMatchObject({ type: 'SerializationError', message: 'return value of type \'Widget\' at result["w"][1] is not serializable' });
    expect((await rb('def f = 1..2\n', 'f')).error?.message).toContain("'Range'");
    expect((await rb('def f = { [1] => 2 }\n', 'f')).error?.message).toContain("hash key of type 'Array'");
    const cycle = await rb('def f\n  a = [1]\n  a << { "again" => a }\n  a\nend\n', 'f');
    expect(cycle.error).toMatchObject({ type: 'SerializationError', message: 'circular reference at result[1]["again"] is not serializable' });
  });

  it('large payloads round-trip, tags included', async () => {
    const big = 'é漢🎉x'.repeat(200_000);
    const r = await rb('def f(s) = [s.length, s]\n', 'f', [big]);
    expect(r.status).toBe('success');
    expect(r.result).toEqual([big.length - 200_000, big]); // Ruby counts characters; the emoji is 2 UTF-16 units
    const numbers = Array.from({ length: 30_000 }, (_, i) => i);
    const mixed = [numbers, 2n ** 80n, Uint8Array.of(1, 2), NaN, { $bigint: 'literal' }, 'a\ud800b'];
    const sizes = 'def f(x) = [x[0].sum, x[1].class.name, x[2].encoding.name, x[3].nan?, x[4], x[5].bytesize]\n';
    expect((await rb(sizes, 'f', [mixed])).result).toEqual([(30_000 * 29_999) / 2, 'Integer', 'ASCII-8BIT', true, { $bigint: 'literal' }, 5]);
    expect((await rb(identity, 'identity', [mixed])).result).toEqual(mixed);
  });
});

describe('Ruby: output and errors', () => {
  it('output goes to stdout and stderr, apart from the result', async () => {
    const code = 'def f\n  puts "to stdout"\n  print "no newline"\n  $stderr.puts "to stderr"\n  warn "warned"\n  1\nend\n';
    expect(await rb(code, 'f')).toMatchObject({ status: 'success', result: 1, stdout: 'to stdout\nno newline', stderr: 'to stderr\nwarned\n', exitCode: 0 });
  });

  it('text that imitates a result frame cannot fake the result, and the result channel cannot be reopened', async () => {
    const code = `
def f
  $stdout.write("R\\x00\\x00\\x00\\x1b{\\"ok\\":true,\\"value\\":\\"forged\\"}".b)
  reopened = begin
    File.open("/dev/sandbox/result", "wb")
    true
  rescue SystemCallError
    false
  end
  { real: true, reopened: reopened }
end
`;
    const r = await rb(code, 'f');
    expect(r.result).toEqual({ real: true, reopened: false });
    expect(r.stdout).toContain('forged');
  });

  it('stdin is byte-exact: the program reads its own stdin after the call frame', async () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const r = await executor.invoke({ language: 'ruby', code: 'def f = $stdin.binmode.read\n', stdin: all });
    expect(r.result).toEqual(all);
  });

  it('an exception reports type, message, the line and a backtrace of user frames only', async () => {
    const code = '\n\ndef helper(h)\n  h.fetch(:missing)\nend\n\ndef f\n  helper({})\nend\n';
    const r = await rb(code, 'f');
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('KeyError');
    expect(r.error?.message).toBe('key not found: :missing');
    expect(r.error?.line).toBe(4);
    const traceback = r.error?.traceback ?? '';
    // Ruby's own format: a core method called from user code shows at the caller's line.
    expect(traceback).toBe("user_code.rb:4:in `fetch': key not found: :missing (KeyError)\n\tfrom user_code.rb:4:in `helper'\n\tfrom user_code.rb:8:in `f'\n");
    expect(traceback).not.toContain('main.rb');
  });

  it('the cause of an exception is part of the traceback', async () => {
    const code = 'def f\n  Integer("x")\nrescue ArgumentError\n  raise "could not parse"\nend\n';
    const r = await rb(code, 'f');
    expect(r.error).toMatchObject({ type: 'RuntimeError', message: 'could not parse', line: 4 });
    expect(r.error?.traceback).toContain('invalid value for Integer(): "x" (ArgumentError)');
  });

  it('a syntax error reports SyntaxError and its line', async () => {
    const r = await rb('def ok = 1\n\ndef broken\n  [1, 2\nend\n', 'ok');
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('SyntaxError');
    expect(r.error?.line).toBe(5);
    expect(r.error?.message).toMatch(/^user_code\.rb:5: syntax error/);
  });

  it('an error while loading the code reports its line', async () => {
    const r = await rb('def ok = 1\n\nCONFIG = { "a" => 1 }.fetch("b")\n', 'ok');
    expect(r.error).toMatchObject({ type: 'KeyError', line: 3 });
  });

  it('exit and abort end the call with SystemExit, not silently', async () => {
    const exited = await rb('def f\n  puts "bye"\n  exit 3\nend\n', 'f');
    expect(exited).toMatchObject({ status: 'error', stdout: 'bye\n' });
    expect(exited.error).toMatchObject({ type: 'SystemExit', message: 'exit code 3', line: 3 });
    const aborted = await rb('def f = abort("fatal problem")\n', 'f');
    expect(aborted.error).toMatchObject({ type: 'SystemExit', message: 'fatal problem' });
    expect(aborted.stderr).toBe('fatal problem\n');
  });

  it('call() returns the value or throws UserCodeError carrying the result', async () => {
    expect(await executor.call({ language: 'rb', code: 'def add(a, b) = a + b\n', args: [2, 3] })).toBe(5);
    const error = await rejection(executor.call({ language: 'ruby', code: 'def f\n  raise ArgumentError, "bad input"\nend\n' }));
    expect(error).toBeInstanceOf(UserCodeError);
    expect(error.type).toBe('ArgumentError');
    expect(error.message).toBe('ArgumentError: bad input');
    expect(error.result.error.line).toBe(2);
  });

  it('the proxy runs precompiled (binary instruction sequences), and user code is not the main script', async () => {
    expect((await rb('def f = [$0, __FILE__, __dir__]\n', 'f')).result).toEqual(['/sandbox/load_proxy.rb', 'user_code.rb', '/sandbox']);
  });

  it('the standard library loads', async () => {
    const code = 'require "json"\nrequire "set"\nrequire "digest"\n\ndef f = [JSON.generate({ "a" => [1] }), Set[1, 1].size, Digest::MD5.hexdigest("")]\n';
    expect((await rb(code, 'f')).result).toEqual(['{"a":[1]}', 1, 'd41d8cd98f00b204e9800998ecf8427e']);
  });
});

describe('Ruby: finding the function', () => {
  it('functionName may be omitted when there is one method', async () => {
    expect((await executor.invoke({ language: 'ruby', code: 'def only(x = 4) = x\n' })).result).toBe(4);
  });

  it('several methods without a functionName are ambiguous', async () => {
    const error = await rejection(executor.invoke({ language: 'ruby', code: 'def a = 1\n\ndef b = 2\n\nclass K\n  def c = 3\nend\n' }));
    expect(error).toBeInstanceOf(AmbiguousFunctionError);
    expect(error.candidates).toEqual(['a', 'b']);
  });

  it('describe() reports parameters, doc and YARD types', () => {
    const code =
      '# Scales values.\n# @param values [Array<Float>] what to scale\n# @param factor [Integer, nil]\ndef scale(values, factor = 2, round: false) = values\n';
    const [fn] = executor.describe({ language: 'ruby', code }).functions;
    expect(fn.doc).toBe('Scales values.\n@param values [Array<Float>] what to scale\n@param factor [Integer, nil]');
    expect(fn.parameters.map((p) => [p.name, p.kind, p.required])).toEqual([
      ['values', 'positional-only', true],
      ['factor', 'positional-only', false],
      ['round', 'keyword', false],
    ]);
    expect(fn.parameters[0].schema).toEqual({ type: 'array', items: { type: 'number' } });
    expect(fn.parameters[1].schema).toEqual({ anyOf: [{ type: 'integer' }, { type: 'null' }], default: 2 });
  });
});

describe('Ruby: time, limits and sessions', () => {
  it('sleep really sleeps, without spinning a core', async () => {
    const code =
      'def nap(s)\n  t = Process.clock_gettime(Process::CLOCK_MONOTONIC)\n  slept = sleep(s)\n  [slept, Process.clock_gettime(Process::CLOCK_MONOTONIC) - t]\nend\n';
    const measure = async (seconds: number) => {
      const before = process.cpuUsage();
      const started = Date.now();
      const r = await rb(code, 'nap', [seconds]);
      const cpu = process.cpuUsage(before);
      return { r, wallMs: Date.now() - started, cpuMs: (cpu.user + cpu.system) / 1000 };
    };
    const idle = await measure(0);
    const napping = await measure(1.5);
    expect(napping.r.status).toBe('success');
    const [slept, measured] = napping.r.result as [number, number];
    expect(slept).toBe(2); // Kernel#sleep returns the rounded seconds
    expect(measured).toBeGreaterThanOrEqual(1.49);
    expect(napping.wallMs).toBeGreaterThanOrEqual(1490);
    // Ruby's own sleep busy-waits under WASI: that would add ~1500 ms of CPU to the same call without the
    // sleep (start-up and refilling pre-started instances cost the same in both).
    expect(napping.cpuMs - idle.cpuMs).toBeLessThan(750);
  });

  it('sleep checks its argument like Ruby', async () => {
    expect((await rb('def f = sleep(-1)\n', 'f')).error).toMatchObject({ type: 'ArgumentError', message: 'time interval must not be negative', line: 1 });
    expect((await rb('def f = sleep("1")\n', 'f')).error).toMatchObject({ type: 'TypeError', message: "can't convert String into time interval" });
    expect((await rb('def f = Kernel.sleep(0.01r)\n', 'f')).result).toBe(0);
  });

  it('sleeping counts against timeoutMs', async () => {
    const r = await executor.invoke({ language: 'ruby', code: 'def nap = sleep(30)\n', timeoutMs: 700 });
    expect(r.status).toBe('timeout');
  });

  it('timeoutMs stops an infinite loop, and the next call works', async () => {
    const started = Date.now();
    const r = await executor.invoke({ language: 'ruby', code: 'def spin\n  loop {}\nend\n', timeoutMs: 1000 });
    expect(r.status).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2500);
    expect((await rb('def ok = "alive"\n', 'ok')).result).toBe('alive');
  });

  it('a session keeps state across calls, survives a raised error, and gives each call its own stdin', async () => {
    const code = '$seen = []\n\ndef remember(x)\n  raise ArgumentError, "no nil" if x.nil?\n  $seen << x\nend\n\ndef read_stdin = $stdin.read\n';
    const session = await executor.createSession({ language: 'ruby', code });
    try {
      expect(await session.call('remember', ['a'])).toEqual(['a']);
      const error = await rejection(session.call('remember', [null]));
      expect(error.type).toBe('ArgumentError');
      // A persistent call sees end of input on stdin, never the next request.
      expect(await session.call('read_stdin')).toBe('');
      expect(await session.call('remember', ['b'])).toEqual(['a', 'b']);
    } finally {
      await session.close();
    }
  });
});
