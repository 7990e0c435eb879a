/**
 * A session keeps one interpreter alive on its own worker and feeds it calls in SIP persistent mode
 * (`P`), one at a time and in order: one persistent job, one turn per call. Module state persists
 * between the calls of a session and nowhere else. A call that raises leaves the session usable; a
 * timeout, crash or cancellation ends it.
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
import { buildResult, emptyUsage } from '../result/build-result.js';
import { resultValue } from '../result/result-value.js';
import type { Job, TurnReport } from '../runtime/job-runner.js';
import type { OutputListener } from '../runtime/output-collector.js';
import type { JobOutcome } from '../runtime/worker-handle.js';
import type { ExecutionResult, Language, SessionCallRequest } from '../types.js';

/** How a session runs its calls. */
export type SessionMode =
  /** One interpreter for the whole session: module state persists between calls. */
  | 'persistent'
  /** Each call starts a fresh interpreter (the language cannot serve several calls in one process). */
  | 'atomic';

/** A checked and encoded call (or a context's snippet), as the executor prepares it. */
export interface SessionCall {
  id: string;
  /** The function called; empty for a snippet. */
  functionName: string;
  /** A context's snippet: its result frame is optional and it is judged as a script (see `CallEnd.script`). */
  snippet?: boolean;
  frame: Uint8Array;
  timeoutMs: number;
  /** Number of the call in `frame`; its result frame must echo it. */
  callNumber: number;
}

/** What a session needs from its executor. */
export interface SessionHost {
  /** Checks and encodes a call (persistent frame). @throws the executor's request errors */
  prepare(request: SessionCallRequest): SessionCall;
  /** Runs a call the one-shot way (atomic sessions). */
  invoke(request: SessionCallRequest): Promise<ExecutionResult>;
  /** Reports lifecycle events like one-shot calls do. */
  emitStart(id: string, language: Language, functionName: string): void;
  emitOutput(id: string, stream: 'stdout' | 'stderr', data: string): void;
  emitEnd(id: string, result: ExecutionResult): void;
  /** The session has closed. */
  closed(session: Session): void;
}

let nextSessionId = 1;

/**
 * A live interpreter holding the user's module. Create one with `SandboxExecutor.createSession()`.
 */
export class Session {
  /** Identifier of the session, unique within the process. */
  readonly id = `session-${nextSessionId++}`;
  private job: Job | undefined;
  /** A call is running (its turn has not ended). */
  private busy = false;
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer: NodeJS.Timeout | undefined;
  private closeReason: string | undefined;
  /** The job's worker, being terminated once the session has ended. */
  private released: Promise<void> | undefined;
  private outputLimit = Number.POSITIVE_INFINITY;
  private framesSent = 0;

