/**
 * Turns a checked request into the SIP payload of the call, enforcing the payload size limit.
 */
import { InvalidRequestError, PayloadTooLargeError } from '../errors.js';
import { encodeWireValue, type WireJson } from '../protocol/wire-value.js';
import type { SipCallPayload } from '../protocol/sip.js';

/** The encoded call: its JSON text and its size. */
export interface EncodedCall {
  json: string;
  bytes: number;
}

export function encodeCall(functionName: string, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>, maxPayloadBytes: number): EncodedCall {
  const wireArgs = args.map((value, index) => encodeWireValue(value, `args[${index}]`));
  const wireKwargs: { [name: string]: WireJson } = {};
  for (const name of Object.keys(kwargs)) {
    if (name === '') throw new InvalidRequestError('kwargs', 'A keyword argument name cannot be empty.');
    const value = kwargs[name];
    if (value === undefined) continue; // like JSON: an undefined keyword is simply not passed
    Object.defineProperty(wireKwargs, name, { value: encodeWireValue(value, `kwargs.${name}`), enumerable: true, writable: true, configurable: true });
  }
  const payload: SipCallPayload = { functionName, args: wireArgs, kwargs: wireKwargs };
  const json = JSON.stringify(payload);
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxPayloadBytes) throw new PayloadTooLargeError(bytes, maxPayloadBytes);
  return { json, bytes };
}
