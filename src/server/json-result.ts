/**
 * Results and errors as JSON for HTTP clients. Values that JSON cannot hold travel with the same tags as
 * inside the sandbox (`{"$bigint": "…"}`, `{"$bytes": "<base64>"}`, `{"$float": "nan"}`); see docs/server.md.
 */
import { SandboxError } from '../errors.js';
import { encodeWireValue, type WireJson } from '../protocol/wire-value.js';
import type { ExecutionResult } from '../types.js';

/** An {@link ExecutionResult} with its values in wire form and without functions (a pending sync). */
export function resultToJson(result: ExecutionResult): Record<string, unknown> {
  const { result: value, files, ...rest } = result;
  const out: Record<string, unknown> = { ...rest };
  if ('result' in result) out.result = safeWire(value);
  if (files) {
    const encodeChange = (change: (typeof files.created)[number]) => (change.content ? { ...change, content: safeWire(change.content) } : change);
    out.files = {
      created: files.created.map(encodeChange),
      modified: files.modified.map(encodeChange),
      deleted: files.deleted.map(encodeChange),
      sync: files.sync,
    };
  }
  return out;
}

function safeWire(value: unknown): WireJson {
  try {
    return encodeWireValue(value, 'result');
  } catch {
    return null;
  }
}

/** A thrown error as the body of an error response. */
export function errorToJson(error: unknown): { error: { code: string; name: string; message: string; [key: string]: unknown } } {
  if (error instanceof SandboxError) {
    const details: Record<string, unknown> = {};
    for (const key of ['field', 'candidates', 'violations', 'limit', 'language', 'supported', 'hostPath'] as const) {
      if (key in error) details[key] = (error as unknown as Record<string, unknown>)[key];
    }
    return { error: { code: error.code, name: error.name, message: error.message, ...details } };
  }
  return { error: { code: 'INTERNAL_ERROR', name: 'Error', message: 'The server failed to handle the request.' } };
}
