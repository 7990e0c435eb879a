/**
 * A context: a live interpreter that keeps what its snippets define (variables, imports, functions,
 * classes) for the snippets after them, as a notebook's kernel does. It is a session without code: one
 * persistent job on a worker of its own, one turn per snippet or call, the same limits and the same
 * rules (a snippet that raises leaves it usable; a timeout, a crash, an exit or a cancellation ends it).
 */
import { inspect } from 'node:util';
import { resultValue } from '../result/result-value.js';
import type { ContextRunOptions, ExecutionResult, Language, SessionCallRequest } from '../types.js';
import type { Session, SessionCall } from './session.js';

/** What a context needs from its executor: its snippets and calls checked and encoded. */
export interface ContextHost {
  /** @param number the snippet's number in the context, from 1 @throws the request errors */
  prepareSnippet(code: unknown, options: ContextRunOptions | undefined, number: number): SessionCall;
}

let nextContextId = 1;

/**
 * A live interpreter for snippets of code. Create one with `SandboxExecutor.createContext()`; close it
 * with `close()` (or `await using`).
 *
 * ```ts
 * await using context = await executor.createContext({ language: 'python' });
 * await context.run('import math\nr = 2');
 * (await context.run('math.pi * r ** 2')).result; // 12.566370614359172
 * ```
 */
export class Context {
  /** Identifier of the context, unique within the process. */
  readonly id = `context-${nextContextId++}`;
  private snippets = 0;

  /** @internal created by the executor */
  constructor(
    private readonly session: Session,
    private readonly host: ContextHost,
  ) {}

  /** Language of the context. */
  get language(): Language {
    return this.session.language;
  }

  /** `open` until the context is closed. */
  get state(): 'open' | 'closed' {
    return this.session.state;
  }

  /** Why the context closed, once it has. */
  get closedReason(): string | undefined {
    return this.session.closedReason;
  }

  /**
   * Runs a snippet in the context and resolves with its {@link ExecutionResult}, whatever its code did:
   * `result` is the value of its last expression (as `run()` gives it), `stdout` and `stderr` what this
   * snippet wrote. Snippets and calls run one at a time, in the order they were made.
   *
   * @throws SessionClosedError when the context is (or gets) closed before the snippet runs; request
   *   errors before anything runs; ExecutionCancelledError when `options.signal` aborts it
   */
  run<T = unknown>(code: string, options?: ContextRunOptions): Promise<ExecutionResult<T>> {
    return this.session.enqueue<T>(options ?? {}, () => this.host.prepareSnippet(code, options, ++this.snippets));
  }

  /**
   * Calls a function that a snippet defined, and returns its value.
   *
   * @throws UserCodeError, ExecutionTimeoutError, SandboxCrashError (carrying the result), SessionClosedError
   */
  async call<T = unknown>(functionName: string, args: readonly unknown[] = [], kwargs: Readonly<Record<string, unknown>> = {}): Promise<T> {
    return resultValue(await this.invoke<T>({ functionName, args, kwargs }));
  }

  /**
   * Calls a function that a snippet defined, and resolves with the full {@link ExecutionResult}.
   *
   * @throws as {@link run}
   */
  invoke<T = unknown>(request: SessionCallRequest): Promise<ExecutionResult<T>> {
    return this.session.invoke<T>(request);
  }

  /** Stops the interpreter. Snippets waiting in line reject with `SessionClosedError`; a running one ends as `crash`. */
  close(): Promise<void> {
    return this.session.close();
  }

  /** Same as {@link close}, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** What `console.log(context)` prints: a summary, not the worker handle and timers. */
  [inspect.custom](): string {
    const reason = this.closedReason;
    return `Context { id: ${this.id}, language: ${this.language}, state: ${this.state}${reason === undefined ? '' : `, closedReason: ${JSON.stringify(reason)}`} }`;
  }
}
