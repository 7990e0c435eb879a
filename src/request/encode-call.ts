/**
 * Turns a checked request into the SIP payload of the call, enforcing the payload size limit.
 */
import { InvalidRequestError, PayloadTooLargeError } from '../errors.js';
import { encodeWireValue, type WireJson } from '../protocol/wire-value.js';
import type { SipCallPayload, SipRunPayload } from '../protocol/sip.js';
import type { ProgramEnvironment } from './environment.js';

/** The encoded call: its JSON text and its size. */
export interface EncodedCall {
  json: string;
  bytes: number;
}

export function encodeCall(
  functionName: string,
  args: readonly unknown[],
  kwargs: Readonly<Record<string, unknown>>,
  maxPayloadBytes: number,
  environment?: ProgramEnvironment,
): EncodedCall {
  const wireArgs = args.map((value, index) => encodeWireValue(value, `args[${index}]`));
  const wireKwargs: { [name: string]: WireJson } = {};
  for (const name of Object.keys(kwargs)) {
    if (name === '') throw new InvalidRequestError('kwargs', 'A keyword argument name cannot be empty.');
    const value = kwargs[name];
    if (value === undefined) continue; // like JSON: an undefined keyword is simply not passed
    Object.defineProperty(wireKwargs, name, { value: encodeWireValue(value, `kwargs.${name}`), enumerable: true, writable: true, configurable: true });
  }
  const payload: SipCallPayload = { functionName, args: wireArgs, kwargs: wireKwargs };
  if (environment) {
    payload.env = Object.entries(environment.env);
    payload.argv = environment.argv;
  }
  return sized(JSON.stringify(payload), maxPayloadBytes);
}

/** The SIP payload that runs the user's file as a script, or a snippet of code in a context. */
export function encodeRun(run: Omit<SipRunPayload, 'call' | 'env' | 'argv'>, environment: ProgramEnvironment, maxPayloadBytes: number): EncodedCall {
  const payload: SipRunPayload = { ...run, env: Object.entries(environment.env), argv: environment.argv };
  return sized(JSON.stringify(payload), maxPayloadBytes);
}

function sized(json: string, maxPayloadBytes: number): EncodedCall {
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes > maxPayloadBytes) throw new PayloadTooLargeError(bytes, maxPayloadBytes);
  return { json, bytes };
}
