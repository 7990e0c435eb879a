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
import { describeFunction, type CodeDescription } from './introspection/describe.js';
import { ProgramBuildError, type LanguageRuntime, type ProgramInput } from './languages/language.js';
import { ProgramPlanner } from './languages/program-planner.js';
import { languageFor, SUPPORTED_LANGUAGES, type Language, type RegisteredLanguage } from './languages/registry.js';
import type { TemplateFaults } from './languages/templates.js';
import { ExecutorToolbox } from './languages/toolbox.js';
import {
  checkCall,
  checkDescribeOptions,
  checkSessionCall,
  checkSessionOptions,
  type CallContext,
  type CheckedCall,
  type CheckedSession,
} from './request/check-call.js';
import { checkExecutorOptions, jobLimits, prestartCount, type ExecutorSettings } from './request/limits.js';
import { runtimeFor } from './request/normalize-request.js';
import { buildFailureResult, buildResult } from './result/build-result.js';
import { ExecutionCancelledError, UserCodeError } from './result/execution-errors.js';
import { resultStream } from './result/result-stream.js';
import { resultValue } from './result/result-value.js';
import { JobRunner, type Job, type RunFaults } from './runtime/job-runner.js';
import type { OutputListener } from './runtime/output-collector.js';
import type { ProgramPlan } from './runtime/program.js';
import { ToolRunner } from './runtime/tool-runner.js';
import { WorkerPool } from './runtime/worker-pool.js';
import { createModuleProxy, type LoadedModule, type UntypedModule } from './session/module-proxy.js';
import { Session, type SessionHost } from './session/session.js';
import type {
  ExecutionRequest,
  ExecutionResult,
  ExecutorEvents,
  ExecutorStatus,
  LanguageInput,
  SandboxExecutorOptions,
  SessionOptions,
  StreamEvent,
} from './types.js';

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

  constructor(options: SandboxExecutorOptions = {}) {
    super();
    this.settings = checkExecutorOptions(options);
    this.pool = new WorkerPool({ size: this.settings.poolSize, maxQueue: this.settings.maxQueue, dedicatedLimit: availableParallelism() });
    this.runner = new JobRunner(this.pool);
    const toolbox = new ExecutorToolbox(new ToolRunner(this.runner), this.settings.cacheDir);
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
    return (await this.execute(checkCall(request, this.context), started)) as ExecutionResult<T>;
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
   * Runs a call and yields its output as it is written, then the result:
   * `{ type: 'stdout' | 'stderr', data }` events in order, ending with `{ type: 'result', result }`.
   * Leaving the loop early cancels the call.
   */
  stream(request: ExecutionRequest): AsyncIterableIterator<StreamEvent> {
    return resultStream((call) => this.invoke(call), request);
  }

  /**
   * Pays start-up costs now rather than on the first call: starts the workers, loads and compiles the
   * languages' runtimes, runs their one-time preparation, and starts the prestarted instances.
   *
   * @param languages languages to warm up (default: every supported language), on their default runtime
   *   or, given as `{ language, runtime }`, on the runtime named
   */
  async warmup(languages: readonly (LanguageInput | { language: LanguageInput; runtime?: string })[] = SUPPORTED_LANGUAGES): Promise<void> {
    if (this.closed) throw new ExecutorClosedError();
    const definitions = languages.map((entry) => {
      const language = languageFor(typeof entry === 'object' && entry !== null ? entry.language : entry);
      return { language, runtime: runtimeFor(language, typeof entry === 'object' && entry !== null ? entry.runtime : undefined) };
    });
    await this.pool.fill();
    await Promise.all(definitions.map(({ language, runtime }) => this.planner.ready(language, runtime)));
    await this.pool.prestartedReady();
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
   * (`{}` where a type is unknown). Nothing runs.
   *
   * @throws UnsupportedLanguageError, InvalidRequestError for a bad language or code
   */
  describe(options: { language: LanguageInput; code: string; runtime?: string }): CodeDescription {
    const { language, code } = checkDescribeOptions(options, this.settings);
    return { language: language.id, functions: this.planner.analyze(language, code).functions.map((signature) => describeFunction(signature, language)) };
  }

  /**
   * Starts a session: one interpreter that keeps the user's module loaded and serves calls one at a time,
   * so repeated calls skip start-up and module state (globals, caches) persists between them, never
   * beyond the session. Languages that cannot serve several calls per process get `mode: 'atomic'`.
   *
   * @throws the request errors of `invoke()` for a bad language or code; UserCodeError when compiled code
   *   does not build
   */
  async createSession(options: SessionOptions): Promise<Session> {
    if (this.closed) throw new ExecutorClosedError();
    const checked = checkSessionOptions(options, this.settings);
    if (this.sessions.size + this.startingSessions >= this.settings.maxSessions) throw new SessionLimitError(this.settings.maxSessions);
    this.startingSessions++;
    try {
      return await this.startSession(checked);
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
   */
  async load<T = UntypedModule>(options: SessionOptions): Promise<LoadedModule<T>> {
    const session = await this.createSession(options);
    const language = languageFor(session.language);
    return createModuleProxy<T>(
      session,
      this.planner.analyze(language, session.code).functions.map((s) => s.name),
    );
  }

  /** Stops all workers and sessions. Calls in flight end with status `crash`; later calls reject with `ExecutorClosedError`. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.sessions].map((session) => session.close()));
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

  /** Runs a checked call: files, program, job, result, sync. */
  private async execute(call: CheckedCall, started: number): Promise<ExecutionResult> {
    const { id, request, signature } = call;
    const language = request.language;
    const events = this.callEvents(id, language, signature.name, request);
    if (call.files) {
      const afterSync = call.files.afterSync;
      call.files.afterSync = async (sync) => {
        this.emit('execution:sync', { id, sync });
        await afterSync?.(sync);
      };
    }
    const files = call.files ? await CallFiles.load(call.files) : undefined;
    const planning = performance.now();
    const plan = await this.plan(language, request.runtime, request.code, { kind: 'call', signature }, call.limits.job.memoryBytes);
    if (plan instanceof ProgramBuildError) {
      events.start();
      const result = buildFailureResult({
        id,
        language: language.id,
        functionName: signature.name,
        error: plan.info,
        stderr: plan.stderr,
        durationMs: performance.now() - planning,
      });
      events.end(result);
      return result;
    }
    const report = await this.runner.run({
      program: plan,
      files: files?.files,
      dirs: files?.dirs,
      limits: call.limits.job,
      collectChanges: files !== undefined,
      deterministic: request.deterministic,
      stdin: 'sip',
      input: request.stdin ? [call.frame, request.stdin] : [call.frame],
      timeoutMs: request.timeoutMs,
      signal: request.signal,
      onOutput: events.output,
      prestartKey: this.planner.prestartKey(language, plan, call.limits.job.memoryBytes),
      onStart: events.start,
    });
    const result = buildResult({
      id,
      language: language.id,
      functionName: signature.name,
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

  /** The language's program for `input`, or the build error of code that does not build. */
  private async plan(
    language: RegisteredLanguage,
    runtime: LanguageRuntime,
    code: string,
    input: ProgramInput,
    memoryBytes: number,
  ): Promise<ProgramPlan | ProgramBuildError> {
    try {
      return await this.planner.plan(language, runtime, code, input, memoryBytes);
    } catch (error) {
      if (error instanceof ProgramBuildError) return error;
      throw error;
    }
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

  private async startSession(checked: CheckedSession): Promise<Session> {
    const language = checked.language;
    const mode = language.persistent === false ? 'atomic' : 'persistent';
    const host: SessionHost = {
      prepare: (request) => {
        if (this.closed) throw new ExecutorClosedError();
        const call = checkSessionCall(request, checked, this.context, 'P');
        return { id: call.id, signature: call.signature, frame: call.frame, timeoutMs: call.request.timeoutMs, callNumber: call.callNumber };
      },
      invoke: (request) => {
        if (this.closed) return Promise.reject(new ExecutorClosedError());
        return this.execute(checkSessionCall(request, checked, this.context, 'A'), performance.now());
      },
      emitStart: (id, lang, functionName) => this.emit('execution:start', { id, language: lang, functionName }),
      emitOutput: (id, stream, data) => this.emit('execution:output', { id, stream, data }),
      emitEnd: (id, result) => this.emit('execution:end', { id, result }),
      closed: (session) => this.sessions.delete(session),
    };
    const session = new Session(language.id, checked.code, mode, host, checked.idleTimeoutMs);
    let job: Job | undefined;
    if (mode === 'persistent') {
      // The program serves every function of the code.
      const plan = await this.plan(language, checked.runtime, checked.code, { kind: 'module' }, checked.limits.job.memoryBytes);
      if (plan instanceof ProgramBuildError) {
        const result = buildFailureResult({
          id: session.id,
          language: language.id,
          functionName: this.planner.analyze(language, checked.code).functions[0]?.name ?? '',
          error: plan.info,
          stderr: plan.stderr,
          durationMs: 0,
        });
        throw new UserCodeError(result);
      }
      if (this.closed) throw new ExecutorClosedError();
      job = await this.runner.start({ program: plan, limits: checked.limits.job, collectChanges: false, stdin: 'sip', dedicated: true });
    }
    if (this.closed) {
      await job?.release();
      throw new ExecutorClosedError();
    }
    this.sessions.add(session);
    session.attach(job, checked.limits.maxOutputBytes);
    return session;
  }
}
