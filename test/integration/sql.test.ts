/**
 * What SQL does beyond the conformance table: databases from files, mounts (written back under their
 * permissions) and memory; parameters; what a script returns; errors with their lines; describe().
 *
 * Database files are made and read back with the Python language's own sqlite3 (another interpreter and
 * another SQLite), so that what SQL writes is checked by a reader that is not the SQL proxy.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AmbiguousFunctionError, InvalidRequestError, ResultTooLargeError, SandboxExecutor, type ExecutionRequest } from '../../src/index.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 2 });
afterAll(() => executor.close());

const PYTHON_SQLITE = `
import sqlite3

def make(path, script):
    connection = sqlite3.connect(path)
    connection.executescript(script)
    connection.commit()
    connection.close()
    return True

def query(path, sql):
    connection = sqlite3.connect("file:" + path + "?mode=ro", uri=True)
    return [list(row) for row in connection.execute(sql)]
`;

const USERS =
  "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT UNIQUE, role TEXT);\nINSERT INTO users (name, role) VALUES ('ada', 'admin'), ('alan', 'user'), ('grace', 'user');";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-sql-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** Makes `name` in `dir` with Python's sqlite3. */
async function makeDatabase(name: string, script = USERS): Promise<Uint8Array> {
  const r = await executor.invoke({
    language: 'python',
    code: PYTHON_SQLITE,
    functionName: 'make',
    args: [name, script],
    mounts: [{ hostPath: dir }],
    permissions: { default: 'allow' },
  });
  expect(r.status, JSON.stringify(r.error)).toBe('success');
  return new Uint8Array(await readFile(join(dir, name)));
}

/** Rows of `sql` in the database file `name` of `dir`, read by Python's sqlite3. */
async function readDatabase(name: string, sql: string): Promise<unknown[]> {
  const r = await executor.invoke({ language: 'python', code: PYTHON_SQLITE, functionName: 'query', args: [name, sql], mounts: [{ hostPath: dir }] });
  expect(r.status, JSON.stringify(r.error)).toBe('success');
  return r.result as unknown[];
}

const sql = (code: string, request: Omit<ExecutionRequest, 'language' | 'code'> = {}) => executor.invoke({ language: 'sql', code, ...request });

