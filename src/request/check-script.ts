/**
 * The request stage of code run without naming a function: a script (`run()`), the options of a context
 * (`createContext()`), and each snippet a context runs. Like calls, everything is checked before anything
 * runs, and what is wrong is a typed error.
 */
import { InvalidRequestError } from '../errors.js';
import type { FilePlan } from '../fs/file-sync.js';
import type { LanguageRuntime } from '../languages/language.js';
import type { RegisteredLanguage } from '../languages/registry.js';
import { languageFor, SUPPORTED_LANGUAGES } from '../languages/registry.js';
import { encodeSipCallFrame } from '../protocol/sip.js';
import type { ContextOptions, ContextRunOptions, ExecutionRequest, ScriptRequest, SessionCallRequest } from '../types.js';
import { newCallNumber, newExecutionId, type CallContext } from './check-call.js';
import { encodeCall, encodeRun } from './encode-call.js';
import { checkEnvironment, type ProgramEnvironment } from './environment.js';
import { planFiles } from './file-plan.js';
import { callLimits, compileTimeout, DEFAULT_IDLE_TIMEOUT_MS, numberOption, type CallLimits, type ExecutorSettings } from './limits.js';
import { checkCallbacks, checkTimeoutMs, normalizeRequest, runtimeFor, type NormalizedRequest } from './normalize-request.js';
import { assertKnownKeys, CONTEXT_OPTION_KEYS, CONTEXT_RUN_KEYS, SCRIPT_REQUEST_KEYS, SESSION_CALL_KEYS } from './option-keys.js';

/** A script checked and encoded, ready to run. */
export interface CheckedScript {
  kind: 'script';
  /** The execution id (`exec-N`), unique in the process. */
  id: string;
  request: NormalizedRequest;
  /** The SIP frame that runs the user's file as a script (unused by a program that reads no SIP, as C's). */
  frame: Uint8Array;
  /** Number of the run in its frame; a result frame must echo it. */
  callNumber: number;
  limits: CallLimits;
  /** The filesystem options, checked; undefined when the request has none. */
  files: FilePlan | undefined;
  /** Longest wait for the program to be ready (`compileTimeoutMs`), checked. */
  compileTimeoutMs: number;
}

/**
 * Checks a script and encodes its frame.
 *
 * @throws InvalidRequestError, UnsupportedLanguageError, PayloadTooLargeError
 */
export function checkScript(request: ScriptRequest, context: CallContext, id?: string): CheckedScript {
  if (request === null || typeof request !== 'object') throw new InvalidRequestError('request', 'The request must be an object.');
  assertKnownKeys(request, SCRIPT_REQUEST_KEYS, 'the script request');
  if (request.kind !== undefined && request.kind !== 'script') {
    throw new InvalidRequestError('kind', `kind must be 'script' for a script, got ${JSON.stringify(request.kind)}; call a function with invoke().`);
  }
  if (request.code === undefined) throw new InvalidRequestError('code', 'code is missing: pass the source code of the script to run.');
  const { settings } = context;
  const normalized = normalizeRequest({ ...request, kind: undefined } as ExecutionRequest, { timeoutMs: settings.timeoutMs });
  const limits = callLimits(request, normalized.language, settings);
  const encoded = encodeRun({ kind: 'script' }, normalized.environment, settings.maxPayloadBytes);
  const files = planFiles(request, { maxBytes: settings.maxFsBytes, maxFiles: settings.maxFiles });
  if (files) files.faults = context.faults;
  const callNumber = newCallNumber();
  return {
    kind: 'script',
    id: id ?? newExecutionId(),
    request: normalized,
    frame: encodeSipCallFrame('A', callNumber, encoded.json),
    callNumber,
    limits,
    files,
    compileTimeoutMs: compileTimeout(request.compileTimeoutMs, settings),
  };
}

/** The options of a context, checked. */
export interface CheckedContext {
  language: RegisteredLanguage;
  runtime: LanguageRuntime;
  timeoutMs: number;
  idleTimeoutMs: number;
  limits: CallLimits;
  environment: ProgramEnvironment;
  /** The files and mounts it starts with; undefined when it has none. */
  files: FilePlan | undefined;
}

/**
 * Checks the options of `createContext()`.
 *
 * @throws UnsupportedLanguageError; InvalidRequestError for a bad option, or a language that cannot keep
 *   state between snippets (C, C++)
 */
