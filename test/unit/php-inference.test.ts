import { describe, expect, it } from 'vitest';
import type { ProgramPlan } from '../../src/runtime/program.js';
import { php } from '../../src/languages/php/index.js';
import { inferPhpSignatures } from '../../src/languages/php/inference.js';
import { withOpenTag } from '../../src/languages/php/open-tag.js';
import { tokenizePhp } from '../../src/languages/php/tokenizer.js';

describe('PHP signature inference', () => {
  it('finds typed, nullable, union, by-reference, variadic and default parameters with the return type and doc comment', () => {
    const [sig] = inferPhpSignatures(`<?php
/**
 * Adds numbers.
 *
 * @param int $a the first
 */
#[Pure]
function add(int $a, int|float $b = 1, ?array &$c = [1, [2, 3]], #[SensitiveParameter] \\Foo\\Bar ...$rest): int|float {
    return $a;
}
`);
    expect(sig.name).toBe('add');
    expect(sig.line).toBe(8);
    expect(sig.returnType).toBe('int|float');
    expect(sig.doc).toBe('Adds numbers.\n\n@param int $a the first');
    expect(sig.params).toEqual([
      { name: 'a', kind: 'positional', type: 'int' },
      { name: 'b', kind: 'positional', type: 'int|float', default: '1' },
      { name: 'c', kind: 'positional', type: '?array', default: '[1, [2, 3]]' },
      { name: 'rest', kind: 'var-positional', type: '\\Foo\\Bar' },
    ]);
  });

  it('works with and without the opening tag, and keeps line numbers either way', () => {
    const bare = inferPhpSignatures('function f($a) {\n    return $a;\n}\n\nfunction g() {}\n');
    expect(bare.map((s) => [s.name, s.line])).toEqual([
      ['f', 1],
      ['g', 5],
    ]);
    const tagged = inferPhpSignatures('\n\n<?php\nfunction f() {}\n');
    expect(tagged.map((s) => [s.name, s.line])).toEqual([['f', 4]]);
  });

  it('ignores methods, closures, nested functions and functions in strings, heredocs and comments', () => {
    const sigs = inferPhpSignatures(`<?php
class Shape {
    public function area(): float { return 0; }
    abstract protected function name(): string;
}
interface Named { function name(); }
trait Greets { function hello() {} }
enum Suit: string {
    case Hearts = 'h';
    public function label(): string { return 'x'; }
}
$anonymous = new class { function inside() {} };
$s = "function fake1() {} {$map["}"]} \${x}";
$h = <<<EOT
    function fake2() { {$a['}']}
    EOT;
$n = <<<'NOW'
function fake3() {}
NOW;
// function fake4() {}
# function fake5() {}
/* function fake6() {} */
function real() {
    function nested() {}
    $c = function () { function inClosure() {} };
    return 1;
}
`);
    expect(sigs.map((s) => s.name)).toEqual(['real']);
  });

  it('finds functions declared under top-level if blocks and braced namespaces', () => {
    const sigs = inferPhpSignatures(`<?php
namespace App {
    if (!function_exists('helper')) {
        function helper() {}
    }
}
namespace {
    function main() {}
}
`);
    expect(sigs.map((s) => s.name)).toEqual(['helper', 'main']);
  });

  it('finds closures assigned to top-level variables, callable by the variable name', () => {
    const sigs = inferPhpSignatures(`<?php
$echo = fn($value) => $value;
$square = static function (int $x, $power = 2) use ($base): int {
    return $x ** $power;
};
$notAFunction = strlen('x');
function after() {}
`);
    expect(sigs.map((s) => [s.name, s.line])).toEqual([
      ['echo', 2],
      ['square', 3],
      ['after', 7],
    ]);
    expect(sigs[1]).toMatchObject({
      returnType: 'int',
      params: [
        { name: 'x', kind: 'positional', type: 'int' },
        { name: 'power', kind: 'positional', default: '2' },
      ],
    });
  });

  it('skips text outside PHP tags, stops at __halt_compiler, and sees keywords used as names for what they are', () => {
    const sigs = inferPhpSignatures(`<?php
$x = Foo::class;
$y = $obj->function;
use function Lib\\{first, second};
?>
<p>function html() {}</p>
<?php
function &byReference(): static {}
FUNCTION Loud() {}
function loud() {}
__halt_compiler();
function halted() {}
`);
    expect(sigs.map((s) => s.name)).toEqual(['byReference', 'Loud']);
  });

  it('never throws on broken or random input', () => {
    const samples = [
      'function',
      'function f(',
      'function f($a, $b',
      '"unterminated {$x',
      '<<<EOT\nnever closed',
      '/** doc',
      '#[',
      '<?php ?>',
      '$f = fn(',
      ')))}}}',
      'function f(...$) {}',
      '$ = function',
    ];
    for (const code of samples) expect(() => inferPhpSignatures(code)).not.toThrow();
    const alphabet = 'function $a(){}[]<>?"\'`#/*\\\n =>.,;:&|!@-+%^~0123456789abcEOT<<<?php';
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (let round = 0; round < 300; round++) {
      let code = '';
      const length = Math.floor(random() * 200);
      for (let i = 0; i < length; i++) code += alphabet[Math.floor(random() * alphabet.length)];
      expect(() => inferPhpSignatures(code)).not.toThrow();
    }
  });
});

describe('PHP opening tag', () => {
  it('adds <?php on line 1 when it is missing, and moves a late one to line 1 without moving code', () => {
    expect(withOpenTag('function f() {}')).toBe('<?php function f() {}');
    expect(withOpenTag('<?php\nfunction f() {}')).toBe('<?php\nfunction f() {}');
    expect(withOpenTag('\n\n  <?PHP\nfunction f() {}')).toBe('<?php\n\n  \nfunction f() {}');
    expect(withOpenTag('\uFEFF<?php echo 1;')).toBe('<?php echo 1;');
    expect(withOpenTag('#!/usr/bin/env php\n<?php\nf();')).toBe('<?php\n\nf();');
  });
});

describe('PHP tokenizer', () => {
  it('reads heredocs with indented closing markers and reports lines', () => {
    const tokens = tokenizePhp('<?php\n$a = <<<EOT\n  line {$b["x"]}\n  EOT;\n$c = 1;\n');
    const heredoc = tokens.find((t) => t.type === 'string');
    expect(heredoc?.value).toBe('<<<EOT\n  line {$b["x"]}\n  EOT');
    expect(tokens.find((t) => t.value === '$c')?.line).toBe(5);
  });
});

describe('PHP program plan', () => {
  const proxy = { entry: '/sandbox/main.php', files: [] };
  const plan = (code: string, memoryBytes = 512 * 1024 * 1024): ProgramPlan =>
    php.planProgram({
      code,
      analysis: php.analyze(code),
      input: { kind: 'module' },
      runtime: php.runtimes[0],
      prepared: proxy,
      toolbox: undefined as never,
      memoryBytes,
      env: {},
      argv: [],
    }) as ProgramPlan;

  it("sets PHP's memory_limit to 40% of the memory limit (the executor's 512 MiB when not given)", () => {
    expect(plan('function f() {}', 128 * 1024 * 1024).argv).toContain('memory_limit=51M');
    expect(plan('function f() {}').argv).toContain('memory_limit=204M');
    expect(plan('function f() {}').argv).toContain('-q'); // CGI headers are never printed
  });

  it('stores the user code with its opening tag on line 1', () => {
    expect(new TextDecoder().decode(plan('function f() {}').callFiles[0].data)).toBe('<?php function f() {}');
  });
});
