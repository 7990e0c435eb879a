/**
 * A session keeps one interpreter alive on its own worker and feeds it calls in SIP persistent mode
 * (`P`), one at a time and in order. Module state persists between the calls of a session and nowhere
 * else. A call that raises leaves the session usable; a timeout, crash or cancellation ends it.
 *
 * Each call carries a number that its result frame must echo. A call is settled only once the program
 * has answered it with exactly one frame and then asked for its next request (or ended): a frame that the
 * call's own code writes early cannot make the host send the next request while that code still runs,
 * and an answer that arrives for the wrong call, a second answer, or a frame between calls ends the
 * session. No call ever receives another call's result.
 */
import { inspect } from 'node:util';
import { SessionClosedError } from '../errors.js';
import { ExecutionCancelledError } from '../result/execution-errors.js';
import type { ProgramPlan } from '../languages/language.js';
import type { RegisteredLanguage } from '../languages/registry.js';
import type { FunctionSignature } from '../languages/signature.js';
import { buildResult, emptyUsage } from '../result/build-result.js';
import { OutputCollector, type OutputListener } from '../runtime/output-collector.js';
import { resultValue } from '../result/result-value.js';
import type { ResultFrame } from '../protocol/result-frame.js';
import { OutputChannel } from '../runtime/output-ring.js';
import type { RuntimeAssets } from '../runtime/runtime-assets.js';
import { WorkerHandle, type JobOutcome } from '../runtime/worker-handle.js';
import type { JobLimits } from '../runtime/worker-protocol.js';
import type { ExecutionRequest, ExecutionResult, Language, SessionCallRequest } from '../types.js';

/** How a session runs its calls. */
export type SessionMode =
  /** One interpreter for the whole session: module state persists between calls. */
  | 'persistent'
  /** Each call starts a fresh interpreter (the language cannot serve several calls in one process). */
  | 'atomic';

/** A checked and encoded call, as the executor prepares it. */
export interface SessionCall {
  id: string;
  signature: FunctionSignature;
  frame: Uint8Array;
  timeoutMs: number;
  /** Number of the call in `frame`; its result frame must echo it. */
  callNumber: number;
}

/** What a session needs from its executor. */
export interface SessionHost {
  /** Checks and encodes a call (persistent frame). @throws the executor's request errors */
  prepare(request: ExecutionRequest): SessionCall;
  /** Runs a call the one-shot way (atomic sessions). */
  invoke(request: ExecutionRequest): Promise<ExecutionResult>;
  /** Reports lifecycle events like one-shot calls do. */
  emitStart(id: string, language: Language, functionName: string): void;
  emitOutput(id: string, stream: 'stdout' | 'stderr', data: string): void;
  emitEnd(id: string, result: ExecutionResult): void;
  /** The session has closed. */
  closed(session: Session): void;
}

/** What a persistent session runs. */
export interface SessionProgram {
  plan: ProgramPlan;
  assets: RuntimeAssets;
  limits: JobLimits;
}

interface PendingCall {
  call: SessionCall;
  collector: OutputCollector;
  /** Result frames received for this call. */
  frames: ResultFrame[];
  started: number;
  timer?: NodeJS.Timeout;
  settle: (end: {
    idle?: boolean;
    outcome?: JobOutcome;
    timedOut?: boolean;
    cancelled?: boolean;
    reason?: unknown;
    closed?: string;
  }) => ExecutionResult | undefined;
}

let nextSessionId = 1;
let nextJobId = 1_000_000_000;

/**
 * A live interpreter holding the user's module. Create one with `SandboxExecutor.createSession()`.
 */
export class Session {
  /** Identifier of the session, unique within the process. */
  readonly id = `session-${nextSessionId++}`;
  private worker: WorkerHandle | undefined;
  private current: PendingCall | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;
  private closeReason: string | undefined;
  private outputLimit = Number.POSITIVE_INFINITY;
  private resultLimit = Number.POSITIVE_INFINITY;
  private framesSent = 0;
  private framesRead = 0;

  /** @internal created by the executor */
  constructor(
    /** Language of the session's code. */
    readonly language: Language,
    /** @internal the language's definition (the executor plans the session's program with it) */
    readonly languageDefinition: RegisteredLanguage,
    /** The code whose functions the session calls. */
    readonly code: string,
    /** Whether module state persists between calls (see {@link SessionMode}). */
    readonly mode: SessionMode,
    private readonly host: SessionHost,
    private readonly idleTimeoutMs: number,
  ) {}

  /** `open` until the session is closed. */
  get state(): 'open' | 'closed' {
    return this.closeReason === undefined ? 'open' : 'closed';
  }

