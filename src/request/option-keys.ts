/**
 * The keys each options object accepts. An unknown key is refused with `InvalidRequestError` naming it
 * and the closest valid one: silently ignoring `{ timeout: 500 }` would let a call run for 30 s.
 *
 * Each list `satisfies Record<keyof Options, true>`, so TypeScript refuses a list that misses an option
 * of its type (or names one the type does not have): adding an option means adding its key here.
 */
import { InvalidRequestError } from '../errors.js';
import type {
  ContextOptions,
  ContextRunOptions,
  ExecutionRequest,
  SandboxExecutorOptions,
  ScriptRequest,
  SessionCallRequest,
  SessionOptions,
  WarmupOptions,
} from '../types.js';
import { closestName } from '../closest-name.js';

/** Keys of `new SandboxExecutor(options)`. */
export const EXECUTOR_OPTION_KEYS = {
  poolSize: true,
  maxQueue: true,
  maxSessions: true,
  prestart: true,
  cacheDir: true,
  timeoutMs: true,
  memoryLimitMb: true,
  maxOutputBytes: true,
  maxPayloadBytes: true,
  maxResultBytes: true,
  maxMemoryLimitMb: true,
  maxFsBytes: true,
  maxFiles: true,
  compileTimeoutMs: true,
} as const satisfies Record<keyof SandboxExecutorOptions, true>;

/** Keys of a request to `invoke()`, `call()` and `stream()`. */
export const REQUEST_KEYS = {
  language: true,
  code: true,
  runtime: true,
  functionName: true,
  args: true,
  kwargs: true,
  timeoutMs: true,
  stdin: true,
  memoryLimitMb: true,
  maxOutputBytes: true,
  maxResultBytes: true,
  signal: true,
  onStdout: true,
  onStderr: true,
  files: true,
  mounts: true,
  permissions: true,
  sync: true,
  returnFileContents: true,
  beforeSync: true,
  afterSync: true,
  deterministic: true,
  validateArgs: true,
  env: true,
  argv: true,
  kind: true,
  compileTimeoutMs: true,
  onPhase: true,
  packages: true,
  template: true,
} as const satisfies Record<keyof ExecutionRequest, true>;

// A script takes the options of a call, without a function to call.
const { functionName: _functionName, args: _args, kwargs: _kwargs, validateArgs: _validateArgs, ...scriptKeys } = REQUEST_KEYS;

/** Keys of a script (`run()`, and `start()` or `stream()` with `kind: 'script'`). */
export const SCRIPT_REQUEST_KEYS = scriptKeys satisfies Record<keyof ScriptRequest, true>;

/** Keys of `createContext()`. */
export const CONTEXT_OPTION_KEYS = {
  language: true,
  runtime: true,
  env: true,
  argv: true,
  files: true,
  mounts: true,
  idleTimeoutMs: true,
  timeoutMs: true,
  memoryLimitMb: true,
  maxOutputBytes: true,
  maxResultBytes: true,
  packages: true,
  template: true,
} as const satisfies Record<keyof ContextOptions, true>;

/** Keys of the options of a snippet (`context.run(code, options)`). */
export const CONTEXT_RUN_KEYS = { timeoutMs: true, signal: true, onStdout: true, onStderr: true } as const satisfies Record<keyof ContextRunOptions, true>;

/** Keys of `createSession()` and `load()`. */
export const SESSION_OPTION_KEYS = {
  language: true,
  code: true,
  runtime: true,
  idleTimeoutMs: true,
  timeoutMs: true,
  memoryLimitMb: true,
  maxOutputBytes: true,
  maxResultBytes: true,
  env: true,
  argv: true,
  restart: true,
  compileTimeoutMs: true,
  files: true,
  mounts: true,
  permissions: true,
  sync: true,
  returnFileContents: true,
  beforeSync: true,
  afterSync: true,
  packages: true,
  template: true,
} as const satisfies Record<keyof SessionOptions, true>;

/** Keys of a call on a session (`session.invoke()`). */
export const SESSION_CALL_KEYS = {
  functionName: true,
  args: true,
  kwargs: true,
  timeoutMs: true,
  signal: true,
  onStdout: true,
  onStderr: true,
} as const satisfies Record<keyof SessionCallRequest, true>;

/** Keys of `warmup(options)`. */
export const WARMUP_OPTION_KEYS = { languages: true, onProgress: true } as const satisfies Record<keyof WarmupOptions, true>;

/** Keys of `describe()`. */
export const DESCRIBE_KEYS = { language: true, code: true, runtime: true } as const satisfies Record<'language' | 'code' | 'runtime', true>;

/** Options that were renamed: the old name, refused with a message naming the new one. */
const RENAMED: Readonly<Record<string, string>> = { prewarm: 'prestart' };

/**
 * Refuses the first key of `options` that `known` does not list.
 *
 * @param what how the message names the options object, for example `the request` or `SandboxExecutor options`
 * @throws InvalidRequestError naming the key and the closest valid one (or its new name, for a renamed one)
 */
export function assertKnownKeys(options: object, known: Readonly<Record<string, true>>, what: string): void {
  for (const key of Object.keys(options)) {
    if (Object.hasOwn(known, key)) continue;
    const renamed = Object.hasOwn(RENAMED, key) ? RENAMED[key] : undefined;
    if (renamed !== undefined && Object.hasOwn(known, renamed)) {
      throw new InvalidRequestError(key, `Unknown option ${JSON.stringify(key)} in ${what}: it is now called ${renamed}.`);
    }
    const valid = Object.keys(known);
    const suggestion = closestName(key, valid);
    const hint = suggestion ? ` Did you mean ${suggestion}?` : ` Valid keys: ${valid.join(', ')}.`;
    throw new InvalidRequestError(key, `Unknown option ${JSON.stringify(key)} in ${what}.${hint}`);
  }
}
