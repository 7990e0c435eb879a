import { describe, expect, it } from 'vitest';
import { inferPythonSignatures } from '../../src/languages/python/inference.js';

describe('Python signature inference', () => {
  it('finds positional parameters, defaults, *args, keyword-only and **kwargs with annotations', () => {
    const [sig] = inferPythonSignatures(`
def f(a, b: int = 2, /, c=[1, (2, 3)], *args: str, d, e: "dict[str, int]" = {'x': 1}, **kw) -> list[int]:
    """Sum things.

    Details:
        indented more.
    """
    return []
`);
    expect(sig.name).toBe('f');
    expect(sig.returnType).toBe('list[int]');
    expect(sig.doc).toBe('Sum things.\n\nDetails:\n    indented more.');
    expect(sig.params).toEqual([
      { name: 'a', kind: 'positional-only' },
      { name: 'b', kind: 'positional-only', type: 'int', default: '2' },
      { name: 'c', kind: 'positional', default: '[1, (2, 3)]' },
      { name: 'args', kind: 'var-positional', type: 'str' },
      { name: 'd', kind: 'keyword-only' },
      { name: 'e', kind: 'keyword-only', type: '"dict[str, int]"', default: "{'x': 1}" },
      { name: 'kw', kind: 'var-keyword' },
    ]);
  });

  it('sees decorated, async and multi-line definitions and reports their lines', () => {
    const sigs = inferPythonSignatures(`import functools

@functools.lru_cache(maxsize=None)
def cached(n):
    return n

async def fetch(
    url,  # comment with ) and :
    retries=3,
):
    return url
`);
    expect(sigs.map((s) => [s.name, s.line, s.isAsync ?? false])).toEqual([
      ['cached', 4, false],
      ['fetch', 7, true],
    ]);
    expect(sigs[1].params.map((p) => p.name)).toEqual(['url', 'retries']);
  });

  it('ignores methods, nested functions and definitions inside strings', () => {
    const sigs = inferPythonSignatures(`
class Shape:
    def area(self):
        def inner():
            pass
        return 0

text = """
def fake():
    pass
"""

def real():
    def helper():
        pass
    return helper
`);
    expect(sigs.map((s) => s.name)).toEqual(['real']);
  });

  it('finds functions defined under module-level if/try and lambda assignments', () => {
    const sigs = inferPythonSignatures(`
try:
    import numpy
except ImportError:
    def mean(xs):
        return sum(xs) / len(xs)

if True:
    def other(): return 1

square = lambda x, power=2: x ** power
`);
    expect(sigs.map((s) => s.name)).toEqual(['mean', 'other', 'square']);
    expect(sigs[2].params).toEqual([
      { name: 'x', kind: 'positional' },
      { name: 'power', kind: 'positional', default: '2' },
    ]);
  });

  it('keeps the last of two definitions with the same name', () => {
    const sigs = inferPythonSignatures('def f(a):\n    pass\n\ndef f(a, b):\n    pass\n');
    expect(sigs).toHaveLength(1);
    expect(sigs[0].params.map((p) => p.name)).toEqual(['a', 'b']);
  });

  it('never throws on broken code', () => {
    for (const code of ['def', 'def f(', 'def f(a, b', '"""unterminated', 'lambda', 'x = lambda', ')))', 'def f(**):']) {
      expect(() => inferPythonSignatures(code)).not.toThrow();
    }
  });
});
