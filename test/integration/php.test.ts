import { afterAll, describe, expect, it } from 'vitest';
import { AmbiguousFunctionError, SandboxExecutor, UserCodeError } from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 2 });
afterAll(() => executor.close());

const php = (code: string, functionName?: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}) =>
  executor.invoke({ language: 'php', code, functionName, args, kwargs });

describe('PHP: parameters map args and kwargs onto the call', () => {
  const code = `<?php
function typed(int $i, float $f, string $s, array $a, ?int $n, int|string $u) {
    return [get_debug_type($i), get_debug_type($f), get_debug_type($s), get_debug_type($a), get_debug_type($n), get_debug_type($u)];
}

function defaults($a, $b = 10, string $c = "kw") {
    return ["a" => $a, "b" => $b, "c" => $c];
}

function variadic($first, ...$rest) {
    return ["first" => $first, "rest" => $rest];
}

function increment(&$value) {
    $value++;
    return $value;
}

function only_int(int $x) {
    return $x;
}
`;

  it('typed parameters: int, float, string, array, ?nullable and union', async () => {
    const r = await php(code, 'typed', [1, 2.5, 'x', [1], null, 'u']);
    expect(r.result).toEqual(['int', 'float', 'string', 'array', 'null', 'string']);
    // An integral number sent to a float parameter arrives as a float.
    expect((await php(code, 'typed', [1, 2, 'x', {}, 3, 4])).result).toEqual(['int', 'float', 'string', 'array', 'int', 'int']);
  });

  it('defaults and named arguments from kwargs', async () => {
    expect((await php(code, 'defaults', [1])).result).toEqual({ a: 1, b: 10, c: 'kw' });
    expect((await php(code, 'defaults', [1], { c: 'named' })).result).toEqual({ a: 1, b: 10, c: 'named' });
    expect((await php(code, 'defaults', [], { b: 2, a: 1 })).result).toEqual({ a: 1, b: 2, c: 'kw' });
  });

  it('variadics collect extra positional arguments, and extra named ones under their names', async () => {
    expect((await php(code, 'variadic', [1, 2, 3])).result).toEqual({ first: 1, rest: [2, 3] });
    expect((await php(code, 'variadic', [1])).result).toEqual({ first: 1, rest: [] });
    expect((await php(code, 'variadic', [1, 2], { x: true })).result).toEqual({ first: 1, rest: { 0: 2, x: true } });
  });

  it('by-reference parameters are accepted', async () => {
    expect((await php(code, 'increment', [41])).result).toBe(42);
  });

  it('wrong arguments surface as PHP errors: TypeError (coercive mode), ArgumentCountError, unknown named parameter', async () => {
    expect((await php(code, 'only_int', ['5'])).result).toBe(5); // coercive typing, as without strict_types
    const wrongType = await php(code, 'only_int', ['five']);
    expect(wrongType.error).toMatchObject({ type: 'TypeError', line: 19 }); // the line of the declaration
    expect(wrongType.error?.message).toBe('only_int(): Argument #1 ($x) must be of type int, string given');
    const missing = await php(code, 'defaults', []);
    expect(missing.error?.type).toBe('ArgumentCountError');
    expect(missing.error?.message).toBe('Too few arguments to function defaults(), 0 passed and at least 1 expected');
    const unknown = await php(code, 'defaults', [1], { nope: 1 });
    expect(unknown.error).toMatchObject({ type: 'Error', message: 'Unknown named parameter $nope' });
    expect(unknown.error?.traceback).not.toContain('main.php');
  });

  it('functions in a namespace are called by their short name', async () => {
    const r = await php('<?php\nnamespace App\\Math;\n\nfunction add(int $a, int $b): int {\n    return $a + $b;\n}\n', 'add', [2, 3]);
    expect(r.result).toBe(5);
  });

  it('code without <?php works, with the same line numbers', async () => {
    const r = await php('function f() {\n    return 1;\n}\n\nfunction g() {\n    throw new Exception("line 6");\n}\n', 'g');
    expect(r.error).toMatchObject({ type: 'Exception', line: 6 });
    expect((await php('\n\n<?php\nfunction f() {\n    return "tagged";\n}\n', 'f')).result).toBe('tagged');
  });

  it('functionName may be omitted when there is one function, not when there are several', async () => {
    expect((await executor.invoke({ language: 'php', code: '<?php\nfunction only($x = 4) {\n    return $x;\n}\n' })).result).toBe(4);
    const error = await rejection(executor.invoke({ language: 'php', code: 'function a() {}\nfunction b() {}\n' }));
    expect(error).toBeInstanceOf(AmbiguousFunctionError);
    expect(error.candidates).toEqual(['a', 'b']);
  });

  it('top-level variables are globals, and closures in them are callable by name', async () => {
    const code = '$base = 10;\n$add_base = fn($x) => $x + $GLOBALS["base"];\nfunction with_global() {\n    global $base;\n    return $base * 2;\n}\n';
    expect((await php(code, 'add_base', [5])).result).toBe(15);
    expect((await php(code, 'with_global')).result).toBe(20);
  });
});

