/**
 * Checks a request before anything runs and fills in defaults. Everything wrong here is reported with a
 * typed error and nothing is started.
 */
import { closestName } from '../closest-name.js';
import { InvalidRequestError } from '../errors.js';
import type { LanguageRuntime } from '../languages/language.js';
import { languageFor, SUPPORTED_LANGUAGES } from '../languages/registry.js';
import type { RegisteredLanguage } from '../languages/registry.js';
import type { DeterministicSpec } from '../runtime/worker-protocol.js';
import type { ExecutionRequest } from '../types.js';
import { checkEnvironment, type ProgramEnvironment } from './environment.js';
import { assertKnownKeys, REQUEST_KEYS } from './option-keys.js';

/** A request whose fields have been checked. */
export interface NormalizedRequest {
  language: RegisteredLanguage;
  /** The runtime the request picked, or the language's default. */
  runtime: LanguageRuntime;
  code: string;
  functionName: string | undefined;
  args: readonly unknown[];
  kwargs: Readonly<Record<string, unknown>>;
  timeoutMs: number;
  stdin: Uint8Array | undefined;
  deterministic: DeterministicSpec | undefined;
  signal: AbortSignal | undefined;
  onStdout: ((chunk: string) => void) | undefined;
  onStderr: ((chunk: string) => void) | undefined;
  validateArgs: boolean;
  /** What the program sees of its process: `env` over the base, and `argv`. */
  environment: ProgramEnvironment;
  onPhase: ExecutionRequest['onPhase'];
}

/** Start of the clock of deterministic runs that do not set `now`. */
const DETERMINISTIC_EPOCH_MS = Date.UTC(2000, 0, 1);

/** Defaults the executor applies to requests. */
export interface RequestDefaults {
  timeoutMs: number;
}

/** Largest accepted timeout (24 days: the most a Node timer can wait). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

export function normalizeRequest(request: ExecutionRequest, defaults: RequestDefaults): NormalizedRequest {
  if (request === null || typeof request !== 'object') {
    throw new InvalidRequestError('request', 'The request must be an object.');
  }
  assertKnownKeys(request, REQUEST_KEYS, 'the request');
  if (request.language === undefined) {
    throw new InvalidRequestError('language', `language is missing: say which language code is written in (${SUPPORTED_LANGUAGES.join(', ')}).`);
  }
  const language = languageFor(request.language);
  const runtime = runtimeFor(language, request.runtime);

  if (request.code === undefined) {
    throw new InvalidRequestError('code', 'code is missing: pass the source code that defines the function to call.');
  }
  if (typeof request.code !== 'string') {
    throw new InvalidRequestError('code', `code must be a string, got ${describe(request.code)}.`);
  }
  if (request.code.trim() === '') throw new InvalidRequestError('code', 'code is empty.');

  const functionName = request.functionName;
  if (functionName !== undefined && (typeof functionName !== 'string' || functionName === '')) {
    throw new InvalidRequestError('functionName', `functionName must be a non-empty string, got ${describe(functionName)}.`);
  }

  const args = request.args ?? [];
  if (!Array.isArray(args)) {
    const byName = args !== null && typeof args === 'object' ? ' To pass arguments by name, put them in kwargs: { name: value }.' : '';
    throw new InvalidRequestError('args', `args is the list of positional arguments and must be an array, got ${describe(args)}.${byName}`);
  }

  const kwargs = request.kwargs ?? {};
  if (kwargs === null || typeof kwargs !== 'object' || Array.isArray(kwargs)) {
    const positional = Array.isArray(kwargs) ? ' Positional arguments go in args.' : '';
    throw new InvalidRequestError(
      'kwargs',
      `kwargs takes arguments by name and must be a plain object such as { limit: 10 }, got ${describe(kwargs)}.${positional}`,
    );
  }
  const prototype = Object.getPrototypeOf(kwargs);
  if (prototype !== Object.prototype && prototype !== null) {
    throw new InvalidRequestError('kwargs', 'kwargs must be a plain object of named arguments.');
  }

  const timeoutMs = checkTimeoutMs(request.timeoutMs, defaults.timeoutMs);

  let stdin: Uint8Array | undefined;
  if (request.stdin !== undefined) {
    if (typeof request.stdin === 'string') stdin = new TextEncoder().encode(request.stdin);
    else if (request.stdin instanceof Uint8Array) stdin = request.stdin;
    else throw new InvalidRequestError('stdin', `stdin must be a string or a Uint8Array, got ${describe(request.stdin)}.`);
  }

  checkCallbacks(request);

  return {
    language,
    runtime,
    code: request.code,
    functionName,
    args,
    kwargs,
    timeoutMs,
    stdin,
    deterministic: deterministicSpec(request.deterministic),
    signal: request.signal,
    onStdout: request.onStdout,
    onStderr: request.onStderr,
    validateArgs: request.validateArgs === true,
    environment: checkEnvironment(request),
    onPhase: request.onPhase,
  };
}

/**
 * A time limit, or `fallback` when none is given.
 *
 * @throws InvalidRequestError unless it is a positive number of milliseconds a Node timer can wait
 */
