/**
 * Picks the function a request calls, from the signatures inference found.
 */
import { AmbiguousFunctionError, FunctionNotFoundError } from '../errors.js';
import type { FunctionSignature } from '../languages/signature.js';

/**
 * With a name: that function. Without: the only function, or else the only one whose name does not start
 * with `_` (helpers are conventionally private).
 *
 * @throws FunctionNotFoundError when the name is not defined (the message suggests close names)
 * @throws AmbiguousFunctionError when no name is given and several functions qualify
 */
export function resolveFunction(signatures: readonly FunctionSignature[], functionName: string | undefined): FunctionSignature {
  const names = signatures.map((s) => s.name);
  if (functionName !== undefined) {
    const found = signatures.find((s) => s.name === functionName);
    if (!found) throw new FunctionNotFoundError(functionName, names);
    return found;
  }
  if (signatures.length === 1) return signatures[0];
  if (signatures.length === 0) throw new FunctionNotFoundError(undefined, names);
  const publicOnes = signatures.filter((s) => !s.name.startsWith('_'));
  if (publicOnes.length === 1) return publicOnes[0];
  throw new AmbiguousFunctionError(publicOnes.length > 0 ? publicOnes.map((s) => s.name) : names);
}
