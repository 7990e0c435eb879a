/**
 * SandboxExecutor: the one place that strings the stages of a call together.
 *
 * request (check, pick the function, encode) → language (plan the proxy program) → runtime (a pooled
 * worker runs it, possibly on a pre-started instance; SIP frame on stdin) → result (collect output and
 * the result frame, build the result).
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { inspect } from 'node:util';
import { ArgumentValidationError, ExecutorClosedError, InvalidRequestError, SessionLimitError } from './errors.js';
import { ExecutionCancelledError, UserCodeError } from './result/execution-errors.js';
import { ProgramBuildError, type ProgramPlan } from './languages/language.js';
import { languageFor, SUPPORTED_LANGUAGES, type RegisteredLanguage } from './languages/registry.js';
import type { FunctionSignature } from './languages/signature.js';
import { CallFiles, planFiles, type FilePlan } from './fs/file-sync.js';
import { describeFunction, type CodeDescription } from './introspection/describe.js';
import { validateArguments } from './introspection/validate-arguments.js';
import { createModuleProxy, type LoadedModule, type UntypedModule } from './session/module-proxy.js';
import { Session, type SessionHost, type SessionProgram } from './session/session.js';
import { encodeSipCallFrame } from './protocol/sip.js';
import { encodeCall } from './request/encode-call.js';
import { normalizeRequest, type NormalizedRequest } from './request/normalize-request.js';
import { assertKnownKeys, DESCRIBE_KEYS, EXECUTOR_OPTION_KEYS, SESSION_CALL_KEYS, SESSION_OPTION_KEYS } from './request/option-keys.js';
import { resolveFunction } from './request/resolve-function.js';
import { buildFailureResult, buildResult } from './result/build-result.js';
import { resultValue } from './result/result-value.js';
import { MAX_TEXT_BYTES, type OutputListener } from './runtime/output-collector.js';
import { WASM32_MAX_MEMORY_MB } from './runtime/memory-import.js';
import { JobRunner } from './runtime/job-runner.js';
import { loadRuntimeAssets } from './runtime/runtime-assets.js';
import { contentDigest } from './runtime/content-digest.js';
import { ToolRunner } from './runtime/tool-runner.js';
import { WorkerPool, type StandbyProfile } from './runtime/worker-pool.js';
import type { JobLimits } from './runtime/worker-protocol.js';
import type {
  ExecutionRequest,
  ExecutionResult,
  ExecutorEvents,
  ExecutorStatus,
  Language,
  LanguageInput,
  SandboxExecutorOptions,
  SessionOptions,
  StreamEvent,
} from './types.js';

const MIB = 1024 * 1024;
const DEFAULTS = {
  timeoutMs: 30_000,
  maxQueue: 1000,
  maxSessions: 64,
  prewarm: 1,
  memoryLimitMb: 512,
  maxOutputBytes: 16 * MIB,
  maxPayloadBytes: 64 * MIB,
  maxResultBytes: 64 * MIB,
  fsLimitBytes: 256 * MIB,
  maxFiles: 100_000,
  idleTimeoutMs: 60_000,
};

/** A request checked and encoded, ready to run. */
interface PreparedCall {
  id: string;
  request: NormalizedRequest;
  files: FilePlan | undefined;
  signature: FunctionSignature;
  frame: Uint8Array;
  limits: JobLimits;
  /** Number of the call in its request frame; its result frame must echo it. */
  callNumber: number;
}