describe('the database', () => {
  it('is in memory by default, and new for every call', async () => {
    const code = 'CREATE TABLE t (x);\nINSERT INTO t VALUES (1);\nSELECT count(*) AS n FROM t;';
    expect((await sql(code)).result).toEqual([{ n: 1 }]);
    expect((await sql(code)).result).toEqual([{ n: 1 }]);
    expect((await sql('-- database: :memory:\nSELECT 1 AS one;')).result).toEqual([{ one: 1 }]);
  });

  it('comes from the request files, named by -- database:', async () => {
    const bytes = await makeDatabase('source.db');
    const r = await sql("-- database: data/users.db\nSELECT name FROM users WHERE role = 'user' ORDER BY name;", { files: { 'data/users.db': bytes } });
    expect(r).toMatchObject({ status: 'success', result: [{ name: 'alan' }, { name: 'grace' }] });
  });

  it('from a mount: writes sync back when the permissions allow them, and the journal never shows', async () => {
    await makeDatabase('app.db');
    const r = await sql("-- database: app.db\nINSERT INTO users (name, role) VALUES (:name, 'user');\nSELECT count(*) AS users FROM users;", {
      kwargs: { name: 'edsger' },
      mounts: [{ hostPath: dir }],
      permissions: { rules: [{ pattern: '*.db', allow: ['modify'] }] },
    });
    expect(r).toMatchObject({ status: 'success', result: [{ users: 4 }] });
    expect(r.files?.modified.map((c) => c.virtualPath)).toEqual(['/workspace/app.db']);
    expect([...r.files!.created, ...r.files!.deleted]).toEqual([]);
    expect(r.files?.sync.state).toBe('written');
    expect(await readDatabase('app.db', 'SELECT name FROM users ORDER BY id')).toEqual([['ada'], ['alan'], ['grace'], ['edsger']]);
  });

  it('from a read-only mount: a write is refused and the file stays as it was', async () => {
    const before = await makeDatabase('app.db');
    for (const request of [{}, { mounts: [{ hostPath: dir, allowedOperations: ['read' as const] }], permissions: { default: 'allow' as const } }]) {
      const r = await sql("-- database: app.db\nDELETE FROM users WHERE role = 'user';", { mounts: [{ hostPath: dir }], ...request });
      expect(r.status).toBe('error');
      expect(r.error?.type).toBe('PermissionDenied');
      expect(r.files?.sync.denied.map((c) => c.virtualPath)).toEqual(['/workspace/app.db']);
      expect(new Uint8Array(await readFile(join(dir, 'app.db')))).toEqual(before);
    }
    // Reading needs no permission beyond the default.
    expect((await sql('-- database: app.db\nSELECT count(*) AS n FROM users;', { mounts: [{ hostPath: dir }] })).result).toEqual([{ n: 3 }]);
  });

  it('a failing statement writes nothing back, though the statements before it ran', async () => {
    const before = await makeDatabase('app.db');
    const r = await sql("-- database: app.db\nINSERT INTO users (name) VALUES ('new');\nINSERT INTO users (name) VALUES ('ada');", {
      mounts: [{ hostPath: dir }],
      permissions: { default: 'allow' },
    });
    expect(r.error).toMatchObject({ type: 'SQLITE_CONSTRAINT_UNIQUE', line: 3 });
    expect(r.files?.sync.state).toBe('skipped');
    expect(new Uint8Array(await readFile(join(dir, 'app.db')))).toEqual(before);
  });

  it('a transaction left open is rolled back when the call ends', async () => {
    const before = await makeDatabase('app.db');
    const r = await sql('-- database: app.db\nBEGIN;\nDELETE FROM users;\nSELECT count(*) AS n FROM users;', {
      mounts: [{ hostPath: dir }],
      permissions: { default: 'allow' },
    });
    expect(r).toMatchObject({ status: 'success', result: [{ n: 0 }] });
    expect([...r.files!.created, ...r.files!.modified, ...r.files!.deleted]).toEqual([]);
    expect(new Uint8Array(await readFile(join(dir, 'app.db')))).toEqual(before);
  });

  it('a new database file is made with ATTACH or VACUUM INTO, and syncs as a created file', async () => {
    const r = await sql("CREATE TABLE notes (text);\nINSERT INTO notes VALUES ('kept');\nVACUUM INTO 'notes.db';", {
      mounts: [{ hostPath: dir }],
      permissions: { rules: [{ pattern: '*.db', allow: ['create'] }] },
    });
    expect(r.status, JSON.stringify(r.error)).toBe('success');
    expect(r.files?.created.map((c) => c.virtualPath)).toEqual(['/workspace/notes.db']);
    expect(await readDatabase('notes.db', 'SELECT text FROM notes')).toEqual([['kept']]);
  });

  it('a missing file is an error at the -- database: line, not a new empty database', async () => {
    const r = await sql('-- nothing here yet\n-- database: missing.db\nSELECT 1;', { mounts: [{ hostPath: dir }], permissions: { default: 'allow' } });
    expect(r.error).toMatchObject({ type: 'SQLITE_CANTOPEN', line: 2 });
    expect(r.error?.message).toContain('missing.db');
    expect(r.files?.created).toEqual([]);
  });

  it('a database in WAL mode is refused with what to do', async () => {
    const bytes = await makeDatabase('wal.db');
    // Bytes 18 and 19 of the header are 2 in WAL mode.
    bytes[18] = 2;
    bytes[19] = 2;
    await writeFile(join(dir, 'wal.db'), bytes);
    const r = await sql('-- database: wal.db\nSELECT * FROM users;', { mounts: [{ hostPath: dir }] });
    expect(r.error).toMatchObject({ type: 'SQLITE_CANTOPEN', line: 1 });
    expect(r.error?.message).toContain('journal_mode=DELETE');
  });
});

