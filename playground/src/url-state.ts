/**
 * What a link to the page reproduces: the language, the mode, the code, the function and its arguments, the
 * files given. Kept in the URL fragment (never sent to the server) and updated as the page changes.
 */
import type { LanguageId, Mode } from './examples.js';

export interface PageState {
  language: LanguageId;
  mode: Mode;
  code: string;
  functionName?: string;
  /** Raw text of each argument field, by parameter name. */
  args?: Record<string, string>;
  /** Files given to the code, by path. */
  files?: Record<string, string>;
}

export function readState(hash: string): Partial<PageState> {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const state: Partial<PageState> = {};
  const language = params.get('lang');
  if (language) state.language = language as LanguageId;
  const mode = params.get('mode');
  if (mode === 'script' || mode === 'function') state.mode = mode;
  const code = params.get('code');
  if (code !== null) state.code = code;
  const fn = params.get('fn');
  if (fn) state.functionName = fn;
  state.args = jsonRecord(params.get('args'));
  state.files = jsonRecord(params.get('files'));
  return state;
}

export function writeState(state: PageState): string {
  const params = new URLSearchParams();
  params.set('lang', state.language);
  params.set('mode', state.mode);
  params.set('code', state.code);
  if (state.mode === 'function' && state.functionName) params.set('fn', state.functionName);
  if (state.mode === 'function' && state.args && Object.keys(state.args).length > 0) params.set('args', JSON.stringify(state.args));
  if (state.files && Object.keys(state.files).length > 0) params.set('files', JSON.stringify(state.files));
  return `#${params.toString()}`;
}

function jsonRecord(text: string | null): Record<string, string> | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
    return Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  } catch {
    return undefined;
  }
}