  /** Why the session closed, once it has. */
  get closedReason(): string | undefined {
    return this.closeReason;
  }

  /** @internal starts the interpreter (persistent sessions) */
  async start(program: SessionProgram | undefined): Promise<void> {
    if (program) {
      const worker = new WorkerHandle();
      this.worker = worker;
      this.outputLimit = program.limits.outputBytes;
      this.resultLimit = program.limits.resultBytes ?? Number.POSITIVE_INFINITY;
      worker.onExit = () => this.onWorkerGone();
      worker.onFrameRead = () => this.framesRead++;
      worker.onAwaitingFrame = () => this.onAwaitingFrame();
      await worker.ready;
      worker.loadRuntime(program.assets);
      const running = worker.run(
        {
          jobId: nextJobId++,
          runtime: program.plan.runtime,
          argv: program.plan.argv,
          env: program.plan.env,
          cwd: program.plan.cwd,
          files: [...program.plan.baseFiles, ...program.plan.callFiles],
          limits: program.limits,
          standby: false,
          collectChanges: false,
        },
        (channel, bytes) => {
          if (this.current) this.current.collector.sink(channel, bytes);
          else if (channel === OutputChannel.RESULT) this.violation('the program wrote a result frame while no call was running');
        },
      );
      void running.done.then((outcome) => this.onProgramEnd(outcome));
      worker.unref();
    }
    this.armIdleTimer();
  }

  /**
   * Calls a function of the session's code and returns its value.
   *
   * @throws UserCodeError, ExecutionTimeoutError, SandboxCrashError (carrying the result), SessionClosedError
   */
  async call<T = unknown>(functionName: string, args: readonly unknown[] = [], kwargs: Readonly<Record<string, unknown>> = {}): Promise<T> {
    return resultValue(await this.invoke<T>({ functionName, args, kwargs }));
  }