describe('parameters', () => {
  it('args bind the ? parameters of the last statement in the order of their numbers; kwargs bind names in every statement', async () => {
    const code = 'CREATE TABLE t (a, b);\nINSERT INTO t VALUES (:a, @b);\nSELECT a, b, ?2 AS second, ?1 AS first, $a AS dollar, ? AS third FROM t;';
    const r = await sql(code, { args: ['one', 'two', 'three'], kwargs: { a: 1, b: 'bee' } });
    expect(r).toMatchObject({ status: 'success', result: [{ a: 1, b: 'bee', second: 'two', first: 'one', dollar: 1, third: 'three' }] });
  });

  it('a named parameter left out binds NULL', async () => {
    const code = 'SELECT coalesce(:limit, 10) AS n, :missing IS NULL AS unbound;';
    expect((await sql(code)).result).toEqual([{ n: 10, unbound: 1 }]);
    expect((await sql(code, { kwargs: { limit: 3 } })).result).toEqual([{ n: 3, unbound: 1 }]);
  });

  it('values: integers to 64 bits, floats, text, bytes, NULL, booleans as 1 and 0; lists and objects as JSON text', async () => {
    const code = 'SELECT ? AS i, ? AS f, ? AS t, ? AS b, ? AS n, ? AS yes, ? AS list, (SELECT sum(value) FROM json_each(?)) AS total;';
    const r = await sql(code, { args: [2n ** 62n, 0.1, 'héllo', new Uint8Array([0, 255]), null, true, [1, { a: 'x' }], [1, 2, 3]] });
    expect(r.result).toEqual([{ i: 2n ** 62n, f: 0.1, t: 'héllo', b: new Uint8Array([0, 255]), n: null, yes: 1, list: '[1,{"a":"x"}]', total: 6 }]);
  });

  it('a call that cannot bind is refused before anything runs', async () => {
    const code = 'SELECT ? + ? AS sum, :scale AS scale;';
    for (const [request, field, words] of [
      [{ args: [1] }, 'args', 'takes 2 positional arguments'],
      [{ args: [1, 2, 3] }, 'args', 'but 3 were given'],
      [{ args: [1, 2], kwargs: { scael: 2 } }, 'kwargs.scael', 'Its named parameters: :scale'],
      [{ args: [2n ** 63n, 1] }, 'args[0]', "beyond SQLite's 64-bit integers"],
      [{ args: [1, 2], kwargs: { scale: [new Uint8Array(1)] } }, 'kwargs.scale[0]', 'bytes'],
    ] as const) {
      const error = await rejection(sql(code, request));
      expect(error).toBeInstanceOf(InvalidRequestError);
      expect(error.field).toBe(field);
      expect(error.message).toContain(words);
    }
  });

  it('describe() lists them: positional ones required, named ones NULL by default', () => {
    const code = '-- name: find_users\n-- Users of a role.\nSELECT * FROM users WHERE role = :role AND id > ? LIMIT coalesce(@limit, 10);\n';
    const [find] = executor.describe({ language: 'sql', code }).functions;
    expect(find).toMatchObject({ name: 'find_users', line: 1, doc: 'Users of a role.' });
    expect(find!.parameters).toEqual([
      { name: '?2', kind: 'positional-only', required: true, schema: {} },
      { name: 'role', kind: 'keyword', required: false, default: 'NULL', schema: { default: null } },
      { name: 'limit', kind: 'keyword', required: false, default: 'NULL', schema: { default: null } },
    ]);
    const script = executor.describe({ language: 'sql', code: 'INSERT INTO t VALUES (:x);\nSELECT * FROM t WHERE x > ?;' }).functions;
    expect(script.map((f) => [f.name, f.parameters.map((p) => p.name)])).toEqual([['script', ['?1', 'x']]]);
  });
});

