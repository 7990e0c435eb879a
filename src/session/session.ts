/**
 * A session keeps one interpreter alive on its own worker and feeds it calls in SIP persistent mode
 * (`P`), one at a time and in order: one persistent job, one turn per call. Module state persists
 * between the calls of a session and nowhere else. A call that raises leaves the session usable; a
 * timeout, crash or cancellation stops its interpreter, which ends the session, or (`restart:
 * 'on-demand'`) leaves it open with no interpreter until the next call starts one again.
 *
 * Each call carries a number that its result frame must echo. A call is settled only once the program
 * has answered it with exactly one frame and then asked for its next request (or ended): a frame that the
 * call's own code writes early cannot make the host send the next request while that code still runs,
 * and an answer that arrives for the wrong call, a second answer, or a frame between calls ends the
 * session. No call ever receives another call's result.
 */
import { inspect } from 'node:util';
import { InvalidRequestError, SessionClosedError } from '../errors.js';
import type { FilesReport, SyncOptions, SyncReport } from '../fs/fs-types.js';
import { ExecutionCancelledError } from '../result/execution-errors.js';
import { buildResult, emptyUsage } from '../result/build-result.js';
import { resultValue } from '../result/result-value.js';
import type { Job, TurnReport } from '../runtime/job-runner.js';
import type { OutputListener } from '../runtime/output-collector.js';
import type { JobOutcome } from '../runtime/worker-handle.js';
import type { ExecutionResult, Language, SessionCallRequest } from '../types.js';
import type { SessionFiles } from './session-files.js';

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
  /**
   * Starts the session's program again (`restart: 'on-demand'`), with its files loaded afresh.
   *
   * @throws the errors of starting a session (ExecutorClosedError, UserCodeError, ExecutionTimeoutError…)
   */
  startJob?(): Promise<SessionJob>;
  /** Reports a sync of the session's files, like the `execution:sync` event of a call. */
  emitSync?(id: string, sync: SyncReport): void;
}

/** A started program of a session, and its files. */
export interface SessionJob {
  job: Job;
  files?: SessionFiles;
}

