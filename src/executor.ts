/**
 * SandboxExecutor: the one place that strings the stages of a call together.
 *
 * request (`request/`: check everything, pick the function, encode the call) → files (`fs/`: load the
 * mounts) → language (`languages/`: plan the program, on a prestarted instance when it can) → runtime
 * (`runtime/`: run the job on a worker, SIP frame on stdin) → result (`result/`: build the result from
 * the output and the result frame) → files (`fs/`: sync the changes back).
 */
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { inspect } from 'node:util';
import { ExecutorClosedError, SessionLimitError } from './errors.js';
import type { DiskSyncFaults } from './fs/disk-sync.js';
import { CallFiles } from './fs/file-sync.js';
import { describeFunction, SCRIPT_NOTE, type CodeDescription } from './introspection/describe.js';
import type { LanguageRuntime, ProgramInput } from './languages/language.js';
import { isPlanFailure, planWithin, type PlanFailure, type PlanLimits } from './languages/build-deadline.js';
import { ProgramPlanner, type PlanExtras, type ProcessView } from './languages/program-planner.js';
import { checkPackageSources } from './packages/package-source.js';
import { PackageStore } from './packages/package-store.js';
import type { PlanPackages } from './packages/package-support.js';
import { applyTemplate, checkTemplate, templateInfo, type Template } from './request/templates.js';
import { languageFor, type Language, type RegisteredLanguage } from './languages/registry.js';
import type { TemplateFaults } from './languages/templates.js';
import { ExecutorToolbox } from './languages/toolbox.js';
import { checkContextCall, checkContextOptions, checkScript, checkSnippet, type CheckedContext, type CheckedScript } from './request/check-script.js';
import { checkWarmupOptions, warmupLanguages, warmupTargets } from './request/warmup.js';
import {
  checkCall,
  checkDescribeOptions,
  checkSessionCall,
  checkSessionOptions,
  type CallContext,
  type CheckedCall,
  type CheckedSession,
} from './request/check-call.js';
import { checkExecutorOptions, DEFAULT_IDLE_TIMEOUT_MS, jobLimits, prestartCount, type ExecutorSettings } from './request/limits.js';
import { buildResult } from './result/build-result.js';
import { CallPhases } from './result/call-phases.js';
import { planFailureResult } from './result/plan-failure.js';
import { ExecutionCancelledError } from './result/execution-errors.js';
import { Execution } from './result/execution-handle.js';
import { resultValue } from './result/result-value.js';
import type { InputFeed } from './runtime/input-feed.js';
import { JobRunner, type RunFaults } from './runtime/job-runner.js';
import type { OutputListener } from './runtime/output-collector.js';
import type { ProgramPlan } from './runtime/program.js';
import { ToolRunner } from './runtime/tool-runner.js';
import { WorkerPool } from './runtime/worker-pool.js';
import { createModuleProxy, type LoadedModule, type UntypedModule } from './session/module-proxy.js';
import { Context } from './session/context.js';
import { Session, type SessionCall, type SessionHost, type SessionJob } from './session/session.js';
import { SessionFiles } from './session/session-files.js';
import { sessionStartError } from './session/session-start.js';
import type {
  ContextOptions,
  ExecutionRequest,
  ExecutionResult,
  ExecutorEvents,
  ExecutorStatus,
  LanguageInput,
  SandboxExecutorOptions,
  ScriptRequest,
  SessionCallRequest,
  SessionOptions,
  StartRequest,
  TemplateDefinition,
  TemplateInfo,
  WarmupOptions,
  WarmupTarget,
} from './types.js';

/** What a call adds to its checked request: the host paths of its packages, and its template's setup. */
interface CallExtras {
  packages: string[];
  setup?: string;
  /**
   * The template's packages as read when it was defined, for a request that adds none: a template's
   * calls do not walk its package folders again (redefine the template to pick up changes).
   */
  loaded?: PlanPackages;
}

