import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/index.js';
import { javascript, moduleSource, optionsIndex } from '../../src/languages/javascript/index.js';
import { analyzeJavaScriptModule, inferJavaScriptSignatures } from '../../src/languages/javascript/inference.js';

const names = (code: string) => inferJavaScriptSignatures(code).map((s) => s.name);

describe('JavaScript signature inference', () => {
  it('finds every top-level function form with its line and async flag', () => {
    const sigs = inferJavaScriptSignatures(`import * as std from "std";

function plain(a, b) {}
async function awaited(x) {}
function* numbers() {}
export function exported() {}
export async function exportedAsync() {}
export default function named() {}
const arrow = (a) => a;
let letArrow = a => a;
var varArrow = async (a, b) => a + b;
const asyncSingle = async x => x;
const expression = function inner(a) {};
const asyncExpression = async function () {};
export const exportedArrow = () => 1;
const first = () => 1, second = async () => 2;
`);
    expect(sigs.map((s) => [s.name, s.line, s.isAsync ?? false])).toEqual([
      ['plain', 3, false],
      ['awaited', 4, true],
      ['numbers', 5, false],
      ['exported', 6, false],
      ['exportedAsync', 7, true],
      ['named', 8, false],
      ['arrow', 9, false],
      ['letArrow', 10, false],
      ['varArrow', 11, true],
      ['asyncSingle', 12, true],
      ['expression', 13, false],
      ['asyncExpression', 14, true],
      ['exportedArrow', 15, false],
      ['first', 16, false],
      ['second', 16, true],
    ]);
  });

  it('reads positional parameters, defaults, rest and destructuring', () => {
    const [sig] = inferJavaScriptSignatures('function f(a, b = [1, (2, 3)], [x, y] = [], { p } = {}, ...rest) {}');
    expect(sig.params).toEqual([
      { name: 'a', kind: 'positional' },
      { name: 'b', kind: 'positional', default: '[1, (2, 3)]' },
      { name: '[x, y]', kind: 'positional', default: '[]' },
      { name: '{ p }', kind: 'positional', default: '{}' },
      { name: 'rest', kind: 'var-positional' },
    ]);
  });

  it('turns a trailing object pattern into keyword-only parameters (the options object)', () => {
    const [greet, fetch, computed] = inferJavaScriptSignatures(`
function greet(name, { greeting = "Hello", loud } = {}) {}
const fetch = async (url, { retries = 3, 'time-out': timeout = 10, headers: { accept } = {}, ...others }) => url;
function computed({ [key]: value }) {}
`);
    expect(greet.params).toEqual([
      { name: 'name', kind: 'positional' },
      { name: 'greeting', kind: 'keyword-only', default: '"Hello"' },
      { name: 'loud', kind: 'keyword-only' },
    ]);
    expect(fetch.params).toEqual([
      { name: 'url', kind: 'positional' },
      { name: 'retries', kind: 'keyword-only', default: '3' },
      { name: 'time-out', kind: 'keyword-only', default: '10' },
      { name: 'headers', kind: 'keyword-only', default: '{}' },
      { name: 'others', kind: 'var-keyword' },
    ]);
    expect(computed.params).toEqual([{ name: '[key]', kind: 'var-keyword' }]);
    expect(optionsIndex(greet)).toBe(1);
    expect(optionsIndex(fetch)).toBe(1);
    expect(optionsIndex(inferJavaScriptSignatures('function f(a, b) {}')[0])).toBeUndefined();
  });

  it('takes the doc, parameter types and return type from a JSDoc comment', () => {
    const [sig] = inferJavaScriptSignatures(`
/**
 * Greets someone.
 *
 * @param {string} name who
 * @param {{ greeting?: string }} [options]
 * @param {string} [options.greeting="Hello"] the word
 * @returns {Promise<string>} the greeting
 */
export async function greet(name, { greeting = "Hello" } = {}) {}
`);
    expect(sig.doc).toMatch(/^Greets someone\.\n\n@param \{string\} name who/);
    expect(sig.returnType).toBe('Promise<string>');
    expect(sig.params).toEqual([
      { name: 'name', kind: 'positional', type: 'string' },
      { name: 'greeting', kind: 'keyword-only', default: '"Hello"', type: 'string' },
    ]);
    // A plain comment, or a doc comment separated by code, is not the function's doc.
    expect(inferJavaScriptSignatures('/* not doc */\nfunction f() {}')[0].doc).toBeUndefined();
    expect(inferJavaScriptSignatures('/** doc of x */\nconst x = 1;\nfunction f() {}')[0].doc).toBeUndefined();
  });

  it('ignores functions inside strings, templates, comments, regexes, classes, objects, blocks and other functions', () => {
    expect(
      names(`
const s = "function fake1() {}";
const t = \`\${(function fake2() { return "}" })()} function fake3() {} \${ \`\${"\`"}\` }\`;
// function fake4() {}
/* function fake5() {} */
const re = /function fake6() {}[/]/g, ratio = 4 / 2 / 1;
class Shape {
  area() {}
  static make = () => new Shape();
}
const object = { method() {}, arrow: () => 1, fn: function fake7() {} };
if (true) {
  function blockScoped() {}
}
function outer() {
  function nested() {}
  const inner = () => 1;
  return nested;
}
call(function argument() {}, () => 1);
const wrapped = memoize((a) => a);
x = function assigned() {};
`),
    ).toEqual(['outer']);
  });

  it('handles automatic semicolon insertion and statements split over lines', () => {
    expect(
      names(`const a = 1
function afterAsi() {}
const b = a
  + 2, c = () => 3
let d
const e =
  (x) => x
`),
    ).toEqual(['afterAsi', 'c', 'e']);
  });

  it('keeps the last of two definitions with the same name', () => {
    const sigs = inferJavaScriptSignatures('function f(a) {}\nconst f = (a, b) => a;\n');
    expect(sigs).toHaveLength(1);
    expect(sigs[0].params.map((p) => p.name)).toEqual(['a', 'b']);
  });

  it('knows which functions and names the module already exports', () => {
    const info = analyzeJavaScriptModule(`
export function a() {}
function b() {}
function c() {}
const d = () => 1;
export { b, d as renamed };
export default function e() {}
export * as ns from "./x.js";
export class K {}
`);
    expect(info.functions.map((f) => [f.signature.name, f.exported])).toEqual([
      ['a', true],
      ['b', true],
      ['c', false],
      ['d', false],
      ['e', false],
    ]);
    expect([...info.exportedNames].sort()).toEqual(['K', 'a', 'b', 'default', 'ns', 'renamed']);
  });

  it('never throws on broken or random code', () => {
    const broken = [
      'function',
      'function f(',
      'const f = (a, b',
      '"unterminated',
      '`${',
      '`${`${',
      '/* open',
      '/[/',
      'export {',
      'export default',
      ')))}}}',
      'const = =>',
      'async',
      '#!',
      '\\u0066unction f(){}',
    ];
    for (const code of broken) expect(() => inferJavaScriptSignatures(code)).not.toThrow();
    const fragments = fc.constantFrom(
      'function',
      'async',
      'const',
      'f',
      '=',
      '=>',
      '(',
      ')',
      '{',
      '}',
      '[',
      ']',
      ',',
      '/',
      '`',
      '${',
      '"',
      "'",
      '\n',
      ' ',
      '...',
      'export',
      'default',
      '/*',
      '*/',
      '//',
      'class',
      ';',
      ':',
    );
    fc.assert(
      fc.property(fc.array(fragments, { maxLength: 60 }), fc.string(), (parts, noise) => {
        const code = parts.join(' ') + noise;
        const sigs = inferJavaScriptSignatures(code);
        expect(Array.isArray(sigs)).toBe(true);
        moduleSource(code, analyzeJavaScriptModule(code));
      }),
      { numRuns: 500 },
    );
  });
});