export function checkContextOptions(options: ContextOptions, settings: ExecutorSettings): CheckedContext {
  if (options === null || typeof options !== 'object')
    throw new InvalidRequestError('options', 'Context options must be an object such as { language: "python" }.');
  assertKnownKeys(options, CONTEXT_OPTION_KEYS, 'the context options');
  if (options.language === undefined) {
    throw new InvalidRequestError('language', `language is missing: say which language the context runs (${SUPPORTED_LANGUAGES.join(', ')}).`);
  }
  const language = languageFor(options.language);
  if (language.contexts === false) {
    throw new InvalidRequestError(
      'language',
      `${language.displayName} has no contexts (snippets that keep state between them). Run whole programs with run(), or call functions with createSession().`,
    );
  }
  const files = planFiles({ files: options.files, mounts: options.mounts }, { maxBytes: settings.maxFsBytes, maxFiles: settings.maxFiles });
  return {
    language,
    runtime: runtimeFor(language, options.runtime),
    timeoutMs: checkTimeoutMs(options.timeoutMs, settings.timeoutMs),
    idleTimeoutMs: numberOption('idleTimeoutMs', options.idleTimeoutMs, DEFAULT_IDLE_TIMEOUT_MS, 0),
    limits: callLimits(options, language, settings),
    environment: checkEnvironment(options),
    files,
  };
}

/** A snippet checked and encoded, ready to run in its context. */
export interface CheckedSnippet {
  id: string;
  frame: Uint8Array;
  callNumber: number;
  timeoutMs: number;
  options: ContextRunOptions;
}

/**
 * Checks a snippet and its options and encodes its frame (SIP persistent mode).
 *
 * @param number the snippet's number in its context, from 1 (its name in tracebacks)
 * @throws InvalidRequestError, PayloadTooLargeError
 */
export function checkSnippet(
  code: unknown,
  options: ContextRunOptions | undefined,
  context: CheckedContext,
  settings: ExecutorSettings,
  number: number,
): CheckedSnippet {
  if (typeof code !== 'string') throw new InvalidRequestError('code', `A snippet must be a string of code, got ${code === null ? 'null' : typeof code}.`);
  const given = options ?? {};
  if (given === null || typeof given !== 'object') throw new InvalidRequestError('options', 'The options of run() must be an object.');
  assertKnownKeys(given, CONTEXT_RUN_KEYS, 'the options of a snippet');
  checkCallbacks(given);
  const timeoutMs = checkTimeoutMs(given.timeoutMs, context.timeoutMs);
  const text = context.language.snippetCode?.(code) ?? code;
  const encoded = encodeRun({ kind: 'snippet', code: text, snippet: number }, context.environment, settings.maxPayloadBytes);
  const callNumber = newCallNumber();
  return { id: newExecutionId(), frame: encodeSipCallFrame('P', callNumber, encoded.json), callNumber, timeoutMs, options: given };
}

/** A call of a function a context's snippets defined, checked and encoded. */
export interface CheckedContextCall {
  id: string;
  functionName: string;
  frame: Uint8Array;
  callNumber: number;
  timeoutMs: number;
}

/**
 * Checks a call on a context. The functions exist only once snippets have run, so nothing is known of
 * their parameters: the name must be given, and the language itself reports a missing function or bad
 * arguments (as the error of the call).
 *
 * @throws InvalidRequestError, UnserializableValueError, PayloadTooLargeError
 */
export function checkContextCall(request: SessionCallRequest, context: CheckedContext, settings: ExecutorSettings): CheckedContextCall {
  if (request === null || typeof request !== 'object') throw new InvalidRequestError('request', 'A context call must be an object.');
  assertKnownKeys(request, SESSION_CALL_KEYS, 'the context call');
  const { functionName } = request;
  if (typeof functionName !== 'string' || functionName === '') {
    throw new InvalidRequestError('functionName', 'functionName is missing: name the function, defined by an earlier snippet, to call.');
  }
  const args = request.args ?? [];
  if (!Array.isArray(args)) throw new InvalidRequestError('args', 'args is the list of positional arguments and must be an array.');
  const kwargs = request.kwargs ?? {};
  if (kwargs === null || typeof kwargs !== 'object' || Array.isArray(kwargs)) {
    throw new InvalidRequestError('kwargs', 'kwargs takes arguments by name and must be a plain object such as { limit: 10 }.');
  }
  checkCallbacks(request);
  const timeoutMs = checkTimeoutMs(request.timeoutMs, context.timeoutMs);
  const encoded = encodeCall(functionName, args, kwargs, settings.maxPayloadBytes, context.environment);
  const callNumber = newCallNumber();
  return { id: newExecutionId(), functionName, frame: encodeSipCallFrame('P', callNumber, encoded.json), callNumber, timeoutMs };
}