/** Faults the reliability tests inject (`test/helpers/faults.ts`); production code never sets them. */
export type ExecutorFaults = RunFaults & DiskSyncFaults & TemplateFaults;

/**
 * Runs functions written in other languages inside a WebAssembly sandbox.
 *
 * ```ts
 * const executor = new SandboxExecutor();
 * const r = await executor.invoke({ language: 'python', code, functionName: 'add', args: [1, 2] });
 * r.result; // 3
 * await executor.close();
 * ```
 *
 * It is also an event emitter of `execution:start`, `execution:output` and `execution:end`, each carrying
 * the execution id, so that a server can forward live output.
 */
export class SandboxExecutor extends EventEmitter<ExecutorEvents> {
  private readonly settings: ExecutorSettings;
  private readonly pool: WorkerPool;
  private readonly runner: JobRunner;
  private readonly planner: ProgramPlanner;
  private readonly context: CallContext;
  private readonly sessions = new Set<Session>();
  /** Sessions being created (counted against maxSessions while they start). */
  private startingSessions = 0;
  private closed = false;
  /** Packages read once and shared by every call that uses them. */
  private readonly packageStore = new PackageStore();
  private readonly templateDefinitions = new Map<string, Template>();
  /** The packages of each template, read when it was defined. */
  private readonly templatePackages = new Map<string, PlanPackages | undefined>();
  /** The prestarted instances of each template: their key (once planned) and how many are kept. */
  private readonly templateInstances = new Map<string, { key: Promise<string | undefined>; count: number }>();

  constructor(options: SandboxExecutorOptions = {}) {
    super();
    this.settings = checkExecutorOptions(options);
    this.pool = new WorkerPool({ size: this.settings.poolSize, maxQueue: this.settings.maxQueue, dedicatedLimit: availableParallelism() });
    this.runner = new JobRunner(this.pool);
    const toolbox = new ExecutorToolbox(new ToolRunner(this.runner, this.settings.compileTimeoutMs), this.settings.cacheDir);
    this.planner = new ProgramPlanner(toolbox, this.pool, (language) => ({
      count: prestartCount(this.settings, language.id),
      limits: jobLimits(this.settings),
    }));
    this.context = { settings: this.settings, analyze: (language, code) => this.planner.analyze(language, code) };
  }

  /**
   * Runs a call and resolves with its {@link ExecutionResult}, whatever the user's code did.
   *
   * Rejects only when the request is wrong before anything runs (unknown language, function not found,
   * unserializable argument…), when the queue is full, when the executor is closed, or with
   * `ExecutionCancelledError` when `signal` aborts the call.
   */
  async invoke<T = unknown>(request: ExecutionRequest): Promise<ExecutionResult<T>> {
    const started = performance.now();
    if (this.closed) throw new ExecutorClosedError();
    const { request: templated, extras } = this.templated(request);
    return (await this.execute(checkCall(templated, this.context), started, undefined, extras)) as ExecutionResult<T>;
  }

  /**
   * Runs a call and returns the function's value.
   *
   * @throws UserCodeError when the code raised, failed to compile or returned an unserializable value
   * @throws ExecutionTimeoutError when it ran out of time
   * @throws SandboxCrashError when the program died without a result
   * Each of these carries the full result as `error.result`.
   */
  async call<T = unknown>(request: ExecutionRequest): Promise<T> {
    return resultValue(await this.invoke<T>(request));
  }

  /**
   * Runs a call, or a script (`kind: 'script'`), and yields its output as it is written, then the result:
   * `{ type: 'stdout' | 'stderr', data }` events in order, `{ type: 'phase', phase, state, … }` as its
   * phases start and end (see {@link ExecutionPhaseEvent}), ending with `{ type: 'result', result }`.
   * Leaving the loop early cancels it. The handle is that of {@link start}, except that standard input
   * is the request's `stdin` alone; a request error is thrown by the loop (and rejects `result`).
   */
  stream(request: StartRequest): Execution {
    try {
      return new Execution(request, (checked, feed) => this.begin(checked, feed), false);
    } catch (error) {
      return new Execution(request, error instanceof Error ? error : new Error(String(error)), false);
    }
  }

