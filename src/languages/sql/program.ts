/**
 * The program the SQL proxy runs (templates/sql/main.py): the code as the host read it, so that the
 * proxy never parses SQL. It is the same whatever the request: the proxy runs the query a call names, or
 * the whole script for a request that names none.
 */
import type { SqlQuery, SqlScript, SqlStatement } from './script.js';

/** What binds one parameter number: the call's positional argument at an index, its keyword argument by name, or NULL. */
type Binding = ['arg', number] | ['kw', string] | null;

interface ProgramStatement {
  sql: string;
  line: number;
  /** One binding per parameter number, from 1. */
  bind: Binding[];
}

interface ProgramQuery {
  result: SqlQuery['result'];
  statements: ProgramStatement[];
}

/** The program file's contents (its shape is documented at the top of the proxy). */
export function proxyProgram(script: SqlScript): string {
  const queries: Record<string, ProgramQuery> = {};
  for (const query of script.queries) queries[query.name] = programQuery(query);
  return JSON.stringify({ database: script.database ?? null, setup: script.setup.map(programStatement), script: programQuery(script.script), queries });
}

function programQuery(query: SqlQuery): ProgramQuery {
  return { result: query.result, statements: query.statements.map(programStatement) };
}

function programStatement(statement: SqlStatement): ProgramStatement {
  const bind: Binding[] = new Array<Binding>(statement.parameterCount).fill(null);
  // Positional arguments go to the positional parameters in the order of their numbers.
  const positional = statement.parameters.filter((p) => p.kind === 'positional').sort((a, b) => a.number - b.number);
  positional.forEach((p, index) => (bind[p.number - 1] = ['arg', index]));
  for (const p of statement.parameters) if (p.kind === 'named') bind[p.number - 1] = ['kw', p.name];
  return { sql: statement.sql, line: statement.line, bind };
}