  /** @internal created by the executor */
  constructor(
    /** Language of the session's code. */
    readonly language: Language,
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

  /**
   * @internal runs the session on its job (persistent sessions), a program started for its whole life
   * @param outputBytes the session's output limit, over all its calls
   */
  attach(job: Job | undefined, outputBytes: number): void {
    if (job) {
      this.job = job;
      this.outputLimit = outputBytes;
      job.onStrayResult = () => this.end('the program wrote a result frame while no call was running');
      // The end of the program during a call is the call's to report; between calls, it ends the session.
      job.onEnd = (outcome) => {
        if (!this.busy) this.end(describeEnd(outcome));
      };
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
    return this.enqueue(request, () => this.host.prepare(request));
  }

  /**
   * @internal Runs a turn in line with the calls: `prepare` checks and encodes it when its turn comes
   * (a context's snippets go through here with their own frames).
   */
  enqueue<T = unknown>(request: Pick<SessionCallRequest, 'signal' | 'onStdout' | 'onStderr'>, prepare: () => SessionCall): Promise<ExecutionResult<T>> {
    if (this.closeReason !== undefined) return Promise.reject(new SessionClosedError(this.closeReason));
    const run = async (): Promise<ExecutionResult<T>> => {
      if (this.closeReason !== undefined) throw new SessionClosedError(this.closeReason);
      clearTimeout(this.idleTimer);
      try {
        if (this.mode === 'atomic') return (await this.host.invoke(request)) as ExecutionResult<T>;
        return (await this.runPersistent(request, prepare)) as ExecutionResult<T>;
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
    await this.released;
  }

  /** Same as {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** What `console.log(session)` prints: a summary, not the worker handle and timers. */
  [inspect.custom](): string {
    return `Session { id: ${this.id}, language: ${this.language}, mode: ${this.mode}, state: ${this.state}${this.closeReason === undefined ? '' : `, closedReason: ${JSON.stringify(this.closeReason)}`} }`;
  }

  private async runPersistent(request: Pick<SessionCallRequest, 'signal' | 'onStdout' | 'onStderr'>, prepare: () => SessionCall): Promise<ExecutionResult> {
    const call = prepare();
    const job = this.job!;
    if (request.signal?.aborted) throw new ExecutionCancelledError(cancelledBeforeStart(call, this.language), request.signal.reason);
    const onOutput: OutputListener = (stream, data) => {
      (stream === 'stdout' ? request.onStdout : request.onStderr)?.(data);
      this.host.emitOutput(call.id, stream, data);
    };
    this.busy = true;
    this.host.emitStart(call.id, this.language, call.functionName);
    this.framesSent++;
    let violation: string | undefined;
    const report = await job.turn({
      input: [call.frame],
      endInput: false,
      until: 'next-request',
      timeoutMs: call.timeoutMs,
      signal: request.signal,
      onOutput,
      onResult: (frame, frames) => {
        // The first frame that answers the call's number is kept; anything else means the frames of this
        // program can no longer be matched to calls.
        if (frame.call === call.callNumber && frames.length === 1) return true;
        violation =
          frames.length > 1
            ? 'the program answered a call twice'
            : `the program answered call ${frame.call ?? '(no number)'} while call ${call.callNumber} was running`;
        return false;
      },
    });
    this.busy = false;
    // A program that ends before reading the call (because of the previous one: an exit, a fatal error
    // that crashes after its result) never ran it: the call is refused like every later one.
    if (report.outcome?.type === 'done' && !report.timedOut && !report.cancelled && !report.refused && report.framesRead < this.framesSent) {
      const reason = describeEnd(report.outcome);
      this.end(reason);
      throw new SessionClosedError(reason);
    }
    const result = this.buildResult(call, report);
    this.host.emitEnd(call.id, result);
    if (report.timedOut) this.end(`a call ran over its time limit of ${call.timeoutMs} ms`);
    else if (report.cancelled) this.end('a call was cancelled');
    else if (violation !== undefined) this.end(violation);
    else if (report.outcome) this.end(describeEnd(report.outcome));
    // Only a broken protocol (no readable answer) makes a crash of a call the program answered normally.
    else if (result.status === 'crash') this.end(result.error?.message ?? 'the program broke the result protocol');
    if (report.cancelled) throw new ExecutionCancelledError(result, report.cancelReason);
    return result;
  }

  private buildResult(call: SessionCall, report: TurnReport): ExecutionResult {
    return buildResult({
      id: call.id,
      language: this.language,
      functionName: call.functionName,
      script: call.snippet,
      outcome: report.outcome,
      frames: report.frames,
      callNumber: call.callNumber,
      idle: report.idle,
      collector: report.collector,
      durationMs: report.durationMs,
      timedOut: report.timedOut,
      cancelled: report.cancelled,
      timeoutMs: call.timeoutMs,
      maxOutputBytes: this.outputLimit,
    });
  }

  private end(reason: string): void {
    if (this.closeReason !== undefined) return;
    this.closeReason = reason;
    clearTimeout(this.idleTimer);
    this.released = this.job?.release();
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
  if (outcome.type === 'lost') return 'the session worker stopped';
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
    functionName: call.functionName,
    error: { type: 'Cancelled', message: 'The execution was cancelled.' },
    usage: emptyUsage(0),
  };
}