let nextExecutionId = 1;
let nextCallNumber = 1;

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
  private readonly settings: Required<Omit<SandboxExecutorOptions, 'prewarm' | 'cacheDir'>> & Pick<SandboxExecutorOptions, 'prewarm' | 'cacheDir'>;
  private readonly pool: WorkerPool;
  private readonly runner: JobRunner;
  private readonly tools: ToolRunner;
  private readonly preparations = new Map<string, Promise<unknown>>();
  private readonly signatureCache = new Map<string, FunctionSignature[]>();
  private readonly sessions = new Set<Session>();
  /** Sessions being created (counted against maxSessions while they start). */
  private startingSessions = 0;
  private closed = false;

  constructor(options: SandboxExecutorOptions = {}) {
    super();
    if (options === null || typeof options !== 'object') throw new InvalidRequestError('options', 'The SandboxExecutor options must be an object.');
    assertKnownKeys(options, EXECUTOR_OPTION_KEYS, 'the SandboxExecutor options');
    this.settings = {
      poolSize: option('poolSize', options.poolSize, availableParallelism(), 0, true),
      maxQueue: option('maxQueue', options.maxQueue, DEFAULTS.maxQueue, 0, true),
      maxSessions: option('maxSessions', options.maxSessions, DEFAULTS.maxSessions, 0, true),
      timeoutMs: option('timeoutMs', options.timeoutMs, DEFAULTS.timeoutMs, 1),
      memoryLimitMb: option('memoryLimitMb', options.memoryLimitMb, DEFAULTS.memoryLimitMb, 1),
      maxOutputBytes: option('maxOutputBytes', options.maxOutputBytes, DEFAULTS.maxOutputBytes, 1),
      maxPayloadBytes: option('maxPayloadBytes', options.maxPayloadBytes, DEFAULTS.maxPayloadBytes, 1),
      maxFsBytes: option('maxFsBytes', options.maxFsBytes, DEFAULTS.fsLimitBytes, 0, true),
      maxFiles: option('maxFiles', options.maxFiles, DEFAULTS.maxFiles, 1, true),
      maxResultBytes: atMost(
        'maxResultBytes',
        option('maxResultBytes', options.maxResultBytes, DEFAULTS.maxResultBytes, 1),
        MAX_TEXT_BYTES,
        'the longest string Node can build',
      ),
      maxMemoryLimitMb: atMost(
        'maxMemoryLimitMb',
        option('maxMemoryLimitMb', options.maxMemoryLimitMb, WASM32_MAX_MEMORY_MB, 1),
        WASM32_MAX_MEMORY_MB,
        'what a wasm32 instance can address',
      ),
      prewarm: options.prewarm,
      cacheDir: options.cacheDir,
    };
    atMost('memoryLimitMb', this.settings.memoryLimitMb, this.settings.maxMemoryLimitMb, 'maxMemoryLimitMb');
    atMost('maxOutputBytes', this.settings.maxOutputBytes, MAX_TEXT_BYTES, 'the longest string Node can build');
    if (options.cacheDir !== undefined && (typeof options.cacheDir !== 'string' || options.cacheDir === '')) {
      throw new InvalidRequestError('cacheDir', 'cacheDir must be a non-empty directory path.');
    }
    this.pool = new WorkerPool({ size: this.settings.poolSize, maxQueue: this.settings.maxQueue, dedicatedLimit: availableParallelism() });
    this.runner = new JobRunner(this.pool);
    this.tools = new ToolRunner(this.runner, this.settings.cacheDir);
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
    const prepared = this.prepare(request);
    return (await this.execute(prepared, request, started)) as ExecutionResult<T>;
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
    const controller = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, controller.signal]) : controller.signal;
    const events: StreamEvent[] = [];
    let wake: (() => void) | undefined;
    let finished = false;
    let failure: unknown;
    const push = (event: StreamEvent): void => {
      events.push(event);
      wake?.();
    };
    this.invoke({
      ...request,
      signal,
      onStdout: (data) => {
        request.onStdout?.(data);
        push({ type: 'stdout', data });
      },
      onStderr: (data) => {
        request.onStderr?.(data);
        push({ type: 'stderr', data });
      },
    }).then(
      (result) => push({ type: 'result', result }),
      (error: unknown) => {
        failure = error;
        finished = true;
        wake?.();
      },
    );
    const iterator = (async function* (): AsyncGenerator<StreamEvent> {
      try {
        for (;;) {
          const event = events.shift();
          if (event) {
            yield event;
            if (event.type === 'result') return;
            continue;
          }
          if (finished) {
            if (failure !== undefined) throw failure;
            return;
          }
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      } finally {
        // The consumer stopped early (break/return/throw): nobody wants the rest, so stop the call.
        if (!finished && !events.some((e) => e.type === 'result')) controller.abort();
      }
    })();
    return iterator;
  }

  /**
   * Pays start-up costs now rather than on the first call: starts the workers, loads and compiles the
   * languages' runtimes, runs their one-time preparation, and starts the pre-started instances.
   *
   * @param languages languages to warm up (default: every supported language)
   */
  async warmup(languages: readonly LanguageInput[] = SUPPORTED_LANGUAGES): Promise<void> {
    if (this.closed) throw new ExecutorClosedError();
    const definitions = languages.map((name) => languageFor(name));
    await this.pool.fill();
    await Promise.all(definitions.map((language) => this.languageReady(language)));
    await this.pool.standbysReady();
  }

  /** A snapshot of the worker pool: workers, busy ones, queued calls and pre-started instances per language. */
  status(): ExecutorStatus {
    const pool = this.pool.status();
    const prestarted: Partial<Record<Language, number>> = {};
    for (const [key, count] of Object.entries(pool.standbys)) {
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
  describe(options: { language: LanguageInput; code: string }): CodeDescription {
    if (options === null || typeof options !== 'object') throw new InvalidRequestError('options', 'describe() takes { language, code }.');
    assertKnownKeys(options, DESCRIBE_KEYS, 'the options of describe()');
    if (options.code === undefined) throw new InvalidRequestError('code', 'code is missing: describe() reads the functions of { language, code }.');
    const normalized = normalizeRequest({ language: options.language, code: options.code }, { timeoutMs: this.settings.timeoutMs });
    return {
      language: normalized.language.id,
      functions: this.signatures(normalized.language, normalized.code).map((signature) => describeFunction(signature, normalized.language)),
    };
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
    if (options === null || typeof options !== 'object') throw new InvalidRequestError('options', 'Session options must be an object.');
    assertKnownKeys(options, SESSION_OPTION_KEYS, 'the session options');
    const probe = normalizeRequest({ language: options.language, code: options.code, timeoutMs: options.timeoutMs }, { timeoutMs: this.settings.timeoutMs });
    const language = probe.language;
    const idleTimeoutMs = option('idleTimeoutMs', options.idleTimeoutMs, DEFAULTS.idleTimeoutMs, 0);
    const { memoryLimitMb, maxOutputBytes, maxResultBytes } = this.callLimits(options, language);
    if (this.sessions.size + this.startingSessions >= this.settings.maxSessions) throw new SessionLimitError(this.settings.maxSessions);
    const mode = language.persistent === false ? 'atomic' : 'persistent';
    const host: SessionHost = {
      prepare: (request) => {
        assertKnownKeys(callOptions(request), SESSION_CALL_KEYS, 'the session call');
        const call = this.prepare({ ...request, timeoutMs: request.timeoutMs ?? probe.timeoutMs }, 'P');
        return { id: call.id, signature: call.signature, frame: call.frame, timeoutMs: call.request.timeoutMs, callNumber: call.callNumber };
      },
      invoke: (request) => {
        assertKnownKeys(callOptions(request), SESSION_CALL_KEYS, 'the session call');
        return this.invoke({ ...request, timeoutMs: request.timeoutMs ?? probe.timeoutMs, memoryLimitMb, maxOutputBytes, maxResultBytes });
      },
      emitStart: (id, lang, functionName) => this.emit('execution:start', { id, language: lang, functionName }),
      emitOutput: (id, stream, data) => this.emit('execution:output', { id, stream, data }),
      emitEnd: (id, result) => this.emit('execution:end', { id, result }),
      closed: (session) => this.sessions.delete(session),
    };
    const session = new Session(language.id, language, options.code, mode, host, idleTimeoutMs);
    const limits: JobLimits = {
      memoryBytes: memoryLimitMb * MIB,
      fsBytes: this.settings.maxFsBytes,
      maxFiles: this.settings.maxFiles,
      outputBytes: maxOutputBytes,
      resultBytes: maxResultBytes,
    };
    this.startingSessions++;
    try {
      return await this.startSession(session, limits);
    } finally {
      this.startingSessions--;
    }
  }

  private async startSession(session: Session, limits: JobLimits): Promise<Session> {
    const language = session.languageDefinition;
    let program: SessionProgram | undefined;
    if (session.mode === 'persistent') {
      // The program serves every function of the code; it is planned for the first one.
      const signature = this.signatures(language, session.code)[0] ?? { name: '', params: [], line: 0 };
      let plan: ProgramPlan;
      try {
        plan = await this.planProgram(language, session.code, signature, limits);
      } catch (error) {
        if (!(error instanceof ProgramBuildError)) throw error;
        const result = buildFailureResult({
          id: session.id,
          language: language.id,
          functionName: signature.name,
          error: error.info,
          stderr: error.stderr,
          durationMs: 0,
        });
        throw new UserCodeError(result);
      }
      program = { plan, assets: await loadRuntimeAssets(plan.runtime), limits };
    }
    if (this.closed) throw new ExecutorClosedError();
    this.sessions.add(session);
    try {
      await session.start(program);
    } catch (error) {
      await session.close();
      throw error;
    }
    return session;
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
    const functions = this.signatures(session.languageDefinition, session.code).map((s) => s.name);
    return createModuleProxy<T>(session, functions);
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

  // --- stages -------------------------------------------------------------------------------

  private prepare(request: ExecutionRequest, mode: 'A' | 'P' = 'A'): PreparedCall {
    if (this.closed) throw new ExecutorClosedError();
    const normalized = normalizeRequest(request, { timeoutMs: this.settings.timeoutMs });
    const { memoryLimitMb, maxOutputBytes, maxResultBytes } = this.callLimits(request, normalized.language);
    if (request.onStdout !== undefined && typeof request.onStdout !== 'function') throw new InvalidRequestError('onStdout', 'onStdout must be a function.');
    if (request.onStderr !== undefined && typeof request.onStderr !== 'function') throw new InvalidRequestError('onStderr', 'onStderr must be a function.');
    if (request.signal !== undefined && !(request.signal instanceof AbortSignal)) throw new InvalidRequestError('signal', 'signal must be an AbortSignal.');
    const signature = resolveFunction(this.signatures(normalized.language, normalized.code), normalized.functionName);
    if (request.validateArgs === true) {
      const violations = validateArguments(describeFunction(signature, normalized.language), normalized.args, normalized.kwargs);
      if (violations.length > 0) throw new ArgumentValidationError(signature.name, violations);
    }
    normalized.language.checkArguments?.(signature, normalized.args, normalized.kwargs);
    const encoded = encodeCall(signature.name, normalized.args, normalized.kwargs, this.settings.maxPayloadBytes);
    const id = `exec-${nextExecutionId++}`;
    const callNumber = nextCallNumber++;
    const files = planFiles(request, { maxBytes: this.settings.maxFsBytes, maxFiles: this.settings.maxFiles });
    if (files) {
      const afterSync = files.afterSync;
      files.afterSync = async (sync) => {
        this.emit('execution:sync', { id, sync });
        await afterSync?.(sync);
      };
    }
    return {
      id,
      request: normalized,
      files,
      signature,
      frame: encodeSipCallFrame(mode, callNumber, encoded.json),
      limits: {
        memoryBytes: memoryLimitMb * MIB,
        fsBytes: this.settings.maxFsBytes,
        maxFiles: this.settings.maxFiles,
        outputBytes: maxOutputBytes,
        resultBytes: maxResultBytes,
      },
      callNumber,
    };
  }

  private async execute(call: PreparedCall, request: ExecutionRequest, started: number): Promise<ExecutionResult> {
    const { id, request: normalized, signature, limits } = call;
    const language = normalized.language;
    const callFiles = call.files ? await CallFiles.load(call.files) : undefined;
    let plan: ProgramPlan;
    const planning = performance.now();
    try {
      plan = await this.planProgram(language, normalized.code, signature, limits);
    } catch (error) {
      if (!(error instanceof ProgramBuildError)) throw error;
      this.emit('execution:start', { id, language: language.id, functionName: signature.name });
      const result = buildFailureResult({
        id,
        language: language.id,
        functionName: signature.name,
        error: error.info,
        stderr: error.stderr,
        durationMs: performance.now() - planning,
      });
      this.emit('execution:end', { id, result });
      return result;
    }
    const onOutput: OutputListener = (stream, data) => {
      (stream === 'stdout' ? request.onStdout : request.onStderr)?.(data);
      this.emit('execution:output', { id, stream, data });
    };
    const report = await this.runner.run({
      runtime: plan.runtime,
      argv: plan.argv,
      env: plan.env,
      cwd: plan.cwd,
      baseFiles: plan.baseFiles,
      callFiles: callFiles ? [...plan.callFiles, ...callFiles.files] : plan.callFiles,
      dirs: callFiles?.dirs,
      stdin: normalized.stdin ? [call.frame, normalized.stdin] : [call.frame],
      limits,
      timeoutMs: normalized.timeoutMs,
      collectChanges: callFiles !== undefined,
      deterministic: normalized.deterministic,
      signal: request.signal,
      onOutput,
      standbyKey: language.prestart === false ? undefined : this.standbyKey(language, plan, limits),
      onStart: () => this.emit('execution:start', { id, language: language.id, functionName: signature.name }),
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
      timeoutMs: normalized.timeoutMs,
      maxOutputBytes: limits.outputBytes,
      queueMs: report.queueMs,
      wallMs: performance.now() - started,
    });
    if (callFiles) {
      const changes = report.outcome?.type === 'done' ? report.outcome.changes : undefined;
      const { report: files, error, crashed } = await callFiles.finish(changes, result.status === 'success');
      result.files = files;
      if (error) {
        result.status = crashed ? 'crash' : 'error';
        result.error = error;
        if (crashed) delete result.result;
      }
    }
    this.emit('execution:end', { id, result });
    if (report.cancelled) throw new ExecutionCancelledError(result, report.cancelReason);
    return result;
  }

  /** The memory, output and result limits of a call or session: its own, else the executor's, within the ceilings. */
  private callLimits(
    source: Pick<ExecutionRequest, 'memoryLimitMb' | 'maxOutputBytes' | 'maxResultBytes'>,
    language: RegisteredLanguage,
  ): { memoryLimitMb: number; maxOutputBytes: number; maxResultBytes: number } {
    const memoryLimitMb = option('memoryLimitMb', source.memoryLimitMb, this.settings.memoryLimitMb, language.minMemoryMb ?? 1);
    const maxOutputBytes = option('maxOutputBytes', source.maxOutputBytes, this.settings.maxOutputBytes, 1);
    const maxResultBytes = option('maxResultBytes', source.maxResultBytes, this.settings.maxResultBytes, 1);
    atMost('memoryLimitMb', memoryLimitMb, this.settings.maxMemoryLimitMb, 'maxMemoryLimitMb');
    atMost('maxOutputBytes', maxOutputBytes, MAX_TEXT_BYTES, 'the longest string Node can build');
    atMost('maxResultBytes', maxResultBytes, MAX_TEXT_BYTES, 'the longest string Node can build');
    return { memoryLimitMb, maxOutputBytes, maxResultBytes };
  }

  /** The language's plan for `code` (after its one-time preparation); may build the program. */
  private async planProgram(language: RegisteredLanguage, code: string, signature: FunctionSignature, limits: JobLimits): Promise<ProgramPlan> {
    const prepared = await this.languageReady(language);
    return language.planProgram(code, signature, prepared, this.tools, this.signatures(language, code), { memoryBytes: limits.memoryBytes });
  }

  // --- languages and pre-started instances ----------------------------------------------------

  /**
   * Makes a language ready: its one-time preparation (cached; a failure leaves calls on the
   * unprepared path), its runtime sent to every started worker, and its pre-started instances wanted.
   */
  private languageReady(language: RegisteredLanguage): Promise<unknown> {
    let pending = this.preparations.get(language.id);
    if (!pending) {
      pending = (async () => {
        const prepared = language.prepare ? await language.prepare(this.tools).catch(() => undefined) : undefined;
        if (language.prestart === false) return prepared;
        const emptySignature: FunctionSignature = { name: '', params: [], line: 0 };
        const limits: JobLimits = {
          memoryBytes: this.settings.memoryLimitMb * MIB,
          fsBytes: this.settings.maxFsBytes,
          maxFiles: this.settings.maxFiles,
          outputBytes: this.settings.maxOutputBytes,
          resultBytes: this.settings.maxResultBytes,
        };
        const plan = await language.planProgram('', emptySignature, prepared, this.tools, [emptySignature], { memoryBytes: limits.memoryBytes });
        const assets = await loadRuntimeAssets(plan.runtime);
        for (const worker of this.pool.readyWorkers()) worker.loadRuntime(assets);
        const count = this.prewarmCount(language.id);
        if (count > 0 && !this.closed) {
          const profile: StandbyProfile = {
            key: this.standbyKey(language, plan, limits),
            assets: () => loadRuntimeAssets(plan.runtime),
            job: { runtime: plan.runtime, argv: plan.argv, env: plan.env, cwd: plan.cwd, files: plan.baseFiles, limits, collectChanges: false },
          };
          this.pool.setStandbyTarget(profile, count);
        }
        return prepared;
      })();
      this.preparations.set(language.id, pending);
      pending.catch(() => this.preparations.delete(language.id));
    }
    return pending;
  }

  private prewarmCount(language: Language): number {
    const setting = this.settings.prewarm;
    if (setting === undefined) return DEFAULTS.prewarm;
    if (typeof setting === 'number') return setting;
    return setting[language] ?? 0;
  }

  /**
   * Pre-started instances are interchangeable when they run the same program with the same memory limit
   * (the limit is fixed when an instance starts; the other limits are applied when it is claimed).
   */
  private standbyKey(language: RegisteredLanguage, plan: ProgramPlan, limits: JobLimits): string {
    const hash = createHash('sha256');
    hash.update(JSON.stringify([plan.runtime, plan.argv, plan.env, plan.cwd, limits.memoryBytes]));
    for (const file of plan.baseFiles) hash.update(file.path).update(contentDigest(file.data));
    return `${language.id}:${hash.digest('hex').slice(0, 16)}`;
  }

  private signatures(language: RegisteredLanguage, code: string): FunctionSignature[] {
    const key = `${language.id}\0${code}`;
    let found = this.signatureCache.get(key);
    if (!found) {
      found = language.inferSignatures(code);
      if (this.signatureCache.size >= 256) this.signatureCache.delete(this.signatureCache.keys().next().value!);
      this.signatureCache.set(key, found);
    }
    return found;
  }
}

/** Refuses a limit above its ceiling (`what` names the ceiling for the message). */
function atMost(name: string, value: number, ceiling: number, what: string): number {
  if (value > ceiling) throw new InvalidRequestError(name, `${name} must be at most ${ceiling} (${what}), got ${value}.`);
  return value;
}

/** Validates an optional numeric option and applies its default. */
function option(name: string, value: number | undefined, fallback: number, min: number, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new InvalidRequestError(name, `${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${String(value)}.`);
  }
  return value;
}

/** A session call's own options: what the session adds (its language and code) left out. */
function callOptions(request: ExecutionRequest): object {
  const { language: _language, code: _code, ...own } = request;
  return own;
}
