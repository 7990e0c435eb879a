/**
 * The request stage: every check of a call, in order, before anything runs, and what running it needs
 * (the function, the SIP frame, the limits, the file plan). Whatever is wrong is reported with a typed
 * error and nothing is started.
 */
import { ArgumentValidationError, InvalidRequestError } from '../errors.js';
import type { DiskSyncFaults } from '../fs/disk-sync.js';
import type { FilePlan } from '../fs/file-sync.js';
import type { FileOptions } from '../fs/fs-types.js';
import { describeFunction } from '../introspection/describe.js';
import { validateArguments } from '../introspection/validate-arguments.js';
import type { CodeAnalysis, LanguageRuntime } from '../languages/language.js';
import type { RegisteredLanguage } from '../languages/registry.js';
import type { FunctionSignature } from '../languages/signature.js';
import { encodeSipCallFrame, type SipMode } from '../protocol/sip.js';
import type { ExecutionRequest, LanguageInput, SessionCallRequest, SessionOptions } from '../types.js';
import { encodeCall } from './encode-call.js';
import { checkEnvironment, type ProgramEnvironment } from './environment.js';
import { planFiles } from './file-plan.js';
import { callLimits, compileTimeout, DEFAULT_IDLE_TIMEOUT_MS, numberOption, type CallLimits, type ExecutorSettings } from './limits.js';
import { normalizeRequest, type NormalizedRequest } from './normalize-request.js';
import { assertKnownKeys, DESCRIBE_KEYS, SESSION_CALL_KEYS, SESSION_OPTION_KEYS } from './option-keys.js';
import { resolveFunction } from './resolve-function.js';

/** A call checked and encoded, ready to run. */
export interface CheckedCall {
  kind: 'call';
  /** The execution id (`exec-N`), unique in the process. */
  id: string;
  request: NormalizedRequest;
  signature: FunctionSignature;
  /** The SIP frame of the call. */
  frame: Uint8Array;
  /** Number of the call in its frame; its result frame must echo it. */
  callNumber: number;
  limits: CallLimits;
  /** The filesystem options, checked; undefined when the request has none. */
  files: FilePlan | undefined;
  /** Longest wait for the program to be ready (`compileTimeoutMs`), checked. */
  compileTimeoutMs: number;
}

/** What the request stage needs from its executor. */
export interface CallContext {
  settings: ExecutorSettings;
  /** The analysis of `code` in `language` (cached by the executor). */
  analyze(language: RegisteredLanguage, code: string): CodeAnalysis;
  /** Faults the reliability tests inject into the disk sync. */
  faults?: DiskSyncFaults;
}

let nextExecutionId = 1;
let nextCallNumber = 1;

/** A new execution id (`exec-N`), unique in the process. */
export function newExecutionId(): string {
  return `exec-${nextExecutionId++}`;
}

/** A new call number, which the call's result frame must echo. */
export function newCallNumber(): number {
  return nextCallNumber++;
}

/**
 * Checks a call and encodes it.
 *
 * @param mode the SIP mode of its frame: `A` for a one-shot call, `P` for a session's
 * @throws the typed request errors: InvalidRequestError, UnsupportedLanguageError, FunctionNotFoundError,
 *   AmbiguousFunctionError, ArgumentValidationError, UnserializableValueError, PayloadTooLargeError
 */
export function checkCall(request: ExecutionRequest, context: CallContext, mode: SipMode = 'A', id?: string): CheckedCall {
  const { settings } = context;
  const normalized = normalizeRequest(request, { timeoutMs: settings.timeoutMs });
  if (request.kind !== undefined && request.kind !== 'call') {
    throw new InvalidRequestError('kind', `kind must be 'call' for a function call, got ${JSON.stringify(request.kind)}; run a script with run().`);
  }
  const language = normalized.language;
  const limits = callLimits(request, language, settings);
  const signature = resolveFunction(context.analyze(language, normalized.code).functions, normalized.functionName);
  if (normalized.validateArgs) {
    const violations = validateArguments(describeFunction(signature, language), normalized.args, normalized.kwargs);
    if (violations.length > 0) throw new ArgumentValidationError(signature.name, violations);
  }
  language.checkArguments?.(signature, normalized.args, normalized.kwargs);
  const encoded = encodeCall(signature.name, normalized.args, normalized.kwargs, settings.maxPayloadBytes, normalized.environment);
  const files = planFiles(request, { maxBytes: settings.maxFsBytes, maxFiles: settings.maxFiles });
  if (files) files.faults = context.faults;
  const callNumber = newCallNumber();
  return {
    kind: 'call',
    id: id ?? newExecutionId(),
    request: normalized,
    signature,
    frame: encodeSipCallFrame(mode, callNumber, encoded.json),
    callNumber,
    limits,
    files,
    compileTimeoutMs: compileTimeout(request.compileTimeoutMs, settings),
  };
}