export function checkTimeoutMs(value: unknown, fallback: number): number {
  const timeoutMs = value ?? fallback;
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs <= 0 || timeoutMs > MAX_TIMEOUT_MS) {
    throw new InvalidRequestError('timeoutMs', `timeoutMs must be a positive number of milliseconds up to ${MAX_TIMEOUT_MS}, got ${describe(timeoutMs)}.`);
  }
  return timeoutMs;
}

/**
 * Checks the live-output callbacks and the abort signal of a request.
 *
 * @throws InvalidRequestError naming the option
 */
export function checkCallbacks(request: Pick<ExecutionRequest, 'onStdout' | 'onStderr' | 'signal' | 'onPhase'>): void {
  if (request.onStdout !== undefined && typeof request.onStdout !== 'function') throw new InvalidRequestError('onStdout', 'onStdout must be a function.');
  if (request.onStderr !== undefined && typeof request.onStderr !== 'function') throw new InvalidRequestError('onStderr', 'onStderr must be a function.');
  if (request.signal !== undefined && !(request.signal instanceof AbortSignal)) throw new InvalidRequestError('signal', 'signal must be an AbortSignal.');
  if (request.onPhase !== undefined && typeof request.onPhase !== 'function') throw new InvalidRequestError('onPhase', 'onPhase must be a function.');
}

/**
 * The runtime a request names among those its language declares; the first one when it names none.
 *
 * @throws InvalidRequestError listing the language's runtimes
 */
export function runtimeFor(language: RegisteredLanguage, name: unknown): LanguageRuntime {
  const runtimes = language.runtimes;
  if (name === undefined) return runtimes[0];
  // Matched in any letter case, like language names.
  const found = typeof name === 'string' ? runtimes.find((runtime) => runtime.name.toLowerCase() === name.trim().toLowerCase()) : undefined;
  if (found) return found;
  const names = runtimes.map((runtime, index) => (index === 0 ? `${runtime.name} (the default)` : runtime.name));
  const listed = names.length === 1 ? `only on ${names[0]}` : `on ${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
  const suggestion =
    typeof name === 'string'
      ? closestName(
          name,
          runtimes.map((runtime) => runtime.name),
        )
      : undefined;
  const shown = typeof name === 'string' ? JSON.stringify(name) : describe(name);
  throw new InvalidRequestError(
    'runtime',
    `Unknown runtime ${shown} for ${language.displayName}: it runs ${listed}.${suggestion ? ` Did you mean ${suggestion}?` : ''}`,
  );
}

function deterministicSpec(value: ExecutionRequest['deterministic']): DeterministicSpec | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') throw new InvalidRequestError('deterministic', 'deterministic must be an object { seed?, now? }.');
  const seed = value.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed))
    throw new InvalidRequestError('deterministic.seed', `deterministic.seed must be an integer, got ${describe(seed)}.`);
  const now = value.now ?? DETERMINISTIC_EPOCH_MS;
  const nowMs = now instanceof Date ? now.getTime() : now;
  if (typeof nowMs !== 'number' || !Number.isFinite(nowMs) || nowMs < 0) {
    throw new InvalidRequestError('deterministic.now', 'deterministic.now must be a valid Date or a non-negative number of milliseconds since 1970.');
  }
  return { seed, nowMs };
}

/** A short description of a value's type for error messages. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return (value as object).constructor?.name ? `an instance of ${(value as object).constructor.name}` : 'an object';
  if (typeof value === 'number' && Number.isNaN(value)) return 'NaN';
  return `${typeof value} ${typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value) : String(value)}`;
}