  /**
   * Calls a function and resolves with the full {@link ExecutionResult}. Calls run one at a time, in the
   * order they were made.
   *
   * @throws SessionClosedError when the session is (or gets) closed before the call runs; request errors
   *   (FunctionNotFoundError…) before anything runs; ExecutionCancelledError when `signal` aborts it
   */
  invoke<T = unknown>(request: SessionCallRequest = {}): Promise<ExecutionResult<T>> {
    if (this.closeReason !== undefined) return Promise.reject(new SessionClosedError(this.closeReason));
    const full: ExecutionRequest = { ...request, language: this.language, code: this.code };
    const run = async (): Promise<ExecutionResult<T>> => {
      if (this.closeReason !== undefined) throw new SessionClosedError(this.closeReason);
      clearTimeout(this.idleTimer);
      try {
        if (this.mode === 'atomic') return (await this.host.invoke(full)) as ExecutionResult<T>;
        return (await this.runPersistent(full)) as ExecutionResult<T>;
      } finally {
        this.armIdleTimer();
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** Stops the interpreter. Calls waiting in line reject with `SessionClosedError`; a running call ends as `crash`. */
  async close(): Promise<void> {
    this.end('closed by close()');
    await this.worker?.terminate();
  }

  /** Same as {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** What `console.log(session)` prints: a summary, not the worker handle and timers. */
  [inspect.custom](): string {
    return `Session { id: ${this.id}, language: ${this.language}, mode: ${this.mode}, state: ${this.state}${this.closeReason === undefined ? '' : `, closedReason: ${JSON.stringify(this.closeReason)}`} }`;
  }

  private async runPersistent(request: ExecutionRequest): Promise<ExecutionResult> {
    const call = this.host.prepare(request);
    const worker = this.worker!;
    const onOutput: OutputListener = (stream, data) => {
      (stream === 'stdout' ? request.onStdout : request.onStderr)?.(data);
      this.host.emitOutput(call.id, stream, data);
    };
    return new Promise<ExecutionResult>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      const pending: PendingCall = {
        call,
        frames: [],
        started: performance.now(),
        collector: new OutputCollector(onOutput, (frame) => this.onResultFrame(pending, frame), this.resultLimit),
        settle: (end) => {
          if (this.current !== pending) return undefined;
          this.current = undefined;
          clearTimeout(pending.timer);
          if (onAbort) request.signal?.removeEventListener('abort', onAbort);
          worker.unref();
          pending.collector.finish();
          if (end.closed !== undefined) {
            // The program ended normally before reading this call: it never ran.
            reject(new SessionClosedError(end.closed));
            return undefined;
          }
          const result = buildResult({
            id: call.id,
            language: this.language,
            functionName: call.signature.name,
            outcome: end.outcome,
            frames: pending.frames,
            callNumber: call.callNumber,
            idle: end.idle,
            collector: pending.collector,
            durationMs: performance.now() - pending.started,
            timedOut: end.timedOut === true,
            cancelled: end.cancelled === true,
            timeoutMs: call.timeoutMs,
            maxOutputBytes: this.outputLimit,
          });
          this.host.emitEnd(call.id, result);
          if (end.cancelled) reject(new ExecutionCancelledError(result, end.reason));
          else resolve(result);
          return result;
        },
      };
      if (request.signal?.aborted) {
        reject(new ExecutionCancelledError(cancelledBeforeStart(call, this.language), request.signal.reason));
        return;
      }
      this.current = pending;
      worker.ref();
      this.host.emitStart(call.id, this.language, call.signature.name);
      pending.timer = setTimeout(() => {
        pending.settle({ timedOut: true });
        this.end(`a call ran over its time limit of ${call.timeoutMs} ms`);
        void worker.terminate();
      }, call.timeoutMs);
      if (request.signal) {
        onAbort = () => {
          pending.settle({ cancelled: true, reason: request.signal!.reason });
          this.end('a call was cancelled');
          void worker.terminate();
        };
        request.signal.addEventListener('abort', onAbort, { once: true });
      }
      this.framesSent++;
      worker.writeStdin(call.frame);
    });
  }

  /** A result frame for the running call: the first one that answers its number is kept, anything else ends the session. */
  private onResultFrame(pending: PendingCall, frame: ResultFrame): void {
    if (this.current !== pending) return;
    pending.frames.push(frame);
    if (frame.call === pending.call.callNumber && pending.frames.length === 1) return;
    // Settled as a crash (ProtocolError): a second answer, or an answer to another call, means the frames
    // of this program can no longer be matched to calls.
    pending.settle({});
    this.violation(
      pending.frames.length > 1
        ? 'the program answered a call twice'
        : `the program answered call ${frame.call ?? '(no number)'} while call ${pending.call.callNumber} was running`,
    );
  }

  /** The program asks for its next request: the running call is over. */
  private onAwaitingFrame(): void {
    const result = this.current?.settle({ idle: true });
    // Only a broken protocol (no readable answer) makes a crash here.
    if (result?.status === 'crash') this.violation(result.error?.message ?? 'the program broke the result protocol');
  }

  /** The program broke the result protocol: nothing it sends can be trusted any more. */
  private violation(reason: string): void {
    this.current?.settle({});
    this.end(reason);
  }

  private onProgramEnd(outcome: JobOutcome): void {
    const reason = describeEnd(outcome);
    // A program that ends before reading the current call (because of the previous one: an exit, a fatal
    // error that crashes after its result) never ran it: the call is refused like every later one.
    const unread = this.framesRead < this.framesSent;
    this.current?.settle(unread ? { closed: reason } : { outcome });
    this.end(reason);
  }

  private onWorkerGone(): void {
    this.current?.settle({ outcome: { type: 'lost', reason: 'The session worker stopped' } });
    this.end('the session worker stopped');
  }

  private end(reason: string): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    clearTimeout(this.idleTimer);
    if (this.worker?.isAlive) void this.worker.terminate();
    this.host.closed(this);
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    if (this.closeReason !== undefined || this.idleTimeoutMs <= 0 || !Number.isFinite(this.idleTimeoutMs)) return;
    this.idleTimer = setTimeout(() => this.end(`idle for ${this.idleTimeoutMs} ms (idleTimeoutMs)`), this.idleTimeoutMs);
    this.idleTimer.unref();
  }
}

function describeEnd(outcome: JobOutcome): string {
  if (outcome.type === 'lost') return outcome.reason;
  switch (outcome.end.kind) {
    case 'exit':
      return `the interpreter exited (code ${outcome.end.code})`;
    case 'trap':
      return outcome.memoryAtLimit ? 'the interpreter ran out of memory' : `the interpreter crashed (${outcome.end.message})`;
    case 'output-limit':
      return 'the session wrote more output than maxOutputBytes';
    case 'result-limit':
      return 'a call returned more than maxResultBytes';
    default:
      return `the interpreter stopped (${outcome.end.kind})`;
  }
}

function cancelledBeforeStart(call: SessionCall, language: Language): ExecutionResult {
  return {
    id: call.id,
    status: 'cancelled',
    stdout: '',
    stderr: '',
    exitCode: null,
    durationMs: 0,
    language,
    functionName: call.signature.name,
    error: { type: 'Cancelled', message: 'The execution was cancelled.' },
    usage: emptyUsage(0),
  };
}
