/**
 * The contract of a language plug-in. A language is one folder (`src/languages/<name>/` and
 * `templates/<name>/`), its docs page, its conformance column, and one line in `registry.ts`: its
 * `LanguageDefinition` declares everything else the package needs to know about it.
 */
import type { PackageSupport, PlanPackages } from '../packages/package-support.js';
import type { ExecutionErrorInfo } from '../protocol/result-frame.js';
import type { ProgramPlan } from '../runtime/program.js';
import type { RuntimeBinary } from '../runtime/runtime-binary.js';
import type { ToolResult, ToolSpec } from '../runtime/tool-runner.js';
import type { FunctionSignature } from './signature.js';
import type { TemplateSource } from './templates.js';
import type { TypeTable } from './type-schema.js';

/** What a language's `analyze` finds in the user's code; a language may add what its plan needs. */
export interface CodeAnalysis {
  /** The callable top-level functions, in order of definition. */
  readonly functions: readonly FunctionSignature[];
}

/**
 * What a program is planned for. Each kind is a way a request uses the code; a new kind of request (a
 * script run, a context that keeps an interpreter across snippets) is a new member.
 */
export type ProgramInput =
  /** One call of `signature` (SIP atomic mode): a one-shot call. */
  | { kind: 'call'; signature: FunctionSignature }
  /**
   * Calls of any function of the code, one after another (SIP persistent mode): a session. Prestarted
   * instances are planned this way too, with empty code: only the proxy of such a plan is used.
   */
  | { kind: 'module' }
  /**
   * The code run as a script (`run()`): a SIP atomic frame of kind `script`, after which the proxy runs the
   * user's file and reports the value of its last expression. An interpreted language plans it like a
   * call (the frame says what to do, so prestarted instances serve scripts too); a language that builds
   * the program from the code (C) builds the user's own program, with `stdin: 'raw'`.
   */
  | { kind: 'script' }
  /**
   * A context (`createContext()`): a live interpreter without code, fed snippets (SIP persistent frames of
   * kind `snippet`) and calls of the functions they define. Only for languages whose `contexts` is not false.
   */
  | { kind: 'context' };

/**
 * A phase of getting a program ready, before it runs, that callers can show (a first C call spends
 * seconds in them): `loading-runtime` (the language's runtime loaded and prepared, once per executor),
 * `compiling` (the program built from the user's code, not found in a cache), `loading-packages`
 * (the request's packages read from the host, once per executor and package: docs/packages.md).
 */
export type ProgramPhase = 'loading-runtime' | 'compiling' | 'loading-packages';

/**
 * How much of a phase's work is done, for phases that can count it (`loading-packages`: files and bytes).
 * Every field is optional: a phase reports what it knows.
 */
export interface PhaseProgress {
  /** Files done so far. */
  filesDone?: number;
  /** Files the phase will handle, when known. */
  filesTotal?: number;
  /** Bytes done so far. */
  bytesDone?: number;
  /** Bytes the phase will handle, when known. */
  bytesTotal?: number;
}

/** A runtime a language can run on: the binaries it needs, by role. */
export interface LanguageRuntime {
  /** Name a request will pick it by (`runno`); the first runtime of a language is its default. */
  name: string;
  /** The interpreter that runs the proxy (`python`), or the tools that build the program (`clang`, `wasm-ld`). */
  binaries: Readonly<Record<string, RuntimeBinary>>;
}

/** Services the executor offers to languages. */
export interface LanguageToolbox extends TemplateSource {
  /** Runs a program in the sandbox and collects the files it wrote. */
  runTool(spec: ToolSpec): Promise<ToolResult>;
  /**
   * Makes a WebAssembly program built at run time runnable, as the runtime of a {@link ProgramPlan}. The
   * same bytes give the same runtime and are compiled once per process.
   */
  loadProgram(wasm: Uint8Array): Promise<RuntimeBinary>;
  /** Directory for build caches that outlive the process (the executor's `cacheDir` option), if any. */
  cacheDir: string | undefined;
}

