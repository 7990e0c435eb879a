/**
 * Checks a C or C++ call on the host, before anything compiles: every type of the called function must
 * be supported, and the arguments must map onto its parameters (keyword arguments by parameter name).
 */
import { InvalidRequestError } from '../../errors.js';
import type { FunctionSignature } from '../signature.js';
import type { NativeDialect } from './inference.js';
import { readType, supportedTypesText } from './type-table.js';

const LANGUAGE_NAME: Record<NativeDialect, string> = { c: 'C', cpp: 'C++' };

/**
 * @throws InvalidRequestError (field `functionName`) naming the parameter and its type when a type is not
 *   supported
 */
export function assertSupportedSignature(signature: FunctionSignature, dialect: NativeDialect): void {
  const language = LANGUAGE_NAME[dialect];
  const supported = `Supported: ${supportedTypesText(dialect)}.`;
  for (const param of signature.params) {
    if (param.kind === 'var-positional') {
      throw new InvalidRequestError('functionName', `${signature.name}() takes variadic arguments (...), which a ${language} call cannot pass.`);
    }
    const reading = readType(param.type, dialect, 'parameter');
    if (!reading.ok) {
      throw new InvalidRequestError(
        'functionName',
        `Parameter '${param.name}' of ${signature.name}() has the type '${param.type ?? ''}', which a ${language} call cannot pass: it ${reading.reason}. ${supported}`,
      );
    }
  }
  const result = readType(signature.returnType, dialect, 'return');
  if (!result.ok) {
    throw new InvalidRequestError(
      'functionName',
      `${signature.name}() returns the type '${signature.returnType ?? ''}', which a ${language} call cannot return: it ${result.reason}. ${supported}`,
    );
  }
}

/**
 * @throws InvalidRequestError (field `args` or `kwargs`) for too many arguments, an unknown or repeated
 *   keyword argument, or a missing argument without a default
 */
export function assertArgumentsFit(signature: FunctionSignature, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): void {
  const params = signature.params;
  const name = signature.name;
  if (args.length > params.length) {
    throw new InvalidRequestError('args', `${name}() takes ${params.length} argument${params.length === 1 ? '' : 's'} but ${args.length} were given.`);
  }
  for (const key of Object.keys(kwargs)) {
    const index = params.findIndex((p) => p.name === key);
    if (index < 0) {
      const known = params.map((p) => p.name).join(', ');
      throw new InvalidRequestError('kwargs', `${name}() has no parameter named '${key}'${known ? ` (parameters: ${known})` : ''}.`);
    }
    if (index < args.length) throw new InvalidRequestError('kwargs', `${name}() got argument '${key}' both by position and by name.`);
  }
  const missing = params.filter((p, index) => index >= args.length && !Object.hasOwn(kwargs, p.name) && p.default === undefined).map((p) => `'${p.name}'`);
  if (missing.length > 0) {
    throw new InvalidRequestError('args', `${name}() is missing ${missing.length === 1 ? 'the argument' : 'the arguments'} ${missing.join(', ')}.`);
  }
}
