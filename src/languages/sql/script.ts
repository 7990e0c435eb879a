/**
 * Reads SQL code into what the proxy runs: its statements (split where SQLite would end them), the
 * parameters of each as SQLite numbers them, and the directives in its comments: `-- database: <file>`
 * (the main database) and `-- name: <query>` (the start of a named query, the aiosql convention). Code
 * without names is one script; code with names is a module: the statements before the first name run
 * when the code loads, and each named query is a function.
 *
 * Never throws: what is wrong is collected in `problems`, which the plan reports before anything runs.
 */
import { docText } from '../doc-comments.js';
import { skipBracket, type Brackets } from '../tokens.js';
import { isKeyword, tokenizeSql, type Token } from './tokenizer.js';

/** The name of the function that stands for code without named queries: the whole script. */
export const SCRIPT_FUNCTION = 'script';

/** What a query's call returns: its last statement's rows (or `{ changes, lastInsertRowid }`), its first row, or the first column of its first row. */
export type QueryResult = 'rows' | 'row' | 'value';

/** A parameter of a statement, by what binds it. */
export type StatementParameter =
  /** `?` or `?NNN`: the call's positional arguments, in the order of these numbers. */
  | { kind: 'positional'; number: number }
  /** `:name`, `@name` or `$name`: the call's keyword argument `name` (NULL when not given). */
  | { kind: 'named'; name: string; number: number };

type NamedParameter = Extract<StatementParameter, { kind: 'named' }>;

/** One statement, as SQLite will be given it. */
export interface SqlStatement {
  /** Its text, from its first token to its last (the `;` left out). */
  sql: string;
  /** 1-based line of its first token in the user's code. */
  line: number;
  /** Its parameters, each once, by SQLite's number. */
  parameters: StatementParameter[];
  /** The largest parameter number: how many values SQLite binds (unused numbers bind NULL). */
  parameterCount: number;
}

/** A function of the code: a named query, or the whole script. */
export interface SqlQuery {
  name: string;
  result: QueryResult;
  statements: SqlStatement[];
  /** 1-based line of its `-- name:` comment (of its first statement for the whole script). */
  line: number;
  /** The comment lines right after its `-- name:` line. */
  doc?: string;
}

/** Something wrong in the code, found before anything runs. */
export interface ScriptProblem {
  message: string;
  line: number;
}

/** SQL code, read. */
export interface SqlScript {
  /** The main database's file (relative to the working directory) and the line naming it; absent: in memory. */
  database?: { path: string; line: number };
  /** Statements before the first named query: run once, when the code loads. */
  setup: SqlStatement[];
  /** The functions: the named queries, or one query named {@link SCRIPT_FUNCTION} for code without names. */
  queries: SqlQuery[];
  /**
   * The code run as a script (a request without a function): every statement of code without names; none
   * for a module of named queries, whose setup runs when it loads.
   */
  script: SqlQuery;
  problems: ScriptProblem[];
}

/** SQLite's largest parameter number (SQLITE_MAX_VARIABLE_NUMBER). */
const MAX_PARAMETER_NUMBER = 32766;
const DIRECTIVE = /^--\s*(name|database)\s*:\s*(.*?)\s*$/;
const QUERY_NAME = /^([A-Za-z_][A-Za-z0-9_]*)([$^]?)$/;
const RESULT_SUFFIX: Readonly<Record<string, QueryResult>> = { '': 'rows', '^': 'row', $: 'value' };
/** What opens and closes inside a trigger's body, where `;` ends its statements, not the trigger. */
const TRIGGER_BODY: Brackets = { '(': ')', BEGIN: 'END', CASE: 'END' };

export function readSqlScript(code: string): SqlScript {
  const tokens = tokenizeSql(code);
  // Keywords in upper case, for bracket walks that compare token values.
  const upper = tokens.map((token) => (token.type === 'word' ? { ...token, value: token.value.toUpperCase() } : token));
  const problems: ScriptProblem[] = [];
  const setup: SqlStatement[] = [];
  const queries: SqlQuery[] = [];
  const all: SqlStatement[] = [];
  let database: SqlScript['database'];
  let current: Token[] = [];
  let query: SqlQuery | undefined;
  let docLines: string[] | undefined;

  const endStatement = (): void => {
    if (current.length === 0) return;
    const statement = readStatement(code, current, problems);
    all.push(statement);
    (query ? query.statements : setup).push(statement);
    current = [];
  };

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token.type === 'comment') {
      const directive = DIRECTIVE.exec(token.value);
      if (directive?.[1] === 'name') {
        // A name starts a query even where the statement before it lacks its `;`.
        endStatement();
        docLines = [];
        query = startQuery(directive[2], token.line, queries, problems);
      } else if (directive?.[1] === 'database') {
        if (database) problems.push({ message: `The database is already named on line ${database.line}.`, line: token.line });
        else if (current.length > 0 || all.length > 0 || queries.length > 0)
          problems.push({ message: '-- database: must come before the first statement and the first -- name:.', line: token.line });
        else if (directive[2] === '') problems.push({ message: '-- database: names no file (write -- database: data.db).', line: token.line });
        else database = { path: directive[2], line: token.line };
      } else if (docLines && token.value.startsWith('--')) {
        docLines.push(token.value.slice(2));
      }
      continue;
    }
    if (docLines && query) {
      const doc = docText(docLines);
      if (doc) query.doc = doc;
    }
    docLines = undefined;
    if (token.type === 'op' && token.value === ';') {
      endStatement();
      continue;
    }
    current.push(token);
    if (isKeyword(token, 'BEGIN') && isTrigger(current)) {
      // The body runs to its END: every token up to it belongs to the statement.
      const end = skipBracket(upper, i, TRIGGER_BODY);
      for (let j = i + 1; j < end; j++) if (tokens[j].type !== 'comment') current.push(tokens[j]);
      i = end - 1;
    }
  }
  endStatement();

  const named = queries.length > 0;
  for (const query of queries) {
    if (query.statements.length === 0) problems.push({ message: `The query ${query.name} has no statement.`, line: query.line });
    else refusePositional(query.statements.slice(0, -1), problems);
  }
  // Code without names is one script. Run as a script, a module of named queries runs only what it runs
  // when it loads (its setup), as a module that defines functions calls none of them.
  const script: SqlQuery = { name: SCRIPT_FUNCTION, result: 'rows', statements: named ? [] : all, line: all[0]?.line ?? 1 };
  // The setup of a module runs with no arguments.
  if (named) refusePositional(setup, problems);
  else {
    refusePositional(all.slice(0, -1), problems);
    queries.push(script);
  }
  problems.sort((a, b) => a.line - b.line);
  return { database, setup: named ? setup : [], queries, script, problems };
}

