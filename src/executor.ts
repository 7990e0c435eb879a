/**
 * SandboxExecutor: the one place that strings the stages of a call together.
 *
 * request (check, pick the function, encode) → language (plan the proxy program) → runtime (a worker
 * runs it, SIP frame on stdin) → result (collect output and the result frame, build the result).
 */
import { availableParallelism } from 'node:os';
import { ExecutionTimeoutError, ExecutorClosedError, InvalidRequestError, SandboxCrashError, UserCodeError } from './errors.js';
import type { LanguageDefinition } from './languages/language.js';
import type { FunctionSignature } from './languages/signature.js';
import { encodeSipFrameFromJson } from './protocol/sip.js';
import { encodeCall } from './request/encode-call.js';
import { normalizeRequest, type NormalizedRequest } from './request/normalize-request.js';
import { resolveFunction } from './request/resolve-function.js';
import { buildResult } from './result/build-result.js';
import { JobRunner } from './runtime/job-runner.js';
import { ToolRunner } from './runtime/tool-runner.js';
import { WorkerPool } from './runtime/worker-pool.js';
import type { ExecutionRequest, ExecutionResult, SandboxExecutorOptions } from './types.js';

const DEFAULTS = {
  timeoutMs: 30_000,
  maxPayloadBytes: 64 * 1024 * 1024,
  memoryLimitMb: 512,
  maxOutputBytes: 16 * 1024 * 1024,
  fsLimitBytes: 256 * 1024 * 1024,
};

/** A request checked and encoded, ready to run. */
interface PreparedCall {
  request: NormalizedRequest;
  signature: FunctionSignature;
  frame: Uint8Array;
}

let nextExecutionId = 1;

/**
 * Runs functions written in other languages inside a WebAssembly sandbox.
 *
 * ```ts
 * const executor = new SandboxExecutor();
 * const r = await executor.invoke({ language: 'python', code, functionName: 'add', args: [1, 2] });
 * r.result; // 3
 * await executor.close();
 * ```
 */
export class SandboxExecutor {
  private readonly options: Required<Pick<SandboxExecutorOptions, 'timeoutMs' | 'maxPayloadBytes' | 'poolSize'>>;
  private readonly pool: WorkerPool;
  private readonly runner: JobRunner;
  private readonly tools: ToolRunner;
  private readonly preparations = new Map<string, Promise<unknown>>();
  private readonly signatureCache = new Map<string, FunctionSignature[]>();
  private closed = false;

  constructor(options: SandboxExecutorOptions = {}) {
    const poolSize = options.poolSize ?? availableParallelism();
    if (!Number.isInteger(poolSize) || poolSize < 1) throw new InvalidRequestError('poolSize', 'poolSize must be a positive integer.');
    this.options = {
      timeoutMs: options.timeoutMs ?? DEFAULTS.timeoutMs,
      maxPayloadBytes: options.maxPayloadBytes ?? DEFAULTS.maxPayloadBytes,
      poolSize,
    };
    this.pool = new WorkerPool({ size: poolSize });
    this.runner = new JobRunner(this.pool);
    this.tools = new ToolRunner(this.runner);
  }

  /**
   * Runs a call and resolves with its {@link ExecutionResult}, whatever the user's code did.
   *
   * Rejects only when the request is wrong before anything runs (unknown language, function not found,
   * unserializable argument…) or the executor is closed.
   */
  async invoke<T = unknown>(request: ExecutionRequest): Promise<ExecutionResult<T>> {
    const prepared = this.prepare(request);
    return (await this.execute(prepared)) as ExecutionResult<T>;
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
    const result = await this.invoke<T>(request);
    switch (result.status) {
      case 'success':
        return result.result as T;
      case 'error':
        throw new UserCodeError(result);
      case 'timeout':
        throw new ExecutionTimeoutError(result);
      default:
        throw new SandboxCrashError(result);
    }
  }

  /** Stops all workers. Calls in flight end with status `crash`; later calls reject. */
  async close(): Promise<void> {
    this.closed = true;
    await this.pool.close();
  }

  private prepare(request: ExecutionRequest): PreparedCall {
    if (this.closed) throw new ExecutorClosedError();
    const normalized = normalizeRequest(request, { timeoutMs: this.options.timeoutMs });
    const signature = resolveFunction(this.signatures(normalized.language, normalized.code), normalized.functionName);
    const encoded = encodeCall(signature.name, normalized.args, normalized.kwargs, this.options.maxPayloadBytes);
    return { request: normalized, signature, frame: encodeSipFrameFromJson('A', encoded.json) };
  }

  private signatures(language: LanguageDefinition, code: string): FunctionSignature[] {
    const key = `${language.id}\0${code}`;
    let found = this.signatureCache.get(key);
    if (!found) {
      found = language.inferSignatures(code);
      if (this.signatureCache.size >= 256) this.signatureCache.delete(this.signatureCache.keys().next().value!);
      this.signatureCache.set(key, found);
    }
    return found;
  }

  /** One-time preparation of a language (cached; a failure leaves calls on the unprepared path). */
  private prepared(language: LanguageDefinition): Promise<unknown> {
    let pending = this.preparations.get(language.id);
    if (!pending) {
      pending = language.prepare ? language.prepare(this.tools).catch(() => undefined) : Promise.resolve(undefined);
      this.preparations.set(language.id, pending);
    }
    return pending;
  }

  private async execute(call: PreparedCall): Promise<ExecutionResult> {
    const { request, signature } = call;
    const id = `exec-${nextExecutionId++}`;
    const plan = request.language.planProgram(request.code, signature, await this.prepared(request.language));
    const report = await this.runner.run({
      runtime: plan.runtime,
      argv: plan.argv,
      env: plan.env,
      cwd: plan.cwd,
      files: [...plan.baseFiles, ...plan.callFiles],
      stdin: request.stdin ? [call.frame, request.stdin] : [call.frame],
      limits: { memoryBytes: DEFAULTS.memoryLimitMb * 1024 * 1024, fsBytes: DEFAULTS.fsLimitBytes, outputBytes: DEFAULTS.maxOutputBytes },
      timeoutMs: request.timeoutMs,
      collectChanges: false,
    });
    return buildResult({
      id,
      language: request.language.id,
      functionName: signature.name,
      outcome: report.outcome,
      frame: report.frames[report.frames.length - 1],
      collector: report.collector,
      durationMs: report.durationMs,
      timedOut: report.timedOut,
      timeoutMs: request.timeoutMs,
      maxOutputBytes: DEFAULTS.maxOutputBytes,
    });
  }
}