/**
 * Checks a call on a session: only its own options (the session fixes the language, the code and the
 * limits), then the call as any other.
 *
 * @param mode `P` for a call on the session's live interpreter, `A` for a session that runs each call
 *   the one-shot way
 */
export function checkSessionCall(request: SessionCallRequest, session: CheckedSession, context: CallContext, mode: SipMode): CheckedCall {
  if (request === null || typeof request !== 'object') throw new InvalidRequestError('request', 'A session call must be an object.');
  assertKnownKeys(request, SESSION_CALL_KEYS, 'the session call');
  return checkCall(session.callDefaults(request, mode === 'A'), context, mode);
}

/** The options of a session, checked. */
export interface CheckedSession {
  language: RegisteredLanguage;
  /** The runtime the session runs on. */
  runtime: LanguageRuntime;
  code: string;
  timeoutMs: number;
  idleTimeoutMs: number;
  limits: CallLimits;
  /** What the session's program sees of its process. */
  environment: ProgramEnvironment;
  /** What each call of the session adds to its own options: the language, the code, the limits. */
  /** Whether the session starts its interpreter again after it stopped (`restart: 'on-demand'`). */
  restartOnDemand: boolean;
  compileTimeoutMs: number;
  /** The session's filesystem options, checked; undefined when it has none. */
  files: FilePlan | undefined;
  /**
   * What each call of the session adds to its own options: the language, the code, the limits (and,
   * `withFiles`, for a session that runs each call the one-shot way, its filesystem options).
   */
  callDefaults(request: SessionCallRequest, withFiles?: boolean): ExecutionRequest;
}

/**
 * Checks the options of `createSession()` and `load()`.
 *
 * @throws the request errors of a call for a bad language or code; InvalidRequestError for a bad limit
 */
export function checkSessionOptions(options: SessionOptions, settings: ExecutorSettings, idleTimeoutDefault = DEFAULT_IDLE_TIMEOUT_MS): CheckedSession {
  if (options === null || typeof options !== 'object') throw new InvalidRequestError('options', 'Session options must be an object.');
  assertKnownKeys(options, SESSION_OPTION_KEYS, 'the session options');
  const probe = normalizeRequest(
    { language: options.language, code: options.code, runtime: options.runtime, timeoutMs: options.timeoutMs },
    { timeoutMs: settings.timeoutMs },
  );
  const idleTimeoutMs = numberOption('idleTimeoutMs', options.idleTimeoutMs, idleTimeoutDefault, 0);
  const limits = callLimits(options, probe.language, settings);
  const environment = checkEnvironment(options);
  const restart = options.restart ?? 'never';
  if (restart !== 'never' && restart !== 'on-demand')
    throw new InvalidRequestError('restart', `restart must be 'never' or 'on-demand', got ${JSON.stringify(restart)}.`);
  const compileTimeoutMs = compileTimeout(options.compileTimeoutMs, settings);
  const files = planFiles(options, { maxBytes: settings.maxFsBytes, maxFiles: settings.maxFiles });
  const { files: extraFiles, mounts, permissions, sync, returnFileContents, beforeSync, afterSync } = options;
  const fileOptions: FileOptions = { files: extraFiles, mounts, permissions, sync, returnFileContents, beforeSync, afterSync };
  return {
    language: probe.language,
    runtime: probe.runtime,
    code: probe.code,
    timeoutMs: probe.timeoutMs,
    idleTimeoutMs,
    limits,
    environment,
    restartOnDemand: restart === 'on-demand',
    compileTimeoutMs,
    files,
    callDefaults: (request, withFiles = false) => ({
      ...request,
      ...(withFiles && files ? fileOptions : {}),
      compileTimeoutMs,
      language: probe.language.id,
      code: probe.code,
      runtime: probe.runtime.name,
      timeoutMs: request.timeoutMs ?? probe.timeoutMs,
      memoryLimitMb: limits.memoryLimitMb,
      maxOutputBytes: limits.maxOutputBytes,
      maxResultBytes: limits.maxResultBytes,
      // Every frame carries them; the proxy applies those of its first frame only.
      env: options.env,
      argv: options.argv,
    }),
  };
}

/**
 * Checks the options of `describe()`.
 *
 * @throws UnsupportedLanguageError, InvalidRequestError for a bad language or code
 */
export function checkDescribeOptions(
  options: { language: LanguageInput; code: string; runtime?: string },
  settings: ExecutorSettings,
): { language: RegisteredLanguage; code: string } {
  if (options === null || typeof options !== 'object') throw new InvalidRequestError('options', 'describe() takes { language, code }.');
  assertKnownKeys(options, DESCRIBE_KEYS, 'the options of describe()');
  if (options.code === undefined) throw new InvalidRequestError('code', 'code is missing: describe() reads the functions of { language, code }.');
  // The runtime changes nothing of what describe() reads, but a name the language does not run on is refused.
  const normalized = normalizeRequest({ language: options.language, code: options.code, runtime: options.runtime }, { timeoutMs: settings.timeoutMs });
  return { language: normalized.language, code: normalized.code };
}
