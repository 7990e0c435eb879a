import { describe, expect, it } from 'vitest';
import { inferRubySignatures } from '../../src/languages/ruby/inference.js';

const names = (code: string) => inferRubySignatures(code).map((s) => s.name);

describe('Ruby signature inference', () => {
  it('finds every parameter kind with defaults', () => {
    const [sig] = inferRubySignatures('def f(a, b = {x: 1}, *rest, c:, d: [1, 2], **opts, &blk)\n  a\nend\n');
    expect(sig).toMatchObject({ name: 'f', line: 1 });
    expect(sig.params).toEqual([
      { name: 'a', kind: 'positional-only' },
      { name: 'b', kind: 'positional-only', default: '{x: 1}' },
      { name: 'rest', kind: 'var-positional' },
      { name: 'c', kind: 'keyword-only' },
      { name: 'd', kind: 'keyword-only', default: '[1, 2]' },
      { name: 'opts', kind: 'var-keyword' },
      { name: 'blk', kind: 'block' },
    ]);
  });

  it('reads anonymous, forwarding, destructured and no-keyword parameters', () => {
    const sigs = inferRubySignatures('def anon(*, **, &) = 1\ndef fwd(a, ...) = g(...)\ndef pair((x, y), z) = 1\ndef nokw(a, **nil) = a\n');
    expect(sigs.map((s) => s.params)).toEqual([
      [
        { name: '*', kind: 'var-positional' },
        { name: '**', kind: 'var-keyword' },
        { name: '&', kind: 'block' },
      ],
      [
        { name: 'a', kind: 'positional-only' },
        { name: '*', kind: 'var-positional' },
        { name: '**', kind: 'var-keyword' },
        { name: '&', kind: 'block' },
      ],
      [
        { name: '(x, y)', kind: 'positional-only' },
        { name: 'z', kind: 'positional-only' },
      ],
      [{ name: 'a', kind: 'positional-only' }],
    ]);
  });

  it('reads parameters without parentheses, spread over lines, and endless methods', () => {
    const sigs = inferRubySignatures(`
def bare a, b = 2
  a + b
end

def spread(
  first,   # a comment with ) and ,
  second: "x)"
)
  first
end

def endless(x) = x * 2
def constant = 42
def predicate?(x) = x.nil?
def bang!; end
`);
    expect(sigs.map((s) => [s.name, s.line, s.params.map((p) => p.name)])).toEqual([
      ['bare', 2, ['a', 'b']],
      ['spread', 6, ['first', 'second']],
      ['endless', 13, ['x']],
      ['constant', 14, []],
      ['predicate?', 15, ['x']],
      ['bang!', 16, []],
    ]);
    expect(sigs[1].params[1]).toEqual({ name: 'second', kind: 'keyword-only', default: '"x)"' });
  });

  it('ignores methods of classes and modules, singleton methods, nested defs, blocks, setters and operators', () => {
    const code = `
class Shape
  def area; 0; end
  class << self
    def build; end
  end
end

module Helpers
  def self.util; end
  def helper; end
end

def self.on_main; end
def value=(v); end
def +(other); end
def <=>(other) = 0
def [](i) = i

Struct.new(:a) do
  def in_block; end
end
[1].each { |i| def in_braces; end }

def outer
  def inner; end
  inner
end

def real = 1
`;
    expect(names(code)).toEqual(['outer', 'real']);
  });

  it('finds methods under top-level if/unless/begin/case/while and after private', () => {
    const code = `
if ENV["FAST"]
  def fast = 1
else
  def fast = 2
end

unless defined?(JSON)
  def parse(x) = x
end

begin
  def guarded; end
rescue LoadError
end

while false do
  def looped; end
end

private def hidden(k: 1) = k
x = 1 if true
def after_modifier; end
`;
    expect(names(code)).toEqual(['fast', 'parse', 'guarded', 'looped', 'hidden', 'after_modifier']);
  });

  it('is not fooled by keywords inside strings, heredocs, comments, symbols, labels, regexps and % literals', () => {
    const code = `
s = "def in_string; end #{ "}" + "def interpolated" }"
t = 'def single; end'
h = <<~EOS
  def in_heredoc
  end
EOS
raw = <<-'RAW'
  def in_raw_heredoc; end
  RAW
two = [<<~A, <<~B]
  def first_heredoc; end
A
  def second_heredoc; end
B
# def in_comment; end
=begin
def in_doc; end
=end
w = %w[def in_words end]
q = %q(def (nested) in_q; end)
r = /def in_regexp end/
sym = [:end, :class, :def, :"def quoted"]
opts = { if: 1, class: "x", end: 2, do: 3, def: 4 }
range = (1..2).end
klass = self.class
c = ?"
div = 10 / 2; other = 4 / 2
def real(a = :end, b = "end", c: :if) = [a, b, c]
__END__
def after_end; end
`;
    const sigs = inferRubySignatures(code);
    expect(sigs.map((s) => s.name)).toEqual(['real']);
    expect(sigs[0].params).toEqual([
      { name: 'a', kind: 'positional-only', default: ':end' },
      { name: 'b', kind: 'positional-only', default: '"end"' },
      { name: 'c', kind: 'keyword-only', default: ':if' },
    ]);
  });

  it('reads `/` and `%` after a name as operators when no literal closes on the line', () => {
    const code = 'def half(y)\n  x = y /2\n  z = y %2\n  [x, z, y.size /2]\nend\n\ndef after = puts /re/, %w[a b]\ndef last = 1\n';
    expect(names(code)).toEqual(['half', 'after', 'last']);
  });

  it('takes the comment block above a method as its doc, with YARD types', () => {
    const [sig] = inferRubySignatures(`# frozen_string_literal: true

# Scales the values.
#
#   Indented example.
# @param values [Array<Float>] what to scale
# @param [Integer, nil] factor how much
# @param opts [Hash{String => Integer}]
# @return [Array<Float>]
def scale(values, factor = 2, **opts) = values
`);
    expect(sig.doc).toBe(
      'Scales the values.\n\n  Indented example.\n@param values [Array<Float>] what to scale\n@param [Integer, nil] factor how much\n@param opts [Hash{String => Integer}]\n@return [Array<Float>]',
    );
    expect(sig.params.map((p) => p.type)).toEqual(['Array<Float>', 'Integer | nil', 'Hash{String => Integer}']);
    expect(sig.returnType).toBe('Array<Float>');
  });

  it('leaves out comments separated by a blank line and magic comments', () => {
    const sigs = inferRubySignatures('# frozen_string_literal: true\ndef a = 1\n\n# unrelated\n\ndef b = 2\n');
    expect(sigs.map((s) => s.doc)).toEqual([undefined, undefined]);
  });

  it('keeps the last of two definitions with the same name', () => {
    const sigs = inferRubySignatures('def f(a) = a\n\ndef g = 1\n\ndef f(a, b) = a\n');
    expect(sigs.map((s) => [s.name, s.params.length, s.line])).toEqual([
      ['g', 0, 3],
      ['f', 2, 5],
    ]);
  });

  it('never throws on broken or random input', () => {
    const samples = [
      'def',
      'def f(',
      'def f(a, b',
      '"unterminated',
      '<<~EOS\n',
      '%w[',
      '=begin',
      ')))',
      'end end end',
      'def f(**',
      'def (',
      '?',
      ':',
      '#{',
      '"#{"#{"#{',
      'def f(a = "#{b',
      'class << ',
      '/',
    ];
    for (const code of samples) expect(() => inferRubySignatures(code)).not.toThrow();
    const alphabet = [
      'def ',
      'end',
      '(',
      ')',
      '{',
      '}',
      '[',
      ']',
      '"',
      "'",
      '#{',
      '#',
      '\n',
      ' ',
      'a',
      'b:',
      '=',
      '*',
      '**',
      '&',
      ',',
      ';',
      '<<~E',
      'E\n',
      '%w(',
      '/',
      '?',
      ':',
      'do',
      'if ',
      'class ',
      '\\',
      '=begin\n',
      '=end\n',
      '|',
      '.',
      '->',
      '=>',
    ];
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    for (let run = 0; run < 500; run++) {
      let code = '';
      const length = Math.floor(random() * 60);
      for (let i = 0; i < length; i++) code += alphabet[Math.floor(random() * alphabet.length)];
      const sigs = inferRubySignatures(code);
      expect(Array.isArray(sigs)).toBe(true);
    }
  });
});
