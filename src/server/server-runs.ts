/**
 * The runs the HTTP adapter starts, whatever asked for them (`POST /exec`, a session's `exec`, a WebSocket
 * `execute`): each takes a place among the server's job slots, gets an id, and records its events in the
 * execution log, so that any client of the same identity can follow it (`GET /exec/{id}/events`, a
 * WebSocket `join`) and cancel it. A run's standard input stays open for writes only when it was started
 * interactive (a WebSocket `execute`).
 */
import { randomUUID } from 'node:crypto';
import { SandboxError } from '../errors.js';
import { ExecutionCancelledError } from '../result/execution-errors.js';
import type { ExecutionPhaseEvent, ExecutionResult } from '../types.js';
import type { ExecutionLog } from './execution-log.js';
import { HttpError } from './http-error.js';
import type { JobSlots, JobTicket } from './job-slots.js';
import { errorToJson, resultToJson } from './json-result.js';

/** What a run's program reports to the server while it runs. */
export interface RunHooks {
  signal: AbortSignal;
  onStdout(data: string): void;
  onStderr(data: string): void;
  onPhase(event: ExecutionPhaseEvent): void;
}

/** A started program: its result, and its standard input when it has one open. */
export interface RunStart {
  result: Promise<ExecutionResult>;
  write?(data: string): void;
  end?(): void;
}

/** Starts the program of a run, once it has its place. @throws the request errors */
export type BeginRun = (hooks: RunHooks) => RunStart;

/** One run of the server. */
export class ServerRun {
  /** The server's id of the run (`executionId` over WebSocket, `id` over HTTP). */
  readonly id = randomUUID();
  /**
   * Settles when the run ends: with the result as JSON (a cancelled run included, with status
   * `cancelled`), or rejects with what kept it from running (a request error, a closed executor).
   */
  readonly done: Promise<Record<string, unknown>>;
  /** Resolves when the program has started; rejects as {@link done} when it could not. */
  readonly started: Promise<void>;
  private readonly controller = new AbortController();
  private program: RunStart | undefined;
  /** Input written before the program started. */
  private readonly pending: string[] = [];
  private inputEnded: boolean;
  private finished = false;

  /** @throws HttpError 503 when every job slot is taken */
  constructor(
    /** The identity of the client that started it (see `RequestGuard`). */
    readonly owner: string,
    slots: JobSlots,
    log: ExecutionLog,
    begin: BeginRun,
    /** Whether standard input stays open for {@link write} until {@link end}. */
    readonly interactive: boolean,
  ) {
    this.inputEnded = !interactive;
    const ticket: JobTicket = slots.admit(this.controller.signal);
    log.open(this.id, owner);
    const { signal } = this.controller;
    let markStarted!: () => void;
    let failStart!: (error: unknown) => void;
    this.started = new Promise<void>((resolve, reject) => {
      markStarted = resolve;
      failStart = reject;
    });
    this.started.catch(() => undefined);
    const running = ticket.ready.then(() => {
      signal.throwIfAborted();
      const program = begin({
        signal,
        onStdout: (data) => log.record({ type: 'execution-output', id: this.id, stream: 'stdout', data }),
        onStderr: (data) => log.record({ type: 'execution-output', id: this.id, stream: 'stderr', data }),
        onPhase: ({ id: _libraryId, ...phase }) => log.record({ ...phase, type: 'execution-phase', id: this.id }),
      });
      this.program = program;
      markStarted();
      for (const data of this.pending.splice(0)) program.write?.(data);
      if (this.inputEnded) program.end?.();
      return program.result;
    });
    this.done = running
      .finally(() => {
        ticket.release();
        this.finished = true;
      })
      .then(
        (result) => complete(resultToJson(result)),
        (error: unknown) => {
          if (error instanceof ExecutionCancelledError) return complete(resultToJson(error.result));
          const reported =
            signal.aborted && !(error instanceof SandboxError)
              ? new HttpError(499, 'EXECUTION_CANCELLED', 'The execution was cancelled before it started.')
              : error;
          log.record({ type: 'execution-failed', id: this.id, error: errorToJson(reported).error });
          failStart(reported);
          throw reported;
        },
      );
    const complete = (json: Record<string, unknown>): Record<string, unknown> => {
      log.record({ type: 'execution-complete', id: this.id, result: json });
      return json;
    };
    this.done.catch(() => undefined);
  }

  /** Whether the run has ended. */
  get ended(): boolean {
    return this.finished;
  }

  /** Whether {@link write} can still send input. */
  get writable(): boolean {
    return this.interactive && !this.inputEnded && !this.finished;
  }

  /** Sends text to the program's standard input (kept until it starts). @returns false when input is closed */
  write(data: string): boolean {
    if (!this.writable) return false;
    if (this.program) this.program.write?.(data);
    else this.pending.push(data);
    return true;
  }

  /** Ends the program's standard input. */
  end(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    this.program?.end?.();
  }

  /** Cancels the run, whether it waits for its place or runs. */
  cancel(reason: string): void {
    this.controller.abort(new Error(reason));
  }
}

/** The runs of one server, by id, for the clients that may write to them, cancel or follow them. */
export class ServerRuns {
  private readonly live = new Map<string, ServerRun>();

  constructor(
    private readonly slots: JobSlots,
    /** Where runs record their events. */
    readonly log: ExecutionLog,
  ) {}

  /** Starts a run. @throws HttpError 503 when every job slot is taken */
  start(owner: string, begin: BeginRun, interactive: boolean): ServerRun {
    const run = new ServerRun(owner, this.slots, this.log, begin, interactive);
    this.live.set(run.id, run);
    void run.done.catch(() => undefined).finally(() => this.live.delete(run.id));
    return run;
  }

  /** A run that has not ended, if `owner` started it. */
  get(id: string, owner: string): ServerRun | undefined {
    const run = this.live.get(id);
    return run?.owner === owner ? run : undefined;
  }

  /** Cancels every run (the server closes). */
  cancelAll(reason: string): void {
    for (const run of this.live.values()) run.cancel(reason);
  }
}
