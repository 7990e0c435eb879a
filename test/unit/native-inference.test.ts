import { describe, expect, it } from 'vitest';
import { inferNativeSignatures } from '../../src/languages/native/inference.js';

const names = (code: string, dialect: 'c' | 'cpp' = 'c') => inferNativeSignatures(code, dialect).map((s) => s.name);

describe('C/C++ signature inference', () => {
  it('reads parameter and return types with const, unsigned, pointers, references and templates', () => {
    const [sig] = inferNativeSignatures(
      'const std::map<std::string, std::vector<int> > &lookup(const char *key, unsigned   long long n, std::vector< std::string >&& words, int &out, char * const fixed) { static std::map<std::string, std::vector<int> > m; return m; }\n',
      'cpp',
    );
    expect(sig.name).toBe('lookup');
    expect(sig.returnType).toBe('const std::map<std::string, std::vector<int>>&');
    expect(sig.params).toEqual([
      { name: 'key', kind: 'positional', type: 'const char*' },
      { name: 'n', kind: 'positional', type: 'unsigned long long' },
      { name: 'words', kind: 'positional', type: 'std::vector<std::string>&&' },
      { name: 'out', kind: 'positional', type: 'int&' },
      { name: 'fixed', kind: 'positional', type: 'char* const' },
    ]);
  });

  it('reads multi-line declarations, doc comments and the line of the name', () => {
    const sigs = inferNativeSignatures(
      `#include <stdio.h>

/**
 * Adds two numbers.
 *
 * Really.
 */
double add(double a, double b) { return a + b; }

// Says hello
// politely.
const char *
greet(const char *name, /* the person ) */
      int times) {
  return name;
}
`,
      'c',
    );
    expect(sigs.map((s) => [s.name, s.line, s.doc])).toEqual([
      ['add', 8, 'Adds two numbers.\n\nReally.'],
      ['greet', 13, 'Says hello\npolitely.'],
    ]);
    expect(sigs[1].params.map((p) => [p.name, p.type])).toEqual([
      ['name', 'const char*'],
      ['times', 'int'],
    ]);
    expect(sigs[1].returnType).toBe('const char*');
  });

  it('skips static functions, main, prototypes, templates, members, namespaces and operators', () => {
    const code = `
static int helper(int x) { return x; }
static inline int helper2(int x) { return x; }
int main(int argc, char **argv) { return 0; }
int prototype(int x);
template <typename T> T identity(T x) { return x; }
struct Point { int x; int area() const { return x; } };
int Point2::area() const { return 0; }
namespace util { int inner(int x) { return x; } }
bool operator==(const Point &a, const Point &b) { return a.x == b.x; }
class Shape { public: virtual double area() { return 0; } };
enum Color { RED, GREEN };
int visible(int x) { return helper(x); }
`;
    expect(names(code, 'cpp')).toEqual(['visible']);
  });

  it('sees functions inside extern "C" blocks and with attributes, but not inside comments, strings or #if 0', () => {
    const code = `
/* int commented(int x) { return x; } */
// int line_commented(void) { return 0; }
const char *text = "int in_string(void) { return 0; }";
const char *raw = R"x(int in_raw(void) { return 0; })x";
#if 0
int disabled(void) { return 0; }
#else
int enabled(void) { return 1; }
#endif
#define MACRO(x) int from_macro(void) { return x; }
extern "C" {
int exported(int x) { return x; }
}
extern "C" int linked(int x) { return x; }
__attribute__((noinline)) int attributed(int x) { return x; }
[[nodiscard]] inline int modern(int x) { return x; }
int data[] = { 1, 2, 3 };
struct S { int a; } s = { 1 };
int (*returns_pointer(void))(int) { return 0; }
int after(void) { return 2; }
`;
    expect(names(code, 'cpp')).toEqual(['enabled', 'exported', 'linked', 'attributed', 'modern', 'after']);
  });

  it('reads C++ default arguments (with commas and templates) and trailing return types', () => {
    const [sig, trailing] = inferNativeSignatures(
      'std::string pad(std::string s, std::map<std::string, int> m = {}, int n = max(1, 2), const char *sep = ",") { return s; }\nauto twice(int x) -> long { return 2 * x; }\n',
      'cpp',
    );
    expect(sig.params.map((p) => [p.name, p.type, p.default])).toEqual([
      ['s', 'std::string', undefined],
      ['m', 'std::map<std::string, int>', '{}'],
      ['n', 'int', 'max(1, 2)'],
      ['sep', 'const char*', '","'],
    ]);
    expect(trailing).toMatchObject({ name: 'twice', returnType: 'long', params: [{ name: 'x', type: 'int' }] });
  });

  it('handles void, unnamed, array, function-pointer and variadic parameters', () => {
    const sigs = inferNativeSignatures(
      'int none(void) { return 0; }\nint unnamed(int, double) { return 0; }\nint arr(int values[], int n) { return 0; }\nint cb(int (*fn)(int), int x) { return 0; }\nint va(int count, ...) { return 0; }\n',
      'c',
    );
    expect(sigs.map((s) => s.params.map((p) => `${p.name}:${p.type}:${p.kind}`))).toEqual([
      [],
      ['arg1:int:positional', 'arg2:double:positional'],
      ['values:int[]:positional', 'n:int:positional'],
      ['fn:int(* fn)(int):positional', 'x:int:positional'],
      ['count:int:positional', 'args:...:var-positional'],
    ]);
  });

  it('keeps the first of several definitions with one name (C++ overloads)', () => {
    const sigs = inferNativeSignatures('int f(int x) { return x; }\ndouble f(double x) { return x; }\n', 'cpp');
    expect(sigs).toHaveLength(1);
    expect(sigs[0].params[0].type).toBe('int');
  });

  it('never throws, whatever the input', () => {
    let seed = 42;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pieces = [
      'int',
      ' f',
      '(',
      ')',
      '{',
      '}',
      ';',
      '"',
      "'",
      '/*',
      '*/',
      '//',
      '\n',
      '#if 0',
      '#endif',
      'R"(',
      ')"',
      '<',
      '>',
      ',',
      '=',
      'static',
      'extern "C"',
      '\\',
      'namespace',
      'template',
      '::',
      '*',
      '&',
      '...',
    ];
    for (let round = 0; round < 500; round++) {
      let code = '';
      const length = Math.floor(random() * 60);
      for (let i = 0; i < length; i++) code += pieces[Math.floor(random() * pieces.length)];
      expect(() => inferNativeSignatures(code, round % 2 ? 'c' : 'cpp')).not.toThrow();
    }
    expect(inferNativeSignatures('int f(int a { return a; }', 'c')).toEqual([]);
  });
});