describe('PHP: values round-trip', () => {
  const identity = '<?php\nfunction identity($x) {\n    return $x;\n}\n';
  const describeValue = '<?php\nfunction describe_value($x) {\n    return [get_debug_type($x), var_export($x, true)];\n}\n';

  it('null, bool, numbers, strings, lists, maps and nesting', async () => {
    const value = { none: null, yes: true, no: false, int: -7, float: 2.5, str: 'héllo ✓ 🎉 世界', list: [1, [2, [3, { deep: [] }]]], map: { a: { b: 'c' } } };
    expect((await php(identity, 'identity', [value])).result).toEqual(value);
    expect((await php(identity, 'identity', [null])).result).toBeNull();
  });

  it('32-bit integers: int inside ±2^31, exact floats up to 2^53 that come back as the same numbers', async () => {
    expect((await php(describeValue, 'describe_value', [2147483647])).result).toEqual(['int', '2147483647']);
    expect((await php(describeValue, 'describe_value', [-2147483648])).result).toEqual(['int', '-2147483647-1']); // var_export's PHP_INT_MIN
    expect((await php(describeValue, 'describe_value', [2147483648])).result).toEqual(['float', '2147483648.0']);
    for (const n of [2147483648, -2147483649, 2 ** 40 + 1, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER]) {
      expect((await php(identity, 'identity', [n])).result).toBe(n);
    }
    const r = await php('<?php\nfunction edges() {\n    return [PHP_INT_MAX, PHP_INT_MIN, PHP_INT_MAX + 1, 2 ** 40 + 1, 2.0 ** 53];\n}\n', 'edges');
    expect(r.result).toEqual([2147483647, -2147483648, 2147483648, 2 ** 40 + 1, 2 ** 53]);
  });

  it('a bigint arrives as an int, an exact float, or its digits beyond 2^53', async () => {
    expect((await php(describeValue, 'describe_value', [5n])).result).toEqual(['int', '5']);
    expect((await php(describeValue, 'describe_value', [2n ** 40n])).result).toEqual(['float', '1099511627776.0']);
    expect((await php(describeValue, 'describe_value', [2n ** 64n])).result).toEqual(['string', "'18446744073709551616'"]);
  });

  it('NaN, Infinity, -Infinity and -0 survive both ways', async () => {
    expect((await php(identity, 'identity', [[NaN, Infinity, -Infinity, -0]])).result).toEqual([NaN, Infinity, -Infinity, -0]);
    expect((await php('<?php\nfunction f() {\n    return [NAN, -INF, -0.0, 0.1 + 0.2];\n}\n', 'f')).result).toEqual([NaN, -Infinity, -0, 0.1 + 0.2]);
  });

  it('bytes arrive as a binary string; strings that are not UTF-8 come back as bytes', async () => {
    expect((await php('<?php\nfunction f($b) {\n    return [get_debug_type($b), bin2hex($b)];\n}\n', 'f', [Uint8Array.of(0, 104, 255)])).result).toEqual([
      'string',
      '0068ff',
    ]);
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect((await php(identity, 'identity', [all])).result).toEqual(all);
    expect((await php('<?php\nfunction f() {\n    return "\\xff\\x00ok";\n}\n', 'f')).result).toEqual(Uint8Array.of(255, 0, 111, 107));
  });

  it('lists become arrays and other arrays objects; [] stays [], stdClass gives {}', async () => {
    const r = await php('<?php\nfunction f() {\n    return [[], new stdClass(), [3 => "x"], ["a" => 1], (object) ["0" => "a", "1" => "b"]];\n}\n', 'f');
    expect(r.result).toEqual([[], {}, { 3: 'x' }, { a: 1 }, { 0: 'a', 1: 'b' }]);
    // A JSON object arrives as an array, so an empty one comes back as [].
    expect((await php(identity, 'identity', [{}])).result).toEqual([]);
  });

  it('objects: public properties, JsonSerializable, backed enums and dates', async () => {
    const code = `<?php
class Point {
    public $x = 1;
    public $y = 2;
    protected $hidden = 3;
    private $secret = 4;
}
class Money implements JsonSerializable {
    public function jsonSerialize(): mixed { return ["amount" => 5, "currency" => "EUR"]; }
}
enum Suit: string { case Hearts = "H"; }

function f() {
    return [new Point(), new Money(), Suit::Hearts, new DateTimeImmutable("2024-01-02T03:04:05Z")];
}
`;
    expect((await php(code, 'f')).result).toEqual([{ x: 1, y: 2 }, { amount: 5, currency: 'EUR' }, 'H', '2024-01-02T03:04:05.000+00:00']);
  });

  it('objects whose keys look like wire tags stay objects', async () => {
    const value = { $bigint: '1', nested: { $bytes: 'x' } };
    expect((await php(identity, 'identity', [value])).result).toEqual(value);
    expect((await php(identity, 'identity', [{ $bytes: 'QQ==' }])).result).toEqual({ $bytes: 'QQ==' });
  });

  it('unserializable return values: closures, resources, cycles, unit enums', async () => {
    const closure = await php('<?php\nfunction f() {\n    return ["k" => [fn() => 1]];\n}\n', 'f');
    expect(closure.error).toMatchObject({ type: 'SerializationError', message: "return value of type 'Closure' at result['k'][0] is not serializable" });
    expect((await php('<?php\nfunction f() {\n    return fopen("php://memory", "r");\n}\n', 'f')).error?.message).toContain("'resource (stream)'");
    const cycle = await php('<?php\nfunction f() {\n    $o = new stdClass();\n    $o->self = $o;\n    return $o;\n}\n', 'f');
    expect(cycle.error).toMatchObject({ type: 'SerializationError', message: "circular reference at result['self']" });
    expect((await php('<?php\nenum Flag { case On; }\nfunction f() {\n    return Flag::On;\n}\n', 'f')).error?.message).toContain("'Flag'");
  });

  it('nesting: 40 levels come back; deeper, or an array inside itself by reference, is a SerializationError, not a crash', async () => {
    const nested = (levels: number) =>
      `<?php\nfunction f() {\n    $a = "leaf";\n    for ($i = 0; $i < ${levels}; $i++) {\n        $a = [$a];\n    }\n    return $a;\n}\n`;
    let expected: unknown = 'leaf';
    for (let i = 0; i < 40; i++) expected = [expected];
    expect((await php(nested(40), 'f')).result).toEqual(expected);
    expect((await php(nested(41), 'f')).error).toMatchObject({ type: 'SerializationError', message: expect.stringContaining('nested deeper than 40 levels') });
    const recursive = await php('<?php\nfunction f() {\n    $a = [1];\n    $a[] = &$a;\n    return $a;\n}\n', 'f');
    expect(recursive.error?.type).toBe('SerializationError');
  });

  it('large values round-trip: a 5 MB string, 20 000 objects', async () => {
    const text = 'é漢🎉x'.repeat(500_000);
    const many = Array.from({ length: 20_000 }, (_, i) => ({ i, name: `item ${i}`, tags: ['a', 'b'] }));
    const r = await php('<?php\nfunction f(string $text, array $many) {\n    return [mb_strlen($text), $text, $many];\n}\n', 'f', [text, many]);
    expect(r.result).toEqual([2_000_000, text, many]);
  });
});

