/**
 * The base class of every error of this package, and the errors whose fields are plain data: those of
 * a request that is wrong before anything runs, of the runtime, the pool and sessions.
 *
 * It sits at the bottom of the layers, so that every stage can throw them. Errors that carry a
 * `SyncReport` are in `fs/sync-errors.ts`, those that carry an `ExecutionResult` in
 * `result/execution-errors.ts`, next to what they carry; `index.ts` exports them all.
 */
import { closestName } from './closest-name.js';

/**
 * Base class of every error this library throws or rejects with.
 *
 * `code` is a stable machine-readable identifier (for example `FUNCTION_NOT_FOUND`), so callers can
 * switch on it without matching message text.
 */
export class SandboxError extends Error {
  /** Stable identifier of the error kind. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }

  /**
   * `instanceof` that also recognizes errors thrown by this package's other build: a program can load
   * both the ESM and the CommonJS copy (`import` in one module, `require` in another), and each copy has
   * its own classes. An error of the other copy is an instance of the class of the same name here.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return Function.prototype[Symbol.hasInstance].call(this, value) || isFromOtherCopy(this, value);
  }
}

/** Marks the base class of every copy of this package (`Symbol.for`: the same symbol in each copy). */
const BASE_CLASS = Symbol.for('sandbox-executor.SandboxError');
Object.defineProperty(SandboxError, BASE_CLASS, { value: true });

/** Whether `value`'s class chain holds a class named like `errorClass` that extends another copy's SandboxError. */
function isFromOtherCopy(errorClass: { name: string }, value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return false;
  let named = false;
  for (let proto: unknown = Object.getPrototypeOf(value); proto !== null && proto !== undefined; proto = Object.getPrototypeOf(proto)) {
    const constructor = (proto as { constructor?: unknown }).constructor;
    if (typeof constructor !== 'function') continue;
    if (constructor.name === errorClass.name) named = true;
    if (Object.hasOwn(constructor, BASE_CLASS)) return named;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Errors raised before anything runs: the request itself is wrong.
// ---------------------------------------------------------------------------------------------

/** The request is malformed: a field has the wrong type or an out-of-range value. */
export class InvalidRequestError extends SandboxError {
  /** Name of the offending request field, for example `args` or `timeoutMs`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super('INVALID_REQUEST', message);
    this.field = field;
  }
}

/** The requested language is not one this library supports. */
export class UnsupportedLanguageError extends SandboxError {
  /** The language that was asked for. */
  readonly language: string;
  /** Languages (and aliases) that are supported. */
  readonly supported: readonly string[];

  constructor(language: string, supported: readonly string[]) {
    super('UNSUPPORTED_LANGUAGE', `Unsupported language ${JSON.stringify(language)}. Supported: ${supported.join(', ')}.`);
    this.language = language;
    this.supported = supported;
  }
}

/** The function to call does not exist in the code (or the code defines no function at all). */
export class FunctionNotFoundError extends SandboxError {
  /** The name that was asked for, or `undefined` when no name was given. */
  readonly functionName: string | undefined;
  /** Callable functions that were found in the code. */
  readonly candidates: readonly string[];

  constructor(functionName: string | undefined, candidates: readonly string[], message?: string) {
    super('FUNCTION_NOT_FOUND', message ?? FunctionNotFoundError.describe(functionName, candidates));
    this.functionName = functionName;
    this.candidates = candidates;
  }

  private static describe(functionName: string | undefined, candidates: readonly string[]): string {
    if (functionName === undefined) return 'The code defines no top-level function to call; to run it as a script, use run().';
    const available = candidates.length > 0 ? ` Available: ${candidates.join(', ')}.` : ' The code defines no top-level function.';
    const suggestion = closestName(functionName, candidates);
    return `Function ${JSON.stringify(functionName)} is not defined.${suggestion ? ` Did you mean ${JSON.stringify(suggestion)}?` : ''}${available}`;
  }
}

/** No `functionName` was given and the code defines several functions, so the choice is ambiguous. */
export class AmbiguousFunctionError extends SandboxError {
  /** The functions that could have been meant. */
  readonly candidates: readonly string[];

  constructor(candidates: readonly string[]) {
    super('AMBIGUOUS_FUNCTION', `The code defines several functions (${candidates.join(', ')}); pass functionName to choose one.`);
    this.candidates = candidates;
  }
}

/** An argument (or keyword argument) cannot be sent into the sandbox. */
export class UnserializableValueError extends SandboxError {
  /** Where the value sits in the request, for example `args[1].items[0]`. */
  readonly path: string;
  /** What kind of value it is, for example `function` or `circular reference`. */
  readonly valueType: string;

  constructor(path: string, valueType: string, hint?: string) {
    super('UNSERIALIZABLE_VALUE', `Cannot send ${path} into the sandbox: ${valueType} is not serializable.${hint ? ` ${hint}` : ''}`);
    this.path = path;
    this.valueType = valueType;
  }
}

/** The encoded request is larger than `maxPayloadBytes`. */
export class PayloadTooLargeError extends SandboxError {
  /** Size of the encoded payload in bytes. */
  readonly size: number;
  /** The configured limit in bytes. */
  readonly limit: number;

  constructor(size: number, limit: number) {
    super('PAYLOAD_TOO_LARGE', `The encoded request is ${size} bytes, over the limit of ${limit} bytes (maxPayloadBytes).`);
    this.size = size;
    this.limit = limit;
  }
}

/** The executor was closed; no new work is accepted. */
export class ExecutorClosedError extends SandboxError {
  constructor() {
    super('EXECUTOR_CLOSED', 'The executor has been closed.');
  }
}

/** Too many calls are already waiting for a worker (`maxQueue`). */
export class QueueFullError extends SandboxError {
  /** The configured queue limit. */
  readonly limit: number;

  constructor(limit: number) {
    super('QUEUE_FULL', `Too many calls are waiting for a sandbox worker (maxQueue is ${limit}); try again later.`);
    this.limit = limit;
  }
}

/** A runtime binary or proxy template that ships with the package could not be found or loaded. */
export class RuntimeUnavailableError extends SandboxError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('RUNTIME_UNAVAILABLE', message, options);
  }
}

/** `validateArgs` found arguments that do not match the function's parameters and declared types. */
export class ArgumentValidationError extends SandboxError {
  /** The function that was called. */
  readonly functionName: string;
  /** Every problem found, with where it is (`args[0]`, `kwargs.limit`…). */
  readonly violations: readonly { path: string; message: string }[];

  constructor(functionName: string, violations: readonly { path: string; message: string }[]) {
    super('INVALID_ARGUMENTS', `Invalid arguments for ${functionName}(): ${violations.map((v) => `${v.path}: ${v.message}`).join('; ')}.`);
    this.functionName = functionName;
    this.violations = violations;
  }
}

/** `createSession()` would open more sessions than the executor's `maxSessions`. */
export class SessionLimitError extends SandboxError {
  /** The configured limit. */
  readonly limit: number;

  constructor(limit: number) {
    super('SESSION_LIMIT', `Too many open sessions (maxSessions is ${limit}); close some first.`);
    this.limit = limit;
  }
}

/** The session was closed (by `close()`, its idle timeout, the executor, or a call that ended it). */
export class SessionClosedError extends SandboxError {
  /** Why the session closed. */
  readonly reason: string;

  constructor(reason: string) {
    super('SESSION_CLOSED', `The session is closed: ${reason}`);
    this.reason = reason;
  }
}

/** A mount cannot be loaded: the host folder is missing, not a folder, or over its size limits. */
export class MountError extends SandboxError {
  /** The host path concerned (the mount's folder or a file in it). */
  readonly hostPath: string;

  constructor(hostPath: string, message: string, options?: { cause?: unknown }) {
    super('MOUNT_ERROR', message, options);
    this.hostPath = hostPath;
  }
}

/**
 * A package (the `packages` option of a request, session, context or template) cannot be used: its path
 * is missing or unreadable, it holds native code (a `.so`, a C-extension wheel, a native gem), a wheel's
 * RECORD does not match its files, a link leads out of its folder, a JavaScript package is CommonJS only,
 * or a dependency is missing. Thrown before anything runs.
 */
export class PackageError extends SandboxError {
  /** The host path of the package concerned. */
  readonly packagePath: string;
  /** The file inside the package that is the problem, relative to the package, when there is one. */
  readonly file: string | undefined;

  constructor(packagePath: string, message: string, options?: { file?: string; cause?: unknown }) {
    super('PACKAGE_ERROR', message, options);
    this.packagePath = packagePath;
    this.file = options?.file;
  }
}
