/**
 * The contract every language folder fulfils. A language is one folder under `src/languages/` plus one
 * line in `registry.ts`.
 */
import type { ExecutionErrorInfo } from '../protocol/result-frame.js';
import type { ToolResult, ToolSpec } from '../runtime/tool-runner.js';
import type { JobFile, RuntimeId } from '../runtime/worker-protocol.js';
import type { FunctionSignature } from './signature.js';
import type { TypeVocabulary } from './type-schema.js';

/** How to run the proxy of one call. */
export interface ProgramPlan {
  /** Interpreter (or compiled program) to run. */
  runtime: RuntimeId;
  argv: string[];
  env: Record<string, string>;
  /** Working directory of user code. */
  cwd: string;
  /**
   * Files that are the same for every call of this language (the proxy). A pre-started instance is
   * started with these and receives `callFiles` when it is claimed.
   */
  baseFiles: JobFile[];
  /** Files of this call: the user's code. */
  callFiles: JobFile[];
}

/** Services the executor offers to languages. */
export interface LanguageToolbox {
  /** Runs a program in the sandbox and collects the files it wrote. */
  runTool(spec: ToolSpec): Promise<ToolResult>;
  /**
   * Makes a WebAssembly program built at run time runnable and returns the runtime id to put in a
   * {@link ProgramPlan}. The same bytes give the same id and are compiled once per process.
   */
  loadProgram(wasm: Uint8Array): Promise<RuntimeId>;
  /** Directory for build caches that outlive the process (the executor's `cacheDir` option), if any. */
  cacheDir: string | undefined;
}

/**
 * Thrown by {@link LanguageDefinition.planProgram} when the user's code cannot be built (a compiler
 * error): the call then ends with status `error` and this error, without running anything.
 */
export class ProgramBuildError extends Error {
  constructor(
    readonly info: ExecutionErrorInfo,
    readonly stderr = '',
  ) {
    super(info.message);
    this.name = 'ProgramBuildError';
  }
}

/** Everything the executor needs to know about one language. */
export interface LanguageDefinition<Prepared = unknown, Id extends string = string, Alias extends string = string> {
  /** Canonical name used in requests and results. */
  id: Id;
  /** Other names accepted in requests. */
  aliases: readonly Alias[];
  /** Finds the callable top-level functions of `code`. Must not throw on any input. */
  inferSignatures(code: string): FunctionSignature[];
  /**
   * One-time work before the first call (for example precompiling the proxy). Its result is passed to
   * every `planProgram`. When it fails, calls go on with `prepared` undefined.
   */
  prepare?(toolbox: LanguageToolbox): Promise<Prepared>;
  /**
   * Checks the arguments of a call against the signature before anything runs, for what the language
   * itself cannot report well (for example keyword arguments in a language without them).
   *
   * @throws InvalidRequestError (or another typed request error) with a clear message
   */
  checkArguments?(signature: FunctionSignature, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): void;
  /**
   * What the language's type names mean, for the JSON Schemas of `describe()` (`int` → integer,
   * `list` → array…). Unknown names give `{}` (any value).
   */
  typeVocabulary?: TypeVocabulary;
  /** Smallest `memoryLimitMb` the runtime can start with (Ruby reserves its heap at start-up). */
  minMemoryMb?: number;
  /**
   * Whether the program serves several calls in one process (SIP persistent mode `P`), which sessions
   * need (default true). Without it, sessions fall back to one process per call.
   */
  persistent?: boolean;
  /**
   * Whether calls can run on pre-started instances, started before the user's code is known (true for
   * interpreters; false when the program itself is built from the code, as for C).
   */
  prestart?: boolean;
  /**
   * The program that runs one call of `signature`. May build it first (compile C); a build that fails
   * because of the user's code throws {@link ProgramBuildError}. `limits.memoryBytes` is the memory the
   * program will have (PHP sets its own `memory_limit` from it); the plan may depend on it, since
   * pre-started instances are keyed by plan and memory limit alike.
   */
  planProgram(
    code: string,
    signature: FunctionSignature,
    prepared: Prepared | undefined,
    toolbox: LanguageToolbox,
    signatures: readonly FunctionSignature[],
    limits: { memoryBytes: number },
  ): ProgramPlan | Promise<ProgramPlan>;
}