  /**
   * Runs code as a script and resolves with its {@link ExecutionResult}, whatever the code did: `stdout`,
   * `stderr`, `exitCode` (the script's), `error` (type, message, line, traceback), and `result`, the value
   * of its last expression where the language has one (Python's final expression statement, Ruby's and
   * JavaScript's completion value, PHP's final `return`; C and C++ have none: `main` runs with `argv` and
   * `stdin`). `status` is `success` when the script ends normally with exit code 0.
   *
   * ```ts
   * const r = await executor.run({ language: 'python', code: 'import sys\nprint(sys.argv[1])\n6 * 7', argv: ['hi'] });
   * r.stdout; // 'hi\n'
   * r.result; // 42
   * ```
   *
   * Rejects only as `invoke()` does: a request wrong before anything runs, a full queue, a closed
   * executor, or `ExecutionCancelledError` when `signal` aborts it.
   */
  async run<T = unknown>(request: ScriptRequest): Promise<ExecutionResult<T>> {
    const started = performance.now();
    if (this.closed) throw new ExecutorClosedError();
    const { request: templated, extras } = this.templated(request);
    return (await this.execute(checkScript(templated, this.context), started, undefined, extras)) as ExecutionResult<T>;
  }

  /**
   * Starts a call, or a script (`kind: 'script'`), and returns its {@link Execution} handle at once: its
   * events as it runs (async iteration), `write(data)` and `end()` for its standard input while it runs
   * (after the request's `stdin`, if any; a read waits for input, within the time limit), `cancel()`, and
   * its `result`. Input stays open until `end()`: a program that reads to the end of its input waits for it.
   *
   * @throws the request errors of `invoke()` and `run()`, and ExecutorClosedError, before anything runs
   */
  start(request: StartRequest): Execution {
    if (this.closed) throw new ExecutorClosedError();
    return new Execution(request, (checked, feed) => this.begin(checked, feed), true);
  }

  /**
   * Creates a context: a live interpreter that keeps what snippets define (variables, imports, functions)
   * for the snippets after it, like a notebook's kernel. `context.run(code)` runs a snippet and resolves
   * with its result (its last expression's value, its own output); `context.call(name, args, kwargs)`
   * calls a function a snippet defined. Contexts follow the rules of sessions (idle timeout, limits; a
   * snippet over its time limit, a crash or an exit ends the context, later snippets reject with
   * `SessionClosedError`) and count against `maxSessions`.
   *
   * @throws InvalidRequestError for a bad option or a language without contexts (C, C++);
   *   UnsupportedLanguageError; SessionLimitError; MountError
   */
  async createContext(options: ContextOptions): Promise<Context> {
    if (this.closed) throw new ExecutorClosedError();
    const { request: templated, extras } = this.templated(options);
    const checked = checkContextOptions(templated, this.settings);
    return this.withSessionSlot(() => this.startContext(checked, extras));
  }

  /**
   * Pays start-up costs now rather than on the first call: starts the workers, loads and compiles the
   * languages' runtimes, runs their one-time preparation, and starts the prestarted instances.
   *
   * @param options the languages to warm up (default: every supported language), as a list or as
   *   `{ languages, onProgress }`; each on its default runtime, or given as `{ language, runtime }`, on the
   *   runtime named; `onProgress` receives the start and end of each language's loading
   */
  async warmup(options: readonly WarmupTarget[] | WarmupOptions = {}): Promise<void> {
    if (this.closed) throw new ExecutorClosedError();
    const { languages, onProgress } = checkWarmupOptions(options);
    const targets = warmupTargets(languages);
    await this.pool.fill();
    await warmupLanguages(targets, (language, runtime) => this.planner.ready(language, runtime), onProgress);
    await this.pool.prestartedReady();
  }

