/**
 * How SQL code is read before it runs (src/languages/sql/): where statements end, how SQLite numbers
 * their parameters and what binds each, the `-- database:` and `-- name:` comments, and what is refused.
 */
import { describe, expect, it } from 'vitest';
import { proxyProgram } from '../../src/languages/sql/program.js';
import { readSqlScript } from '../../src/languages/sql/script.js';
import { sql } from '../../src/languages/sql/index.js';

const statements = (code: string) => readSqlScript(code).script.statements.map((s) => [s.line, s.sql]);

describe('statements', () => {
  it('end at semicolons outside strings, quoted names, blobs and comments', () => {
    const code = ["SELECT 'a;b', \"c;d\", `e;f`, [g;h], x'3b' -- i;j", '/* k;\n l */ FROM t;', 'SELECT 2 ;; SELECT 3'].join('\n');
    expect(statements(code)).toEqual([
      [1, "SELECT 'a;b', \"c;d\", `e;f`, [g;h], x'3b' -- i;j\n/* k;\n l */ FROM t"],
      [4, 'SELECT 2'],
      [4, 'SELECT 3'],
    ]);
    // A quote doubled inside its literal stays in it.
    expect(statements('SELECT \'it\'\'s; fine\', "a"";""b"; SELECT 4')).toEqual([
      [1, 'SELECT \'it\'\'s; fine\', "a"";""b"'],
      [1, 'SELECT 4'],
    ]);
  });

  it('a trigger body runs to its END, CASE … END and nested parentheses inside it', () => {
    const code = [
      'CREATE TEMP TRIGGER t AFTER INSERT ON x WHEN (SELECT CASE WHEN 1 THEN 1 END) BEGIN',
      '  UPDATE y SET z = CASE new.a WHEN 1 THEN (SELECT 1; ) ELSE 2 END;',
      '  -- a comment; END;',
      '  DELETE FROM w;',
      'end;',
      'BEGIN;',
      'COMMIT',
    ].join('\n');
    const read = statements(code);
    expect(read.map(([line]) => line)).toEqual([1, 6, 7]);
    expect(read[0]![1]).toMatch(/^CREATE TEMP TRIGGER[\s\S]*DELETE FROM w;\nend$/);
  });

  it('count lines in \\n, \\r\\n and \\r', () => {
    expect(statements('SELECT 1;\r\n\r\nSELECT 2;\rSELECT\n3;\nSELECT 4').map(([line]) => line)).toEqual([1, 3, 4, 6]);
  });
});

describe('parameters', () => {
  const parameters = (code: string) => readSqlScript(code).script.statements.at(-1)!;

  it('are numbered as SQLite numbers them', () => {
    const read = parameters('SELECT ?, :a, ?5, @a, :a, ?, $b, ?5, ?1, ?');
    expect(read.parameters).toEqual([
      { kind: 'positional', number: 1 },
      { kind: 'named', name: 'a', number: 2 },
      { kind: 'positional', number: 5 },
      { kind: 'named', name: 'a', number: 6 },
      { kind: 'positional', number: 7 },
      { kind: 'named', name: 'b', number: 8 },
      { kind: 'positional', number: 9 },
    ]);
    expect(read.parameterCount).toBe(9);
  });

  it('bind: positional arguments in the order of their numbers, names by name, other numbers NULL', () => {
    const program = JSON.parse(proxyProgram(readSqlScript('SELECT ?3, :a, ?1'))) as { script: { statements: { bind: unknown[] }[] } };
    expect(program.script.statements[0]!.bind).toEqual([['arg', 0], null, ['arg', 1], ['kw', 'a']]);
  });

  it('make the function: positional ones of the last statement, then every name once', () => {
    const [script] = sql.analyze('INSERT INTO t VALUES (:x, @y);\nSELECT * FROM t WHERE a = ?2 AND b = :x AND c = ?1').functions;
    expect(script!.params).toEqual([
      { name: '?1', kind: 'positional-only' },
      { name: '?2', kind: 'positional-only' },
      { name: 'x', kind: 'keyword-only', default: 'NULL' },
      { name: 'y', kind: 'keyword-only', default: 'NULL' },
    ]);
  });

  it('are not read in strings, quoted names or comments', () => {
    expect(parameters('SELECT \':a\', "?", [@b] /* $c */ -- ?\n').parameters).toEqual([]);
  });
});

describe('queries and directives', () => {
  const code = [
    '-- database: data/app.db',
    'CREATE TEMP TABLE seen (id);',
    '',
    '-- name: find_user^',
    '-- Finds a user',
    '--   by id.',
    'SELECT * FROM users WHERE id = ?',
    '-- name: count_users$',
    'SELECT count(*) FROM users;',
    '-- name: rename',
    'UPDATE users SET name = :name WHERE id = :id;',
    'SELECT changes();',
  ].join('\n');

  it('-- name: starts a query (ending the statement before it), with its result and doc; the statements before the first run at load', () => {
    const read = readSqlScript(code);
    expect(read.problems).toEqual([]);
    expect(read.database).toEqual({ path: 'data/app.db', line: 1 });
    expect(read.setup.map((s) => s.sql)).toEqual(['CREATE TEMP TABLE seen (id)']);
    expect(read.queries.map((q) => [q.name, q.result, q.line, q.doc, q.statements.length])).toEqual([
      ['find_user', 'row', 4, 'Finds a user\n  by id.', 1],
      ['count_users', 'value', 8, undefined, 1],
      ['rename', 'rows', 10, undefined, 2],
    ]);
    // Run as a script, a module runs only its setup, when it loads.
    expect(read.script.statements).toEqual([]);
  });

  it('code without names is one function, script, of every statement', () => {
    const read = readSqlScript('SELECT 1;\nSELECT :x');
    expect(read.queries.map((q) => [q.name, q.statements.length, q.line])).toEqual([['script', 2, 1]]);
    expect(read.setup).toEqual([]);
    expect(readSqlScript('-- nothing').queries.map((q) => [q.name, q.statements.length])).toEqual([['script', 0]]);
  });

  it('refuses, with the line, what cannot be run as written', () => {
    const problems = (text: string) => readSqlScript(text).problems.map((p) => [p.line, p.message.split(/[.:]/)[0]]);
    expect(problems('SELECT ?;\nSELECT 1')).toEqual([
      [1, 'Positional parameters (?) bind only in the last statement of a query or script, and never in the statements before the first -- name'],
    ]);
    expect(problems('INSERT INTO t VALUES (?);\n-- name: q\nSELECT 1')).toHaveLength(1);
    expect(problems('-- name: q\nSELECT ?;\nSELECT 1')).toHaveLength(1);
    expect(problems('-- name: q\nSELECT 1;\n-- name: q\nSELECT 2')).toEqual([[3, 'The query q is already named on line 1']]);
    expect(problems('-- name: get-user\nSELECT 1')).toEqual([[1, '"-- name']]);
    expect(problems('-- name: empty\n-- name: full\nSELECT 1')).toEqual([[1, 'The query empty has no statement']]);
    expect(problems('SELECT 1;\n-- database: late.db')).toEqual([[2, '-- database']]);
    expect(problems('-- database: a.db\n-- database: b.db\nSELECT 1')).toEqual([[2, 'The database is already named on line 1']]);
    expect(problems('-- database:\nSELECT 1')).toEqual([[1, '-- database']]);
    expect(problems('SELECT ?0, ?32767')).toEqual([
      [1, '?0'],
      [1, '?32767'],
    ]);
    expect(problems('SELECT :a, ?1')).toEqual([[1, '?1 has the number SQLite gave to the named parameter a']]);
  });
});
