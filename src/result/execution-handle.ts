/**
 * A running execution, as `start()` and `stream()` return it: its live output as events, its standard
 * input (written while it runs), cancellation, and its result.
 */
import { inspect } from 'node:util';
import { InvalidRequestError } from '../errors.js';
import { InputFeed } from '../runtime/input-feed.js';
import type { ExecutionResult, StartRequest, StreamEvent } from '../types.js';

const encoder = new TextEncoder();

/** How the executor begins the execution a handle follows. */
export type BeginExecution = (request: StartRequest, feed: InputFeed | undefined) => { id: string; result: Promise<ExecutionResult> };

/**
 * One execution (a call or a script) while it runs. Iterate it (`for await`) for its events in order:
 * `{ type: 'stdout' | 'stderr', data }`, then `{ type: 'result', result }`; leaving the loop early cancels
 * the execution. `result` settles as `invoke()` or `run()` would: with the {@link ExecutionResult}, or
 * with the error a request error or a cancellation gives.
 *
 * ```ts
 * const execution = executor.start({ kind: 'script', language: 'python', code: 'print("Hi,", input("Name? "))' });
 * for await (const event of execution) {
 *   if (event.type === 'stdout' && event.data.includes('Name?')) execution.write('Ada\n');
 *   if (event.type === 'result') console.log(event.result.stdout);
 * }
 * ```
 */
export class Execution implements AsyncIterableIterator<StreamEvent> {
  /** The execution id (the `id` of its result and of the executor's events); empty when the request was refused. */
  readonly id: string;
  /** Settles when the execution ends; rejects like `invoke()` (request errors, `ExecutionCancelledError`). */
  readonly result: Promise<ExecutionResult>;
  private readonly controller = new AbortController();
  private readonly feed: InputFeed | undefined;
  private readonly events: StreamEvent[] = [];
  private wake: (() => void) | undefined;
  private settled = false;
  private failure: unknown;
  private readonly iterator: AsyncGenerator<StreamEvent>;

  /**
   * @internal created by the executor
   * @param interactive standard input stays open for {@link write} until {@link end} (`start()`); otherwise
   *   it ends after the request's `stdin` (`stream()`)
   * @throws the request errors of `begin`, synchronously
   */
  constructor(request: StartRequest, begin: BeginExecution | Error, interactive: boolean) {
    this.feed = interactive ? new InputFeed() : undefined;
    this.iterator = this.iterate();
    if (begin instanceof Error) {
      // A request refused before anything ran (stream()): the loop and `result` give the error.
      this.id = '';
      this.result = Promise.reject(begin);
    } else {
      const signal = request.signal ? AbortSignal.any([request.signal, this.controller.signal]) : this.controller.signal;
      const started = begin(
        {
          ...request,
          signal,
          onStdout: (data) => {
            request.onStdout?.(data);
            this.push({ type: 'stdout', data });
          },
          onStderr: (data) => {
            request.onStderr?.(data);
            this.push({ type: 'stderr', data });
          },
          onPhase: (event) => {
            try {
              request.onPhase?.(event);
            } finally {
              this.push({ type: 'phase', ...event });
            }
          },
        } as StartRequest,
        this.feed,
      );
      this.id = started.id;
      this.result = started.result;
    }
    this.result.then(
      (result) => this.push({ type: 'result', result }),
      (error: unknown) => {
        this.failure = error;
        this.settle();
      },
    );
  }

  /** Whether {@link write} can still send input: the handle came from `start()` and {@link end} was not called. */
  get writable(): boolean {
    return this.feed !== undefined && !this.feed.isEnded;
  }

  /**
   * Sends text (as UTF-8) or bytes to the program's standard input while it runs. What arrives before
   * the program starts waits for it; what arrives after it ended is dropped.
   *
   * @throws InvalidRequestError when input is closed: after {@link end}, or on a handle of `stream()`
   *   (whose input is the request's `stdin`; use `start()` to write while it runs)
   */
  write(data: string | Uint8Array): void {
    if (!this.feed) {
      throw new InvalidRequestError('stdin', "This execution's standard input is the request's stdin: start it with start() to write to it while it runs.");
    }
    if (this.feed.isEnded) throw new InvalidRequestError('stdin', 'Standard input was ended with end(); nothing more can be written.');
    if (typeof data !== 'string' && !(data instanceof Uint8Array)) throw new InvalidRequestError('stdin', 'write() takes a string or a Uint8Array.');
    this.feed.write(typeof data === 'string' ? encoder.encode(data) : data);
  }

  /** Ends the program's standard input: a read past what was written sees end of input. */
  end(): void {
    this.feed?.end();
  }

  /** Cancels the execution: `result` rejects with `ExecutionCancelledError` carrying what it produced. */
  cancel(reason?: unknown): void {
    this.controller.abort(reason);
  }

  next(): Promise<IteratorResult<StreamEvent>> {
    return this.iterator.next();
  }

  /** Stops iterating; cancels the execution when it has not ended. */
  return(): Promise<IteratorResult<StreamEvent>> {
    return this.iterator.return(undefined);
  }

  throw(error?: unknown): Promise<IteratorResult<StreamEvent>> {
    return this.iterator.throw(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** What `console.log(execution)` prints. */
  [inspect.custom](): string {
    return `Execution { id: ${this.id || '(refused)'}, state: ${this.settled ? 'ended' : 'running'} }`;
  }

  private push(event: StreamEvent): void {
    this.events.push(event);
    if (event.type === 'result') this.settled = true;
    this.wake?.();
  }

  private settle(): void {
    this.settled = true;
    this.wake?.();
  }

  private async *iterate(): AsyncGenerator<StreamEvent> {
    let done = false;
    try {
      for (;;) {
        const event = this.events.shift();
        if (event) {
          yield event;
          if (event.type === 'result') {
            done = true;
            return;
          }
          continue;
        }
        if (this.settled) {
          done = true;
          if (this.failure !== undefined) throw this.failure;
          return;
        }
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      // The consumer stopped early (break, return, throw): nobody wants the rest, so stop the execution.
      if (!done && !this.settled) this.controller.abort();
    }
  }
}