describe('JavaScript module source and argument checks', () => {
  it('exports the functions the code does not export, after the last line, without moving lines', () => {
    const code = 'function a() {}\nexport function b() {}\nconst c = () => 1; // last line comment';
    const source = moduleSource(code, analyzeJavaScriptModule(code));
    expect(source.startsWith(code)).toBe(true);
    expect(source.slice(code.length)).toBe('\nexport { a, c };\n');
    const allExported = 'export function a() {}\n';
    expect(moduleSource(allExported, analyzeJavaScriptModule(allExported))).toBe(allExported);
  });

  it('appends nothing to code that is not closed, which cannot load anyway', () => {
    for (const code of [
      'function a() {\n  return 1;\n',
      'function a() {}\n/* open',
      'function a() {}\nconst s = "open',
      'function a() {}\nconst t = `${1}',
      'function a() {}\n)',
    ]) {
      const info = analyzeJavaScriptModule(code);
      expect(info.complete).toBe(false);
      expect(moduleSource(code, info)).toBe(code);
    }
    for (const code of ['function a() {\n  return /[}]/.test(`${"}"}`);\n}\n', 'function a() {}\nconst r = x\n/ 2;\n']) {
      expect(analyzeJavaScriptModule(code).complete).toBe(true);
    }
  });

  it('lets keyword arguments through only to a function with an options object', () => {
    const [greet, plain, open] = inferJavaScriptSignatures(
      'function greet(name, { greeting = "Hello" } = {}) {}\nfunction plain(a, b) {}\nfunction open(a, { ...all }) {}\n',
    );
    const check = javascript.checkArguments!;
    expect(() => check(greet, ['Ada'], { greeting: 'Hey' })).not.toThrow();
    expect(() => check(greet, [], { greeting: 'Hey' })).not.toThrow();
    expect(() => check(plain, [1, 2], {})).not.toThrow();
    expect(() => check(plain, [1], { b: undefined })).not.toThrow();
    expect(() => check(open, [1], { anything: 1 })).not.toThrow();

    const noOptions = captured(() => check(plain, [1], { b: 2 }));
    expect(noOptions).toBeInstanceOf(InvalidRequestError);
    expect(noOptions.message).toContain('plain()');
    expect(noOptions.message).toContain('object destructuring pattern');
    expect(noOptions.field).toBe('kwargs');

    const tooMany = captured(() => check(greet, ['Ada', 'extra'], { greeting: 'Hey' }));
    expect(tooMany).toBeInstanceOf(InvalidRequestError);
    expect(tooMany.message).toContain('at most 1 positional argument');

    const typo = captured(() => check(greet, ['Ada'], { greting: 'Hey' }));
    expect(typo).toBeInstanceOf(InvalidRequestError);
    expect(typo.message).toContain('"greting"');
    expect(typo.message).toContain('greeting');
  });
});

function captured(run: () => void): InvalidRequestError {
  try {
    run();
  } catch (error) {
    return error as InvalidRequestError;
  }
  throw new Error('expected an error');
}