describe('what a call returns', () => {
  it('the rows of the last statement as objects, or { changes, lastInsertRowid } for a write', async () => {
    expect((await sql('CREATE TABLE t (x);\nINSERT INTO t VALUES (1), (2), (3);')).result).toEqual({ changes: 3, lastInsertRowid: 3 });
    expect((await sql('CREATE TABLE t (x);\nINSERT INTO t VALUES (1), (2);\nUPDATE t SET x = x * 10;')).result).toEqual({ changes: 2, lastInsertRowid: 2 });
    expect((await sql('CREATE TABLE t (x);')).result).toEqual({ changes: 0, lastInsertRowid: 0 });
    expect((await sql('CREATE TABLE t (x);\nINSERT INTO t VALUES (5) RETURNING x * 2 AS doubled;')).result).toEqual([{ doubled: 10 }]);
    expect((await sql('SELECT 1 AS x WHERE 0;')).result).toEqual([]);
    expect((await sql('-- only a comment')).result).toBeNull();
  });

  it('named queries: ^ gives the first row, $ its first value, and the statements before them run once per process', async () => {
    const code = [
      'CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);',
      "INSERT INTO users (name) VALUES ('ada'), ('alan');",
      '',
      '-- name: find^',
      'SELECT * FROM users WHERE id = ?;',
      '',
      '-- name: count$',
      'SELECT count(*) FROM users;',
      '',
      '-- name: add',
      'INSERT INTO users (name) VALUES (:name);',
    ].join('\n');
    expect((await sql(code, { functionName: 'find', args: [2] })).result).toEqual({ id: 2, name: 'alan' });
    expect((await sql(code, { functionName: 'find', args: [9] })).result).toBeNull();
    expect(await rejection(sql(code))).toBeInstanceOf(AmbiguousFunctionError);
    const users = await executor.load<{ add(): Promise<unknown>; count(): Promise<number> }>({ language: 'sql', code });
    try {
      expect(await users.count()).toBe(2);
      expect(await users.add.withKwargs({ name: 'grace' })()).toEqual({ changes: 1, lastInsertRowid: 3 });
      expect(await users.count()).toBe(3);
    } finally {
      await users.$close();
    }
  });

  it('a large result comes back whole within maxResultBytes, and one over it is refused', async () => {
    const code = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count)\nSELECT i, printf('%040d', i) AS padded FROM n;";
    const r = await sql(code, { kwargs: { count: 20_000 }, maxResultBytes: 2 * 1024 * 1024 });
    expect(r.status).toBe('success');
    const rows = r.result as { i: number; padded: string }[];
    expect(rows).toHaveLength(20_000);
    expect(rows[19_999]).toEqual({ i: 20_000, padded: '20000'.padStart(40, '0') });
    const over = await rejection(executor.call({ language: 'sql', code, kwargs: { count: 60_000 }, maxResultBytes: 2 * 1024 * 1024 }));
    expect(over).toBeInstanceOf(ResultTooLargeError);
  });

  it('deterministic mode fixes random() and the clock', async () => {
    const code = "SELECT random() AS r, datetime('now') AS now;";
    const [a, b, c] = await Promise.all([sql(code, { deterministic: { seed: 1 } }), sql(code, { deterministic: { seed: 1 } }), sql(code)]);
    expect(a.result).toEqual(b.result);
    expect((a.result as { now: string }[])[0]!.now).toBe('2000-01-01 00:00:00');
    expect((c.result as { r: unknown }[])[0]!.r).not.toEqual((a.result as { r: unknown }[])[0]!.r);
  });
});