  /**
   * Defines (or redefines) a template: a prepared environment that requests name with `template`. Its
   * packages are read now (a package that cannot be used rejects with `PackageError`), and its prestarted
   * instances start with the packages mounted and `setup` already run, so that a call of the template
   * does not pay for the imports. Redefining a template dismisses the instances of its old definition.
   *
   * ```ts
   * await executor.defineTemplate('dates', { language: 'python', packages: ['/opt/py/dateutil'], setup: 'import dateutil.parser' });
   * await executor.invoke({ template: 'dates', language: 'python', code, functionName: 'parse', args: ['2024-05-01'] });
   * ```
   *
   * @throws InvalidRequestError for a bad name or definition; UnsupportedLanguageError; PackageError
   */
  async defineTemplate(name: string, definition: TemplateDefinition): Promise<TemplateInfo> {
    if (this.closed) throw new ExecutorClosedError();
    const template = checkTemplate(name, definition);
    const packages = await this.packageStore.load(template.language, template.packages);
    const count = template.prestart ?? prestartCount(this.settings, template.language.id);
    const limits = jobLimits(
      this.settings,
      template.limits.memoryLimitMb ?? this.settings.memoryLimitMb,
      template.limits.maxOutputBytes ?? this.settings.maxOutputBytes,
      template.limits.maxResultBytes ?? this.settings.maxResultBytes,
    );
    const previous = this.templateInstances.get(name);
    this.templateDefinitions.set(name, template);
    this.templatePackages.set(name, packages);
    const key = this.planner.prestartTemplate(template.language, { packages, setup: template.setup }, limits, count);
    this.templateInstances.set(name, { key, count });
    const previousKey = await previous?.key.catch(() => undefined);
    if (previousKey !== undefined) this.planner.stopPrestarting(previousKey);
    // Set again: stopping the old key dropped the target if the definition planned to the same program.
    const newKey = await key;
    if (newKey !== undefined && previousKey === newKey)
      await this.planner.prestartTemplate(template.language, { packages, setup: template.setup }, limits, count);
    return templateInfo(template, count);
  }

  /** The templates defined on this executor, as defined (packages as absolute host paths). */
  templates(): TemplateInfo[] {
    return [...this.templateDefinitions.values()].map((template) => templateInfo(template, this.templateInstances.get(template.name)?.count ?? 0));
  }

  /** A snapshot of the worker pool: workers, busy ones, queued calls and prestarted instances per language. */
  status(): ExecutorStatus {
    const pool = this.pool.status();
    const prestarted: Partial<Record<Language, number>> = {};
    for (const [key, count] of Object.entries(pool.prestarted)) {
      const language = key.slice(0, key.indexOf(':')) as Language;
      prestarted[language] = (prestarted[language] ?? 0) + count;
    }
    return { closed: this.closed, poolSize: pool.size, workers: pool.workers, busy: pool.busy, queued: pool.queued, prestarted, sessions: this.sessions.size };
  }

  /**
   * Lists the callable top-level functions of `code` with their parameters (kind, default, declared type),
   * doc comments, and a JSON Schema of their arguments built from the language's type information
   * (`{}` where a type is unknown). Nothing runs. Code without functions gets an empty list and a `note`
   * that says to run it as a script.
   *
   * @throws UnsupportedLanguageError, InvalidRequestError for a bad language or code
   */
  describe(options: { language: LanguageInput; code: string; runtime?: string }): CodeDescription {
    const { language, code } = checkDescribeOptions(options, this.settings);
    const functions = this.planner.analyze(language, code).functions.map((signature) => describeFunction(signature, language));
    return functions.length > 0 ? { language: language.id, functions } : { language: language.id, functions, note: SCRIPT_NOTE };
  }