/** Everything `planProgram` is given, in one object. */
export interface PlanRequest<Analysis extends CodeAnalysis = CodeAnalysis, Prepared = unknown> {
  /** The user's code. */
  code: string;
  /** What `analyze(code)` found. */
  analysis: Analysis;
  /** What the program is for. */
  input: ProgramInput;
  /** The runtime the program runs on (the language's default unless the request picks another). */
  runtime: LanguageRuntime;
  /** What `prepare` made for that runtime. */
  prepared: Prepared;
  toolbox: LanguageToolbox;
  /**
   * The memory the program will have. The plan may depend on it (PHP sets its own `memory_limit`), since
   * prestarted instances are keyed by plan and memory limit alike.
   */
  memoryBytes: number;
  /**
   * The environment variables the user's program sees. A proxy receives them (and `argv`) in its first SIP
   * frame, so a plan that starts a proxy leaves them out (its prestarted instances stay interchangeable);
   * a plan that starts a program built from the user's code (C) gives them to it.
   */
  env: Readonly<Record<string, string>>;
  /** The arguments after the program's name (see `env`). */
  argv: readonly string[];
  /**
   * Aborted when no caller waits for this program any more (its `compileTimeoutMs` passed, or it was
   * cancelled): a build should stop (pass it to `toolbox.runTool`). The caller stops waiting anyway.
   */
  signal?: AbortSignal;
  /**
   * Reports that a phase of getting the program ready begins (`compiling` when the program is really
   * built, not found in a cache), or how far it got: callers show it. The phase ends when the plan is
   * made or another phase begins.
   */
  onPhase?: (phase: ProgramPhase, progress?: PhaseProgress) => void;
  /**
   * The request's packages, read and laid out by the language's `packages.arrange`: layers to attach
   * (`ProgramPlan.layers`), folders for the search path, and what the language's arrangement noted.
   */
  packages?: PlanPackages;
  /**
   * A template's setup code: the proxy runs it once when it starts, before it reads its first request, so
   * that prestarted instances of the template have done it (its imports) before a call claims them.
   */
  setup?: string;
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

/** Everything the package needs to know about one language. */
export interface LanguageDefinition<
  Id extends string = string,
  Alias extends string = string,
  Analysis extends CodeAnalysis = CodeAnalysis,
  Prepared = unknown,
> {
  /** Canonical name, in requests and results; the `Language` type is the union of these. */
  id: Id;
  /** Other names accepted in requests (matched in any letter case). */
  aliases: readonly Alias[];
  /** The language's name for people, in messages and docs (`C++`). */
  displayName: string;
  /** File name endings the command line reads as this language (lower case, with the dot: `.py`). */
  extensions: readonly string[];
  /** The runtimes the language can run on; the first is the default. */
  runtimes: readonly [LanguageRuntime, ...LanguageRuntime[]];
  /** The folders of `templates/` that hold the language's proxy (read through `toolbox.template`). */
  templates: readonly string[];
  /** The language's page of the documentation (`docs/languages/python.md`); the tests check it exists. */
  docs: string;
  /**
   * The language's column of the conformance table (`test/conformance/python.ts`, which exports one
   * `ConformanceColumn`); the conformance test runs every scenario on it.
   */
  conformance: string;
  /** Reads the code: its callable functions, and whatever else the plan needs. Must not throw on any input. */
  analyze(code: string): Analysis;
  /**
   * What the language's declared types mean: the one table from which both the JSON Schemas of
   * `describe()` (and so `validateArgs`) and the language's own argument checks are derived.
   */
  types: TypeTable;
  /**
   * One-time work for a runtime before its first program (filling the proxy template, precompiling it).
   * Its result is passed to every `planProgram` on that runtime. A failure fails the call that needed it,
   * and the next call tries again.
   */
  prepare?(context: { toolbox: LanguageToolbox; runtime: LanguageRuntime }): Promise<Prepared>;
  /**
   * Checks the arguments of a call against the signature before anything runs, for what the language
   * itself cannot report well (keyword arguments in a language without them, C types).
   *
   * @throws InvalidRequestError (or another typed request error) with a clear message
   */
  checkArguments?(signature: FunctionSignature, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): void;
  /** Smallest `memoryLimitMb` the runtime can start with (Ruby reserves its heap at start-up). */
  minMemoryMb?: number;
  /**
   * Whether the program serves several calls in one process (SIP persistent mode `P`), which sessions
   * need (default true). Without it, sessions fall back to one process per call.
   */
  persistent?: boolean;
  /**
   * Whether calls can run on prestarted instances, started before the user's code is known (true for
   * interpreters; false when the program itself is built from the code, as for C).
   */
  prestart?: boolean;
  /**
   * Whether the language keeps state between snippets in a context (`createContext()`; default true).
   * False refuses contexts with `InvalidRequestError` (C and C++ have no interpreter to keep).
   */
  contexts?: boolean;
  /** Optional: the text of a context's snippet as the proxy runs it (PHP adds its opening tag), lines unmoved. */
  snippetCode?(code: string): string;
  /**
   * Optional: the packages the language can load (the `packages` option); a language without it refuses
   * packages with `PackageError`.
   */
  packages?: PackageSupport;
  /**
   * The program for `request.input`. May build it first (compile C); a build that fails because of the
   * user's code throws {@link ProgramBuildError}.
   */
  planProgram(request: PlanRequest<Analysis, Prepared>): ProgramPlan | Promise<ProgramPlan>;
}

/**
 * Declares a language: the identity function, typed so that `id` and `aliases` keep their literal types
 * (the registry derives the `Language` type from them).
 */
export function defineLanguage<const Id extends string, const Alias extends string, Analysis extends CodeAnalysis, Prepared = undefined>(
  definition: LanguageDefinition<Id, Alias, Analysis, Prepared>,
): LanguageDefinition<Id, Alias, Analysis, Prepared> {
  return definition;
}
