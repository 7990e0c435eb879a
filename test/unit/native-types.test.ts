import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/errors.js';
import { assertArgumentsFit, assertSupportedSignature } from '../../src/languages/native/check-arguments.js';
import { inferNativeSignatures } from '../../src/languages/native/inference.js';
import { readType } from '../../src/languages/native/type-table.js';

const kindOf = (text: string, dialect: 'c' | 'cpp' = 'cpp', position: 'parameter' | 'return' = 'parameter') => {
  const reading = readType(text, dialect, position);
  return reading.ok ? reading.type : reading.reason;
};

describe('C/C++ type table', () => {
  it('reads integer spellings into their canonical wasm32 type', () => {
    expect(kindOf('unsigned')).toMatchObject({ kind: 'integer', spelling: 'unsigned int', signed: false });
    expect(kindOf('long int')).toMatchObject({ kind: 'integer', spelling: 'long', max: '2147483647L' });
    expect(kindOf('signed long long int')).toMatchObject({ kind: 'integer', spelling: 'long long' });
    expect(kindOf('const uint64_t', 'c')).toMatchObject({ kind: 'integer', spelling: 'unsigned long long' });
    expect(kindOf('std::size_t')).toMatchObject({ kind: 'integer', spelling: 'unsigned long' });
    expect(kindOf('unsigned char')).toMatchObject({ kind: 'integer', spelling: 'unsigned char', max: '255' });
  });

  it('reads strings, nullable pointers and C++ containers', () => {
    expect(kindOf('const char*', 'c')).toEqual({ kind: 'cstring', constant: true });
    expect(kindOf('char* const', 'c')).toEqual({ kind: 'cstring', constant: false });
    expect(kindOf('const double*', 'c')).toMatchObject({ kind: 'pointer', target: { kind: 'float', spelling: 'double' } });
    expect(kindOf('const std::vector<std::map<std::string, std::optional<int>>>&')).toMatchObject({
      kind: 'vector',
      element: { kind: 'map', ordered: true, value: { kind: 'optional', value: { kind: 'integer', spelling: 'int' } } },
    });
    expect(kindOf('unordered_map<string, bool>')).toMatchObject({ kind: 'map', ordered: false, value: { kind: 'bool' } });
    expect(kindOf('void', 'c', 'return')).toEqual({ kind: 'void' });
  });

  it('refuses what a call cannot pass, saying why', () => {
    expect(kindOf('char', 'c')).toContain('plain char');
    expect(kindOf('char**', 'c')).toContain('pointer to a pointer');
    expect(kindOf('struct point', 'c')).toContain('user-defined type');
    expect(kindOf('int&', 'c')).toContain('reference');
    expect(kindOf('std::string', 'c')).toBe('is not one of the supported types');
    expect(kindOf('std::map<int, int>')).toContain('keys that are not std::string');
    expect(kindOf('std::vector<Widget>')).toContain('elements');
    expect(kindOf('void', 'c', 'parameter')).toBe('is void');
    expect(kindOf('long double')).toBe('is not one of the supported types');
  });
});

describe('C/C++ call checks', () => {
  const [area] = inferNativeSignatures('struct point { int x, y; };\nint area(struct point p, int scale) { return 0; }\n', 'c');
  const [pad] = inferNativeSignatures('std::string pad(std::string s, int width = 4, std::string edge = "|") { return s; }\n', 'cpp');

  it('names the parameter, its type and the supported types', () => {
    expect(() => assertSupportedSignature(area, 'c')).toThrow(InvalidRequestError);
    expect(() => assertSupportedSignature(area, 'c')).toThrow(
      /^Parameter 'p' of area\(\) has the type 'struct point', which a C call cannot pass: it is a user-defined type\. Supported: bool, char\*/,
    );
    const [returns] = inferNativeSignatures('char **split(const char *text) { return 0; }\n', 'c');
    expect(() => assertSupportedSignature(returns, 'c')).toThrow(
      "split() returns the type 'char**', which a C call cannot return: it is a pointer to a pointer",
    );
    expect(() => assertSupportedSignature(pad, 'cpp')).not.toThrow();
  });

  it('maps keyword arguments by name and allows leaving out parameters with defaults', () => {
    expect(() => assertArgumentsFit(pad, ['x'], {})).not.toThrow();
    expect(() => assertArgumentsFit(pad, [], { s: 'x', edge: '#' })).not.toThrow();
    expect(() => assertArgumentsFit(pad, [], { width: 3 })).toThrow("pad() is missing the argument 's'.");
    expect(() => assertArgumentsFit(pad, ['x'], { colour: 1 })).toThrow("pad() has no parameter named 'colour' (parameters: s, width, edge).");
    expect(() => assertArgumentsFit(pad, ['x'], { s: 'y' })).toThrow("pad() got argument 's' both by position and by name.");
    expect(() => assertArgumentsFit(pad, ['x', 1, '|', 2], {})).toThrow('pad() takes 3 arguments but 4 were given.');
    expect(() => assertArgumentsFit(area, [], { toString: 1, scale: 1 })).toThrow("no parameter named 'toString'");
  });
});