  /**
   * Starts a session: one interpreter that keeps the user's module loaded and serves calls one at a time,
   * so repeated calls skip start-up and module state (globals, caches) persists between them, never
   * beyond the session. Languages that cannot serve several calls per process get `mode: 'atomic'`.
   *
   * Its files and mounts are loaded when it starts and written back by `session.sync()` and
   * `session.close()`; it stops after `idleTimeoutMs` (default 60 000) without a call, and `restart:
   * 'on-demand'` starts it again on the next call after it stopped.
   *
   * @throws the request errors of `invoke()` for a bad language or code; UserCodeError when compiled code
   *   does not build; ExecutionTimeoutError when its program is not ready within `compileTimeoutMs`
   */
  async createSession(options: SessionOptions): Promise<Session> {
    return this.openSession(options, DEFAULT_IDLE_TIMEOUT_MS);
  }

  /** Checks a session's options (with the idle timeout of its entry point) and starts it. */
  private async openSession(options: SessionOptions, idleTimeoutDefault: number): Promise<Session> {
    if (this.closed) throw new ExecutorClosedError();
    const { request: templated, extras } = this.templated(options);
    const checked = checkSessionOptions(templated, this.settings, idleTimeoutDefault);
    return this.withSessionSlot(() => this.startSession(checked, extras));
  }

  /** Starts a session or a context within `maxSessions`, counting the ones still starting. */
  private async withSessionSlot<T>(start: () => Promise<T>): Promise<T> {
    if (this.sessions.size + this.startingSessions >= this.settings.maxSessions) throw new SessionLimitError(this.settings.maxSessions);
    this.startingSessions++;
    try {
      return await start();
    } finally {
      this.startingSessions--;
    }
  }

  /**
   * Loads code as a module: a session behind an object with one async function per function of the
   * code. `T` types the functions:
   *
   * ```ts
   * const math = await executor.load<{ add(a: number, b: number): Promise<number> }>({ language: 'python', code });
   * await math.add(1, 2); // 3
   * await math.$close();
   * ```
   *
   * The options are those of {@link createSession}, except that a loaded module has no idle timeout
   * unless `idleTimeoutMs` is given.
   */
  async load<T = UntypedModule>(options: SessionOptions): Promise<LoadedModule<T>> {
    // A module loaded once (at a server's start) stays loaded: no idle timeout unless asked for.
    const session = await this.openSession(options, 0);
    const language = languageFor(session.language);
    return createModuleProxy<T>(
      session,
      this.planner.analyze(language, session.code).functions.map((s) => s.name),
    );
  }

  /** Stops all workers and sessions. Calls in flight end with status `crash`; later calls reject with `ExecutorClosedError`. */
  async close(): Promise<void> {
    this.closed = true;
    // A session's last sync that fails is reported by `execution:sync` and its afterSync hook.
    await Promise.all([...this.sessions].map((session) => session.close().catch(() => undefined)));
    await this.pool.close();
  }

  /** Same as {@link close}, for `await using executor = new SandboxExecutor()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** What `console.log(executor)` prints: the pool's state, not its worker handles and timers. */
  [inspect.custom](): string {
    const { closed, poolSize, workers, busy, queued, sessions } = this.status();
    return `SandboxExecutor { ${closed ? 'closed, ' : ''}poolSize: ${poolSize}, workers: ${workers}, busy: ${busy}, queued: ${queued}, sessions: ${sessions} }`;
  }

  /**
   * @internal Injects faults for the reliability tests (`test/helpers/faults.ts`): the object is read
   * where each fault applies, so a test can change its fields between calls. Never used in production.
   */
  injectFaults(faults: ExecutorFaults): void {
    this.runner.faults = faults;
    this.planner.toolbox.templates.faults = faults;
    this.context.faults = faults;
  }

  // --- stages -------------------------------------------------------------------------------

  /** Checks a request of `start()` or `stream()` and starts it. @throws the request errors */
  private begin(request: StartRequest, feed: InputFeed | undefined): { id: string; result: Promise<ExecutionResult> } {
    const started = performance.now();
    if (this.closed) throw new ExecutorClosedError();
    const { request: templated, extras } = this.templated(request);
    const checked = templated.kind === 'script' ? checkScript(templated, this.context) : checkCall(templated, this.context);
    return { id: checked.id, result: this.execute(checked, started, feed, extras) };
  }

