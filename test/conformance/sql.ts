import fc from 'fast-check';
import type { ConformanceColumn } from './column.js';

/** Why the scenarios built on values SQL does not have are skipped. */
const NO_BOOLEANS = 'SQLite has no boolean type: `? IS NULL` gives 1 or 0';
const SCALARS_ONLY = 'SQL values are scalars: a list or an object binds as its JSON text and comes back as that text';
const NO_OUTPUT = 'SQL writes nothing to stdout or stderr';
const NO_PROCESS = 'SQL has no environment variables, arguments or standard input';
const NO_CONTEXTS = 'SQL has no contexts (createContext refuses it): a session over a -- database: file keeps state between calls';

// Each scenario is a named query (`-- name: add$`): `$` makes the call return the first column of the
// first row, the value a function of the other languages returns.
export const column: ConformanceColumn = {
  language: 'sql',
  add: '-- name: add$\nSELECT ? + ?;\n',
  // A named parameter left out binds NULL, as in SQLite: coalesce() gives it its default.
  greet: "-- name: greet$\nSELECT coalesce(:greeting, 'Hello') || ', ' || ? || '!';\n",
  echo: '-- name: echo$\nSELECT ?;\n',
  fail: { code: '-- line 1\n\n-- name: fail\nSELECT * FROM boom;\n', type: 'SQLITE_ERROR', line: 4 },
  // Statements before the first named query run when the code loads, as a module's top level.
  syntaxError: { code: "CREATE TABLE t (x);\nSELEC 'broken';\n\n-- name: ok$\nSELECT 1;\n", type: 'SQLITE_ERROR', line: 2 },
  // The in-memory database lives as long as the session's process.
  counter: 'CREATE TABLE counter (n INTEGER);\nINSERT INTO counter VALUES (0);\n\n-- name: inc$\nUPDATE counter SET n = n + 1;\nSELECT n FROM counter;\n',
  spin: '-- name: spin\nWITH RECURSIVE forever(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM forever)\nSELECT count(*) FROM forever;\n',
  // SQLite's INTEGER is 64-bit.
  bigIntegers: false,
  skip: {
    'script: last expression value':
      "a SQL script's value is the rows of its last statement (a list of objects), not a scalar: test/integration/sql.test.ts checks it",
    'script: prints apart from the value': NO_OUTPUT,
    'script: exit(3) gives exit code 3': 'SQL has no exit statement',
    'script: env and argv visible': NO_PROCESS,
    'script: nothing of the host environment leaks in': NO_PROCESS,
    'env in calls and sessions': NO_PROCESS,
    'script: stdin read': NO_PROCESS,
    'script: interactive input answered while running': NO_PROCESS,
    'context: keeps a variable across three snippets': NO_CONTEXTS,
    'context: a timeout ends it cleanly': NO_CONTEXTS,
    variadics: 'SQL has no variadic parameters: a list binds as JSON text (json_each(?) reads it)',
    'nested data': SCALARS_ONLY,
    null: NO_BOOLEANS,
    'printing stays apart from the result': NO_OUTPUT,
    'writes a file that syncs to a mounted folder':
      'SQL writes database files, not text: test/integration/sql.test.ts syncs a database written in a mount, under its permissions',
    'deterministic mode fixes the clock and random numbers':
      'a SQL value is a scalar, not the [random, time] list the scenario wants: test/integration/sql.test.ts checks random() and the clock',
  },
  sessionMode: 'persistent',
  // A SQL script is its statements, run in order; it has no output, exit, environment or input.
  script: {
    chatty: '',
    syntaxError: { code: "CREATE TABLE t (x);\nSELEC 'broken';\n", type: 'SQLITE_ERROR', line: 2 },
    runtimeError: { code: '-- line 1\n\nCREATE TABLE t (x);\nSELECT * FROM boom;\n', type: 'SQLITE_ERROR', line: 4 },
    exit: '',
    envAndArgv: '',
    envNames: '',
    readEnv: '',
    stdin: '',
    interactive: '',
  },
  // What a parameter holds and a column gives back as it was: NULL, 64-bit integers, doubles, text, blobs.
  // Not booleans (1 and 0), NaN (NULL in SQLite), lists and objects (their JSON text); -0 comes back as -0.
  roundTrip: {
    arbitrary: fc.oneof(
      fc.constant(null),
      fc.maxSafeInteger(),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).filter((n) => n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)),
      fc.double({ noNaN: true }),
      fc.string({ unit: 'grapheme' }),
      fc.uint8Array(),
    ),
    code: '-- name: echo_value$\nSELECT ?;\n',
    functionName: 'echo_value',
    runs: 60,
  },
  wireVectors: {
    // A list or an object binds as its JSON text (SCALARS_ONLY): the vectors travel one at a time.
    scalarsOnly: true,
    // SQLite's own name for what a parameter was bound as, in the table's words.
    kindOf: "-- name: wire_kind$\nSELECT CASE typeof(?1) WHEN 'real' THEN 'float' WHEN 'text' THEN 'string' WHEN 'blob' THEN 'bytes' ELSE typeof(?1) END;\n",
    skip: {
      true: NO_BOOLEANS,
      false: NO_BOOLEANS,
      'negative big integer': "it is beyond SQLite's 64-bit integers",
      NaN: 'SQLite stores NaN as NULL',
      'object whose one key looks like a tag': SCALARS_ONLY,
      'object whose one key is the tag prefix': SCALARS_ONLY,
      'escaped object holding a tag': SCALARS_ONLY,
      'object with a tag-like key among others': SCALARS_ONLY,
      'object with a key named __proto__': SCALARS_ONLY,
      'object with numeric keys': SCALARS_ONLY,
      'unicode keys': SCALARS_ONLY,
      'empty list': SCALARS_ONLY,
      'empty object': SCALARS_ONLY,
      'mixed list': SCALARS_ONLY,
      'nested objects and tags': SCALARS_ONLY,
      'deep nesting': SCALARS_ONLY,
    },
  },
};