describe('PHP: output and errors', () => {
  it('echo goes to stdout and STDERR to stderr, in order with fwrite(STDOUT) and php://stdout', async () => {
    const code = `<?php
function chatty() {
    echo "a";
    fwrite(STDOUT, "b");
    print "c";
    file_put_contents("php://stdout", "d\\n");
    fwrite(STDERR, "e");
    file_put_contents("php://stderr", "f\\n");
    error_log("logged");
    return 1;
}
`;
    expect(await php(code, 'chatty')).toMatchObject({ status: 'success', result: 1, stdout: 'abcd\n', stderr: 'ef\nlogged\n' });
  });

  it('CGI headers never reach stdout or the result', async () => {
    const r = await php(
      '<?php\nfunction f() {\n    header("X-Test: 1");\n    http_response_code(404);\n    setcookie("a", "b");\n    echo "body";\n    return headers_sent();\n}\n',
      'f',
    );
    expect(r).toMatchObject({ status: 'success', stdout: 'body', stderr: '' });
  });

  it('warnings go to stderr only; output buffers the function leaves open are flushed', async () => {
    const r = await php('<?php\nfunction f() {\n    ob_start();\n    echo "buffered";\n    $a = [];\n    return $a["missing"] ?? $undefined;\n}\n', 'f');
    expect(r.status).toBe('success');
    expect(r.stdout).toBe('buffered');
    expect(r.stderr).toBe('PHP Warning:  Undefined variable $undefined in /sandbox/user_code.php on line 6\n');
  });

  it('stdin is byte-exact after the call frame, through STDIN and php://stdin', async () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const viaConstant = await executor.invoke({ language: 'php', code: '<?php\nfunction f() {\n    return stream_get_contents(STDIN);\n}\n', stdin: all });
    expect(viaConstant.result).toEqual(all);
    const viaWrapper = await executor.invoke({
      language: 'php',
      code: '<?php\nfunction f() {\n    return file_get_contents("php://stdin");\n}\n',
      stdin: 'hello',
    });
    expect(viaWrapper.result).toBe('hello');
  });

  it('an exception reports its class, message, line and a traceback of user frames', async () => {
    const code =
      '<?php\n\nfunction helper(array $d) {\n    throw new DomainException("missing " . implode(",", $d));\n}\n\nfunction f() {\n    return helper(["x"]);\n}\n';
    const r = await php(code, 'f');
    expect(r.error).toMatchObject({ type: 'DomainException', message: 'missing x', line: 4 });
    expect(r.error?.traceback).toBe('DomainException: missing x in user_code.php:4\nStack trace:\n#0 user_code.php(8): helper()');
  });

  it('errors thrown by PHP itself: undefined function (with its line), division by zero', async () => {
    const undefinedFunction = await php('<?php\nfunction f() {\n    $x = 1;\n    return not_defined($x);\n}\n', 'f');
    expect(undefinedFunction.error).toMatchObject({ type: 'Error', message: 'Call to undefined function not_defined()', line: 4 });
    const division = await php('<?php\nfunction f() {\n    return intdiv(1, 0);\n}\n', 'f');
    expect(division.error).toMatchObject({ type: 'DivisionByZeroError', message: 'Division by zero', line: 3 });
  });

  it('fatal errors that no catch sees are reported with their line: redeclared function, E_USER_ERROR, memory', async () => {
    const redeclared = await php('<?php\nfunction f() {\n    return 1;\n}\n\nfunction strlen($s) {}\n', 'f');
    expect(redeclared).toMatchObject({ status: 'error', stdout: '', error: { type: 'FatalError', message: 'Cannot redeclare strlen()', line: 6 } });
    expect(redeclared.stderr).toContain('PHP Fatal error:  Cannot redeclare strlen()');
    const userError = await php('<?php\nfunction f() {\n    echo "before";\n    trigger_error("stop here", E_USER_ERROR);\n}\n', 'f');
    expect(userError).toMatchObject({ status: 'error', stdout: 'before', error: { type: 'FatalError', message: 'stop here', line: 4 } });
    const memory = await executor.invoke({
      language: 'php',
      code: '<?php\nfunction hog() {\n    $all = [];\n    while (true) {\n        $all[] = str_repeat("x", 1 << 20);\n    }\n}\n',
    });
    expect(memory).toMatchObject({ status: 'error', stdout: '', error: { type: 'FatalError', line: 5 } });
    expect(memory.error?.message).toMatch(/^Allowed memory size of \d+ bytes exhausted/);
  });

  it('a syntax error reports ParseError and its line', async () => {
    const r = await php('<?php\nfunction ok() {\n    return 1;\n}\n\nfunction broken( {\n}\n', 'ok');
    expect(r.error).toMatchObject({ type: 'ParseError', line: 6 });
    expect(r.error?.traceback).toContain('user_code.php:6');
  });

  it('exit() in the function is reported, with its exit code', async () => {
    const r = await php('<?php\nfunction f() {\n    echo "bye";\n    exit(3);\n}\n', 'f');
    expect(r).toMatchObject({ status: 'error', stdout: 'bye', exitCode: 3, error: { type: 'Exit' } });
  });

  it('call() returns the value or throws UserCodeError carrying the result', async () => {
    expect(await executor.call({ language: 'php', code: 'function add($a, $b) { return $a + $b; }', args: [2, 3] })).toBe(5);
    const error = await rejection(executor.call({ language: 'php', code: '<?php\nfunction f() {\n    throw new InvalidArgumentException("bad input");\n}\n' }));
    expect(error).toBeInstanceOf(UserCodeError);
    expect(error.type).toBe('InvalidArgumentException');
    expect(error.result.status).toBe('error');
  });
});

describe('PHP: time and limits', () => {
  it('usleep() really waits', async () => {
    const r = await php('<?php\nfunction f() {\n    $t = hrtime(true);\n    usleep(50000);\n    return (hrtime(true) - $t) / 1e6;\n}\n', 'f');
    expect(r.result as number).toBeGreaterThanOrEqual(49);
  });

  it('timeoutMs stops an infinite loop, and the next call works', async () => {
    const r = await executor.invoke({ language: 'php', code: 'function spin() {\n    while (true) {}\n}\n', timeoutMs: 800 });
    expect(r.status).toBe('timeout');
    expect((await php('function ok() { return "alive"; }', 'ok')).result).toBe('alive');
  });

  it('a session keeps globals between calls and goes on after an exception', async () => {
    const session = await executor.createSession({
      language: 'php',
      code: '<?php\n$n = 0;\nfunction inc() {\n    global $n;\n    return ++$n;\n}\nfunction fail() {\n    throw new RuntimeException("no");\n}\n',
    });
    try {
      expect(await session.call('inc')).toBe(1);
      expect((await session.invoke({ functionName: 'fail' })).error?.type).toBe('RuntimeException');
      expect(await session.call('inc')).toBe(2);
    } finally {
      await session.close();
    }
  });
});