  /** Runs a checked call or script: files, program, job, result, sync. */
  private async execute(call: CheckedCall | CheckedScript, started: number, feed?: InputFeed, extras: CallExtras = { packages: [] }): Promise<ExecutionResult> {
    const { id, request } = call;
    const language = request.language;
    const functionName = call.kind === 'call' ? call.signature.name : '';
    const events = this.callEvents(id, language, functionName, request);
    if (call.files) {
      const afterSync = call.files.afterSync;
      call.files.afterSync = async (sync) => {
        this.emit('execution:sync', { id, sync });
        await afterSync?.(sync);
      };
    }
    const files = call.files ? await CallFiles.load(call.files) : undefined;
    const planning = performance.now();
    const input: ProgramInput = call.kind === 'call' ? { kind: 'call', signature: call.signature } : { kind: 'script' };
    const phases = this.callPhases(id, language, started, request.onPhase);
    const packages = extras.loaded ?? (await this.loadPackages(language, extras.packages, phases));
    const plan = await this.planWithin(
      language,
      request.runtime,
      request.code,
      input,
      call.limits.job.memoryBytes,
      {
        compileTimeoutMs: call.compileTimeoutMs,
        signal: request.signal,
        onPhase: (phase, progress) => phases.report(phase, progress),
      },
      request.environment,
      { packages, setup: extras.setup },
    );
    if (isPlanFailure(plan)) {
      phases.end();
      events.start();
      const result = planFailureResult(plan, { id, language: language.id, functionName, durationMs: performance.now() - planning });
      events.end(result);
      if (plan.kind === 'cancelled') throw new ExecutionCancelledError(result, plan.reason);
      return result;
    }
    const report = await this.runner.run({
      program: plan,
      files: files?.files,
      dirs: files?.dirs,
      limits: call.limits.job,
      collectChanges: files !== undefined,
      deterministic: request.deterministic,
      // A program built from the user's code and run as a script (C's) reads the request's bytes alone.
      stdin: plan.stdin ?? 'sip',
      input: [...(plan.stdin === 'raw' ? [] : [call.frame]), ...(request.stdin ? [request.stdin] : [])],
      feed,
      timeoutMs: request.timeoutMs,
      signal: request.signal,
      onOutput: events.output,
      prestartKey: this.planner.prestartKey(language, plan, call.limits.job.memoryBytes),
      onStart: () => {
        phases.report('running');
        events.start();
      },
    });
    phases.end();
    const result = buildResult({
      id,
      language: language.id,
      functionName,
      script: call.kind === 'script',
      outcome: report.outcome,
      frames: report.frames,
      callNumber: call.callNumber,
      collector: report.collector,
      durationMs: report.durationMs,
      timedOut: report.timedOut,
      cancelled: report.cancelled,
      timeoutMs: request.timeoutMs,
      maxOutputBytes: call.limits.maxOutputBytes,
      queueMs: report.queueMs,
      wallMs: performance.now() - started,
      prestarted: report.prestarted,
    });
    if (packages) result.usage.packageBytes = packages.bytes;
    if (files) {
      const changes = report.outcome?.type === 'done' ? report.outcome.changes : undefined;
      const { report: filesReport, error, crashed } = await files.finish(changes, result.status === 'success');
      result.files = filesReport;
      if (error) {
        result.status = crashed ? 'crash' : 'error';
        result.error = error;
        if (crashed) delete result.result;
      }
    }
    events.end(result);
    if (report.cancelled) throw new ExecutionCancelledError(result, report.cancelReason);
    return result;
  }

  /** The program for `input`, within the caller's `compileTimeoutMs` and cancellation, or why there is none. */
  private planWithin(
    language: RegisteredLanguage,
    runtime: LanguageRuntime,
    code: string,
    input: ProgramInput,
    memoryBytes: number,
    limits: PlanLimits,
    process?: ProcessView,
    extras: PlanExtras = {},
  ): Promise<ProgramPlan | PlanFailure> {
    return planWithin((watch) => this.planner.plan(language, runtime, code, input, memoryBytes, { ...watch, ...process, ...extras }), limits);
  }