/** The parameters of a query: the positional ones of its last statement, then every named one once. */
export function queryParameters(query: SqlQuery): { positional: number[]; named: string[] } {
  const last = query.statements.at(-1);
  const positional = (last?.parameters ?? []).flatMap((p) => (p.kind === 'positional' ? [p.number] : [])).sort((a, b) => a - b);
  const named = [...new Set(query.statements.flatMap((s) => s.parameters.flatMap((p) => (p.kind === 'named' ? [p.name] : []))))];
  return { positional, named };
}

function startQuery(text: string, line: number, queries: SqlQuery[], problems: ScriptProblem[]): SqlQuery | undefined {
  const name = QUERY_NAME.exec(text);
  if (!name) {
    problems.push({
      message: `"-- name: ${text}": a query's name is an identifier, with ^ after it for one row or $ for one value (-- name: find_user^).`,
      line,
    });
    return undefined;
  }
  const earlier = queries.find((q) => q.name === name[1]);
  if (earlier) problems.push({ message: `The query ${name[1]} is already named on line ${earlier.line}.`, line });
  const query: SqlQuery = { name: name[1], result: RESULT_SUFFIX[name[2]], statements: [], line };
  queries.push(query);
  return query;
}

/** Whether the statement begun so far is `CREATE [TEMP|TEMPORARY] TRIGGER`. */
function isTrigger(statement: readonly Token[]): boolean {
  if (!isKeyword(statement[0], 'CREATE')) return false;
  const at = isKeyword(statement[1], 'TEMP') || isKeyword(statement[1], 'TEMPORARY') ? 2 : 1;
  return isKeyword(statement[at], 'TRIGGER');
}

function readStatement(code: string, tokens: readonly Token[], problems: ScriptProblem[]): SqlStatement {
  const parameters: StatementParameter[] = [];
  const numbers = new Map<string, number>();
  let count = 0;
  // SQLite's numbering: `?` takes the next number after the largest so far, `?NNN` is NNN, and a name
  // keeps the number of its first use (`:a`, `@a` and `$a` are three names, each bound from `a`).
  for (const token of tokens) {
    if (token.type !== 'parameter' || numbers.has(token.value)) continue;
    if (token.value === '?') {
      count++;
      parameters.push({ kind: 'positional', number: count });
    } else if (token.value.startsWith('?')) {
      const number = Number(token.value.slice(1));
      if (!(number >= 1 && number <= MAX_PARAMETER_NUMBER)) {
        problems.push({ message: `${token.value}: SQLite numbers parameters from 1 to ${MAX_PARAMETER_NUMBER}.`, line: token.line });
        continue;
      }
      const shared = parameters.find((p): p is NamedParameter => p.kind === 'named' && p.number === number);
      if (shared)
        problems.push({
          message: `${token.value} has the number SQLite gave to the named parameter ${shared.name}: one value cannot come from both.`,
          line: token.line,
        });
      count = Math.max(count, number);
      numbers.set(token.value, number);
      if (!parameters.some((p) => p.number === number)) parameters.push({ kind: 'positional', number });
    } else {
      count++;
      numbers.set(token.value, count);
      parameters.push({ kind: 'named', name: token.value.slice(1), number: count });
    }
  }
  const first = tokens[0];
  return { sql: code.slice(first.start, tokens[tokens.length - 1].end), line: first.line, parameters, parameterCount: count };
}

/** Positional parameters bind only in the last statement of a query: one in `statements` is a problem. */
function refusePositional(statements: readonly SqlStatement[], problems: ScriptProblem[]): void {
  for (const statement of statements) {
    if (statement.parameters.some((p) => p.kind === 'positional')) {
      problems.push({
        message:
          'Positional parameters (?) bind only in the last statement of a query or script, and never in the statements before the first -- name:. Name this one (:name) to give it a value here.',
        line: statement.line,
      });
    }
  }
}
