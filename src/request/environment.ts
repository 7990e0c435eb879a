/**
 * What the user's program sees of its process: environment variables and command-line arguments. Only
 * what the request gives, over a small documented base; nothing of the host's own environment.
 */
import { InvalidRequestError } from '../errors.js';
import { WORKDIR } from '../protocol/proxy-contract.js';

/** Variables every program sees unless the request's `env` replaces them (documented in docs/scripts.md). */
export const BASE_ENV: Readonly<Record<string, string>> = { HOME: WORKDIR, TMPDIR: '/tmp' };

/** The environment and arguments of a program, checked. */
export interface ProgramEnvironment {
  /** Every variable the program sees: {@link BASE_ENV} with the request's `env` over it. */
  env: Record<string, string>;
  /** The arguments after the script's name. */
  argv: string[];
}

/**
 * Checks `env` (a map of strings) and `argv` (an array of strings).
 *
 * @throws InvalidRequestError naming the field
 */
export function checkEnvironment(source: { env?: unknown; argv?: unknown }): ProgramEnvironment {
  const env: Record<string, string> = { ...BASE_ENV };
  if (source.env !== undefined) {
    const given = source.env;
    if (given === null || typeof given !== 'object' || Array.isArray(given)) {
      throw new InvalidRequestError('env', 'env must be an object mapping variable names to strings, such as { LANG: "C" }.');
    }
    for (const [name, value] of Object.entries(given)) {
      const field = `env[${JSON.stringify(name)}]`;
      if (name === '' || name.includes('=') || name.includes('\0')) {
        throw new InvalidRequestError(field, `${field} is not a valid variable name: it must be non-empty, without "=" or NUL.`);
      }
      if (typeof value !== 'string') throw new InvalidRequestError(field, `${field} must be a string, got ${value === null ? 'null' : typeof value}.`);
      if (value.includes('\0')) throw new InvalidRequestError(field, `${field} cannot hold a NUL character.`);
      env[name] = value;
    }
  }
  const argv: string[] = [];
  if (source.argv !== undefined) {
    if (!Array.isArray(source.argv)) throw new InvalidRequestError('argv', 'argv must be an array of strings (the arguments after the script name).');
    for (const [index, value] of (source.argv as unknown[]).entries()) {
      if (typeof value !== 'string')
        throw new InvalidRequestError(`argv[${index}]`, `argv[${index}] must be a string, got ${value === null ? 'null' : typeof value}.`);
      if (value.includes('\0')) throw new InvalidRequestError(`argv[${index}]`, `argv[${index}] cannot hold a NUL character.`);
      argv.push(value);
    }
  }
  return { env, argv };
}