  /** A request with its template applied, and what the call adds: its packages' paths and the template's setup. */
  private templated<R extends ExecutionRequest | ScriptRequest | StartRequest | SessionOptions | ContextOptions>(
    request: R,
  ): { request: R; extras: CallExtras } {
    const { request: templated, template } = applyTemplate(request, this.templateDefinitions);
    const sources = templated && typeof templated === 'object' ? templated.packages : undefined;
    const packages = checkPackageSources(sources);
    const extras: CallExtras = { packages, setup: template?.setup };
    if (template && packages.length === template.packages.length) extras.loaded = this.templatePackages.get(template.name);
    return { request: templated, extras };
  }

  /** The call's packages, read (`loading-packages`, with progress) or found in memory. @throws PackageError */
  private async loadPackages(language: RegisteredLanguage, sources: string[], phases: CallPhases): Promise<PlanPackages | undefined> {
    try {
      return await this.packageStore.load(language, sources, (progress) => phases.report('loading-packages', progress));
    } catch (error) {
      phases.end();
      throw error;
    }
  }

  /** The phases of one execution, to the `execution:phase` event and the request's `onPhase`. */
  private callPhases(id: string, language: RegisteredLanguage, started: number, onPhase: ExecutionRequest['onPhase']): CallPhases {
    return new CallPhases(id, language.id, started, (event) => {
      try {
        onPhase?.(event);
      } catch {
        // A callback that throws never breaks the call.
      }
      this.emit('execution:phase', event);
    });
  }

  /** The lifecycle events of one execution, and its live output to the request's callbacks. */
  private callEvents(id: string, language: RegisteredLanguage, functionName: string, callbacks: Pick<ExecutionRequest, 'onStdout' | 'onStderr'>) {
    const output: OutputListener = (stream, data) => {
      (stream === 'stdout' ? callbacks.onStdout : callbacks.onStderr)?.(data);
      this.emit('execution:output', { id, stream, data });
    };
    return {
      start: () => void this.emit('execution:start', { id, language: language.id, functionName }),
      output,
      end: (result: ExecutionResult) => void this.emit('execution:end', { id, result }),
    };
  }

  private async startSession(checked: CheckedSession, extras: CallExtras): Promise<Session> {
    // Packages that cannot be used fail the session's creation, before anything runs.
    if (!extras.loaded) await this.packageStore.load(checked.language, extras.packages);
    const language = checked.language;
    const mode = language.persistent === false ? 'atomic' : 'persistent';
    const host = this.sessionHost(
      (request) => {
        const call = checkSessionCall(request, checked, this.context, 'P');
        return { id: call.id, functionName: call.signature.name, frame: call.frame, timeoutMs: call.request.timeoutMs, callNumber: call.callNumber };
      },
      (request) => {
        if (this.closed) return Promise.reject(new ExecutorClosedError());
        return this.execute(checkSessionCall(request, checked, this.context, 'A'), performance.now(), undefined, extras);
      },
    );
    const session = new Session(language.id, checked.code, mode, host, checked.idleTimeoutMs, {
      restartOnDemand: checked.restartOnDemand,
      fileSync: checked.files ? { mode: checked.files.mode, dryRun: checked.files.dryRun } : undefined,
    });
    host.startJob = () => this.startSessionJob(checked, session.id, extras);
    host.emitSync = (id, sync) => this.emit('execution:sync', { id, sync });
    const started = mode === 'persistent' ? await this.startSessionJob(checked, session.id, extras) : undefined;
    if (this.closed) {
      await started?.job.release();
      throw new ExecutorClosedError();
    }
    this.sessions.add(session);
    session.attach(started?.job, checked.limits.maxOutputBytes, started?.files);
    return session;
  }