describe('executor.run(): the code as a script', () => {
  it('runs the whole script, or for a module of named queries only what it runs when it loads', async () => {
    const whole = await executor.run({ language: 'sql', code: 'CREATE TABLE t (x);\nINSERT INTO t VALUES (1), (2);\nSELECT sum(x) AS s FROM t;' });
    expect(whole).toMatchObject({ status: 'success', exitCode: 0, result: [{ s: 3 }] });
    const module = await executor.run({ language: 'sql', code: 'CREATE TABLE t (x);\n-- name: q\nSELECT * FROM t;' });
    expect(module).toMatchObject({ status: 'success', exitCode: 0 });
    expect(module.result).toBeUndefined();
    const failed = await executor.run({ language: 'sql', code: 'SELECT 1;\nSELECT * FROM nowhere;' });
    expect(failed).toMatchObject({ status: 'error', exitCode: 1, error: { type: 'SQLITE_ERROR', line: 2 } });
  });

  it('has no contexts: createContext() says what to use instead', async () => {
    const error = await rejection(executor.createContext({ language: 'sql' }));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toMatch(/SQL has no contexts.*createSession/);
  });
});

describe('statements and errors', () => {
  it('splits where SQLite ends statements: strings, quoted names, comments and trigger bodies keep their semicolons', async () => {
    const code = [
      'CREATE TABLE "semi;colon" (x TEXT);',
      'CREATE TABLE log (entry TEXT);',
      '/* a comment; with a semicolon */',
      'CREATE TRIGGER logged AFTER INSERT ON "semi;colon" BEGIN',
      "  INSERT INTO log VALUES ('saw; ' || CASE WHEN new.x = 'a;b' THEN 'it' ELSE 'other' END);",
      "  INSERT INTO log VALUES ('twice');",
      'END;',
      'INSERT INTO "semi;colon" VALUES (\'a;b\'); -- trailing; comment',
      'SELECT entry FROM log ORDER BY rowid',
    ].join('\n');
    expect((await sql(code)).result).toEqual([{ entry: 'saw; it' }, { entry: 'twice' }]);
  });

  it("an error carries SQLite's message and the line of its statement, or of the token a syntax error names", async () => {
    const r = await sql('CREATE TABLE t (x);\n\nSELECT x,\n       y\n  FROM t\n  WHERE x = 1 ORDER x;');
    expect(r.error).toMatchObject({ type: 'SQLITE_ERROR', message: 'near "x": syntax error', line: 6 });
    expect(r.error?.traceback).toContain('line 6, in script');
    const unclosed = await sql("SELECT 1,\n  'no end");
    expect(unclosed.error).toMatchObject({ type: 'SQLITE_ERROR', message: 'unrecognized token: "\'no end"', line: 2 });
    const missing = await sql('SELECT 1;\nSELECT *\n  FROM nowhere;');
    expect(missing.error).toMatchObject({ type: 'SQLITE_ERROR', message: 'no such table: nowhere', line: 2 });
  });

  it('a statement that needs more memory than the sandbox has ends with MemoryError at its line', async () => {
    const r = await sql('SELECT 1;\nSELECT length(randomblob(300000000)) AS n;', { memoryLimitMb: 128 });
    expect(r.error).toMatchObject({ type: 'MemoryError', line: 2 });
    expect(r.error?.message).toContain('memoryLimitMb');
    expect((await sql('SELECT 1 AS ok;', { memoryLimitMb: 128 })).result).toEqual([{ ok: 1 }]);
  });

  it('a problem in how the code uses parameters or names is reported before anything runs', async () => {
    const r = await sql('INSERT INTO t VALUES (?);\nSELECT 1;');
    expect(r.error).toMatchObject({ type: 'ScriptError', line: 1 });
    expect(r.error?.message).toContain('Positional parameters (?) bind only in the last statement');
    const twice = await sql('-- name: a\nSELECT 1;\n-- name: a\nSELECT 2;', { functionName: 'a' });
    expect(twice.error).toMatchObject({ type: 'ScriptError', line: 3, message: 'The query a is already named on line 1.' });
  });
});