/** How a session lives (see `SessionOptions.restart`). */
export interface SessionLife {
  /** Start the program again on the next call after it stopped without `close()`. */
  restartOnDemand?: boolean;
  /** How the session's files sync, when it has files or mounts (its program gets them each time it starts). */
  fileSync?: { mode: NonNullable<SyncOptions['mode']>; dryRun: boolean };
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
  private files: SessionFiles | undefined;
  /** Why the program last stopped while the session stays open (restart on demand); cleared by a restart. */
  private stoppedReason: string | undefined;
  private restartCount = 0;
  /** Calls started, over the session's life. */
  private callCount = 0;
  /** A sync of the files under way. */
  private syncing: Promise<unknown> | undefined;

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
    private readonly life: SessionLife = {},
  ) {}

  /** `open` until the session is closed. */
  get state(): 'open' | 'closed' {
    return this.closeReason === undefined ? 'open' : 'closed';
  }

  /** Why the session closed, once it has. */
  get closedReason(): string | undefined {
    return this.closeReason;
  }

  /** How many times the session's interpreter was started again (`restart: 'on-demand'`). */
  get restarts(): number {
    return this.restartCount;
  }

  /**
   * @internal runs the session on its job (persistent sessions), a program started for its whole life
   * @param outputBytes the session's output limit, over all its calls
   */
  attach(job: Job | undefined, outputBytes: number, files?: SessionFiles): void {
    this.outputLimit = outputBytes;
    if (job) this.attachJob(job, files);
    this.armIdleTimer();
  }

  private attachJob(job: Job, files: SessionFiles | undefined): void {
    this.job = job;
    this.files = files;
    this.framesSent = 0;
    job.onStrayResult = () => {
      if (this.job === job) this.stop('the program wrote a result frame while no call was running');
    };
    // The end of the program during a call is the call's to report; between calls, it stops the session.
    job.onEnd = (outcome) => {
      if (!this.busy && this.job === job) this.stop(describeEnd(outcome));
    };
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
      this.callCount++;
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

  /**
   * Writes back what the session's program changed in its files since the last sync (its `files` and
   * `mounts`), with the permissions and sync options of the session, as a one-shot call does after it
   * succeeded: all of it or nothing. Runs in line with the calls: after those made before it, before
   * those made after it.
   *
   * @returns the report of the sync (`sync.state` `written`; `dry-run`; `vetoed` by `beforeSync`;
   *   `skipped` with `sync.mode` `none`)
   * @throws SyncConflictError when a host file changed since it was loaded (nothing written; the changes
   *   stay pending); SyncError when writing failed (the disk is restored), a change is denied (code
   *   `SYNC_DENIED`), or the changes were lost with the interpreter; SessionClosedError;
   *   InvalidRequestError for a session without files or mounts
   */
  sync(): Promise<FilesReport> {
    if (this.closeReason !== undefined) return Promise.reject(new SessionClosedError(this.closeReason));
    const run = async (): Promise<FilesReport> => {
      if (this.closeReason !== undefined) throw new SessionClosedError(this.closeReason);
      return this.syncFiles();
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /**
   * Stops the interpreter. With `sync.mode` `auto` (the default), the changes of its files are written
   * first, when no call is running (`close()` then rejects with the sync's error, once the session is
   * closed). Calls waiting in line reject with `SessionClosedError`; a running call ends as `crash`.
   */
  async close(): Promise<void> {
    let failure: unknown;
    if (this.closeReason === undefined) {
      // From now on, calls are refused; the program stays up for the last sync.
      this.closeReason = 'closed by close()';
      clearTimeout(this.idleTimer);
      await this.syncing?.catch(() => undefined);
      if (!this.busy && this.files?.syncAtClose && this.job && !this.job.isOver) {
        failure = await this.syncFiles().then(
          () => undefined,
          (error: unknown) => error,
        );
      }
      this.release();
    }
    await this.released;
    if (failure !== undefined) throw failure;
  }

  /** Same as {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** What `console.log(session)` prints: a summary, not the worker handle and timers. */
  [inspect.custom](): string {
    return `Session { id: ${this.id}, language: ${this.language}, mode: ${this.mode}, state: ${this.state}${this.closeReason === undefined ? '' : `, closedReason: ${JSON.stringify(this.closeReason)}`} }`;
  }

  /** @param mayRetry run the call again on a restarted program if the program ended before reading it */
  private async runPersistent(
    request: Pick<SessionCallRequest, 'signal' | 'onStdout' | 'onStderr'>,
    prepare: () => SessionCall,
    mayRetry = true,
  ): Promise<ExecutionResult> {
    const call = prepare();
    if (request.signal?.aborted) throw new ExecutionCancelledError(cancelledBeforeStart(call, this.language), request.signal.reason);
    const restarted = !this.job;
    if (restarted) await this.restart();
    const job = this.job!;
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
      this.stop(reason);
      // The call never ran: with restart on demand, it runs on a program started again.
      if (this.life.restartOnDemand && mayRetry && this.closeReason === undefined) return this.runPersistent(request, prepare, false);
      throw new SessionClosedError(reason);
    }
    const result = this.buildResult(call, report);
    if (restarted) result.usage.restarted = true;
    this.host.emitEnd(call.id, result);
    if (report.timedOut) this.stop(`a call ran over its time limit of ${call.timeoutMs} ms`);
    else if (report.cancelled) this.stop('a call was cancelled');
    else if (violation !== undefined) this.stop(violation);
    else if (report.outcome) this.stop(describeEnd(report.outcome));
    // Only a broken protocol (no readable answer) makes a crash of a call the program answered normally.
    else if (result.status === 'crash') this.stop(result.error?.message ?? 'the program broke the result protocol');
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
    this.release();
  }

  /** Stops the program and gives its worker back; the session is closed unless `closeReason` says otherwise. */
  private release(): void {
    clearTimeout(this.idleTimer);
    this.released = this.job?.release();
    this.job = undefined;
    this.files = undefined;
    if (this.closeReason !== undefined) this.host.closed(this);
  }

  /**
   * The program stopped (or must stop) without `close()`: the session ends, or with restart on demand it
   * stays open without a program until the next call starts one.
   */
  private stop(reason: string): void {
    if (!this.life.restartOnDemand || this.closeReason !== undefined) {
      this.end(reason);
      return;
    }
    this.stoppedReason = reason;
    this.release();
  }

  /** Starts the program again for a call (restart on demand). */
  private async restart(): Promise<void> {
    if (!this.host.startJob) throw new SessionClosedError(this.stoppedReason ?? 'the session has no program');
    const { job, files } = await this.host.startJob();
    if (this.closeReason !== undefined) {
      await job.release();
      throw new SessionClosedError(this.closeReason);
    }
    this.attachJob(job, files);
    this.restartCount++;
    this.stoppedReason = undefined;
  }

  /** Writes the files' changes back (see {@link sync}); the program must be between calls. */
  private async syncFiles(): Promise<FilesReport> {
    if (this.mode === 'atomic' || !this.life.fileSync) {
      throw new InvalidRequestError(
        'sync',
        this.mode === 'atomic'
          ? "This session runs each call the one-shot way (mode 'atomic'): each call writes its own files back, as invoke() does."
          : 'This session has no files or mounts to sync: pass files or mounts to createSession() or load().',
      );
    }
    const job = this.job;
    const files = this.files;
    // No program (it stopped, and restarts on demand): what it had not synced is gone with it.
    if (!job || !files) return noChanges(this.life.fileSync);
    const syncing = files.sync(job);
    this.syncing = syncing;
    try {
      const report = await syncing;
      this.host.emitSync?.(this.id, report.sync);
      return report;
    } catch (error) {
      const report = (error as { report?: SyncReport }).report;
      if (report) this.host.emitSync?.(this.id, report);
      throw error;
    } finally {
      if (this.syncing === syncing) this.syncing = undefined;
    }
  }

  private armIdleTimer(): void {
    clearTimeout(this.idleTimer);
    if (this.closeReason !== undefined || this.idleTimeoutMs <= 0 || !Number.isFinite(this.idleTimeoutMs)) return;
    // A session stopped until its next call has nothing to stop.
    if (this.mode === 'persistent' && !this.job) return;
    this.idleTimer = setTimeout(() => this.onIdle(), this.idleTimeoutMs);
    this.idleTimer.unref();
  }

  /** The idle timeout passed: stop the program, after writing its files back (`sync.mode` `auto`). */
  private onIdle(): void {
    const reason = `idle for ${this.idleTimeoutMs} ms (idleTimeoutMs)`;
    if (!this.files?.syncAtClose) {
      this.stop(reason);
      return;
    }
    const callsBefore = this.callCount;
    const run = async (): Promise<void> => {
      // A call that came in meanwhile made the session busy again: its own idle time counts from its end.
      if (this.closeReason !== undefined || this.callCount !== callsBefore || !this.job) return;
      // A failed sync is reported (execution:sync, afterSync); the program stops all the same.
      await this.syncFiles().catch(() => undefined);
      if (this.closeReason === undefined) this.stop(reason);
    };
    this.queue = this.queue.then(run, run);
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

/** The report of a sync with no program to sync (it stopped, and restarts on demand). */
function noChanges(how: NonNullable<SessionLife['fileSync']>): FilesReport {
  const message = 'The session has no running program: what it had not synced before it stopped was lost with it.';
  return { created: [], modified: [], deleted: [], sync: { mode: how.mode, dryRun: how.dryRun, state: 'skipped', written: [], denied: [], message } };
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