  /** What a session (or a context's session) needs from the executor: its calls checked, its events. */
  private sessionHost(prepare: (request: SessionCallRequest) => SessionCall, invoke: SessionHost['invoke']): SessionHost {
    return {
      prepare: (request) => {
        if (this.closed) throw new ExecutorClosedError();
        return prepare(request);
      },
      invoke,
      emitStart: (id, lang, functionName) => this.emit('execution:start', { id, language: lang, functionName }),
      emitOutput: (id, stream, data) => this.emit('execution:output', { id, stream, data }),
      emitEnd: (id, result) => this.emit('execution:end', { id, result }),
      closed: (session) => this.sessions.delete(session),
    };
  }

  private async startContext(checked: CheckedContext, extras: CallExtras): Promise<Context> {
    const language = checked.language;
    const files = checked.files ? await CallFiles.load(checked.files) : undefined;
    const packages = extras.loaded ?? (await this.packageStore.load(language, extras.packages));
    // The proxy alone: snippets arrive in frames. Interpreted languages cannot fail to build it.
    const plan = await this.planner.plan(language, checked.runtime, '', { kind: 'context' }, checked.limits.job.memoryBytes, {
      ...checked.environment,
      packages,
      setup: extras.setup,
    });
    const host = this.sessionHost(
      (request) => ({ ...checkContextCall(request, checked, this.settings) }),
      // A context's interpreter is persistent: nothing runs the one-shot way.
      () => Promise.reject(new Error('A context runs every call on its interpreter')),
    );
    const session = new Session(language.id, '', 'persistent', host, checked.idleTimeoutMs);
    if (this.closed) throw new ExecutorClosedError();
    const job = await this.runner.start({
      program: plan,
      files: files?.files,
      dirs: files?.dirs,
      limits: checked.limits.job,
      collectChanges: false,
      stdin: 'sip',
      dedicated: true,
    });
    if (this.closed) {
      await job.release();
      throw new ExecutorClosedError();
    }
    this.sessions.add(session);
    session.attach(job, checked.limits.maxOutputBytes);
    return new Context(session, {
      prepareSnippet: (code, options, number) => {
        if (this.closed) throw new ExecutorClosedError();
        const snippet = checkSnippet(code, options, checked, this.settings, number);
        return { id: snippet.id, functionName: '', snippet: true, frame: snippet.frame, timeoutMs: snippet.timeoutMs, callNumber: snippet.callNumber };
      },
    });
  }

  /**
   * Starts a session's program (at its creation, and again on demand): planned, and built for compiled
   * languages, within its `compileTimeoutMs`, with its files loaded from disk as they are now.
   */
  private async startSessionJob(checked: CheckedSession, sessionId: string, extras: CallExtras): Promise<SessionJob> {
    if (this.closed) throw new ExecutorClosedError();
    const language = checked.language;
    const packages = extras.loaded ?? (await this.packageStore.load(language, extras.packages));
    // The program serves every function of the code.
    const plan = await this.planWithin(
      language,
      checked.runtime,
      checked.code,
      { kind: 'module' },
      checked.limits.job.memoryBytes,
      {
        compileTimeoutMs: checked.compileTimeoutMs,
      },
      checked.environment,
      { packages, setup: extras.setup },
    );
    if (isPlanFailure(plan)) {
      const functionName = this.planner.analyze(language, checked.code).functions[0]?.name ?? '';
      throw sessionStartError(plan, { id: sessionId, language: language.id, functionName });
    }
    if (this.closed) throw new ExecutorClosedError();
    if (checked.files) checked.files.faults = this.context.faults;
    const files = checked.files ? await SessionFiles.load(checked.files) : undefined;
    const job = await this.runner.start({
      program: plan,
      files: files?.jobFiles,
      dirs: files?.dirs,
      limits: checked.limits.job,
      collectChanges: files !== undefined,
      stdin: 'sip',
      dedicated: true,
    });
    return { job, files };
  }
}
