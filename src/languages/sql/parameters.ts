/**
 * The parameters of a query as a function's, and the check of a call's arguments against them before
 * anything runs: `args` bind the positional parameters (`?`, `?NNN`) of its last statement, in the order
 * of their numbers, every one required; `kwargs` bind its named parameters (`:name`, `@name`, `$name`) in
 * every statement, each optional (NULL when not given, as SQLite binds a parameter left unbound).
 */
import { InvalidRequestError } from '../../errors.js';
import type { FunctionSignature } from '../signature.js';
import { queryParameters, type SqlQuery } from './script.js';

/** The bounds of an SQLite INTEGER. */
const INT64 = { min: -(2n ** 63n), max: 2n ** 63n - 1n };

/** A query as the function a request calls. */
export function querySignature(query: SqlQuery): FunctionSignature {
  const { positional, named } = queryParameters(query);
  return {
    name: query.name,
    params: [
      ...positional.map((number) => ({ name: `?${number}`, kind: 'positional-only' as const })),
      ...named.map((name) => ({ name, kind: 'keyword-only' as const, default: 'NULL' })),
    ],
    ...(query.doc ? { doc: query.doc } : {}),
    line: query.line,
  };
}

/**
 * Refuses a call SQLite could not bind: another number of positional arguments than the query has `?`
 * parameters, a keyword argument it has no parameter for, or a value SQLite cannot hold.
 *
 * @throws InvalidRequestError naming the argument
 */
export function checkSqlArguments(signature: FunctionSignature, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): void {
  const name = signature.name;
  const positional = signature.params.filter((p) => p.kind === 'positional-only');
  const named = signature.params.filter((p) => p.kind === 'keyword-only').map((p) => p.name);
  if (args.length !== positional.length) {
    const takes =
      positional.length === 0 ? 'takes no positional arguments' : `takes ${positional.length} positional argument${positional.length === 1 ? '' : 's'}`;
    throw new InvalidRequestError(
      'args',
      `${name}() ${takes} (one for each ? parameter of its last statement) but ${args.length} ${args.length === 1 ? 'was' : 'were'} given.`,
    );
  }
  for (const key of Object.keys(kwargs)) {
    if (kwargs[key] === undefined || named.includes(key)) continue;
    const known = named.length === 0 ? 'It has no named parameters.' : `Its named parameters: ${named.map((n) => `:${n}`).join(', ')}.`;
    throw new InvalidRequestError(`kwargs.${key}`, `${name}() has no parameter :${key}. ${known}`);
  }
  args.forEach((value, index) => checkValue(value, `args[${index}]`, false));
  for (const key of Object.keys(kwargs)) checkValue(kwargs[key], `kwargs.${key}`, false);
}

/** Refuses what SQLite cannot bind: an integer beyond 64 bits; inside a list or object (bound as JSON text), bytes and NaN or infinities. */
function checkValue(value: unknown, path: string, inJson: boolean): void {
  if (typeof value === 'bigint' && !inJson && (value < INT64.min || value > INT64.max)) {
    throw new InvalidRequestError(path, `${path} is beyond SQLite's 64-bit integers; pass it as a string (or a number, which binds as a REAL).`);
  }
  if (inJson && typeof value === 'number' && !Number.isFinite(value)) {
    throw new InvalidRequestError(path, `${path} is ${value}, which JSON cannot hold: a list or an object binds as its JSON text.`);
  }
  if (value instanceof Uint8Array || value instanceof ArrayBuffer) {
    if (inJson) throw new InvalidRequestError(path, `${path} is bytes, which JSON cannot hold: a list or an object binds as its JSON text.`);
    return;
  }
  if (Array.isArray(value)) value.forEach((item, index) => checkValue(item, `${path}[${index}]`, true));
  else if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    for (const [key, item] of Object.entries(value)) checkValue(item, `${path}.${key}`, true);
  }
}
