/**
 * Runs tools (compilers, precompile steps) in the sandbox for languages.
 */
import type { JobRunner } from './job-runner.js';
import type { RuntimeBinary } from './runtime-binary.js';
import type { JobFile } from './worker-protocol.js';

/** A program run in the sandbox as a tool (a compiler, a precompile step), not as a call. */
export interface ToolSpec {
  /** The tool's binary, by its name in the runtime of the language that runs it (`clang`, `python`). */
  runtime: string;
  argv: string[];
  env?: Record<string, string>;
  cwd?: string;
  files: JobFile[];
  timeoutMs?: number;
  /** Stops the tool (its worker is terminated): the run then ends with `failure` `cancelled`. */
  signal?: AbortSignal;
}

/** What a tool run produced. */
export interface ToolResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  /** Files the tool created or modified, by absolute path. */
  files: Map<string, Uint8Array>;
  /** Why the run failed, when it did not exit normally. */
  failure?: string;
}

const TOOL_LIMITS = { memoryBytes: 1024 * 1024 * 1024, fsBytes: 512 * 1024 * 1024, outputBytes: 4 * 1024 * 1024 };

/** Runs tools for languages (behind the `runTool` of their toolbox). */
export class ToolRunner {
  /**
   * @param defaultTimeoutMs the longest a tool run may take when its spec sets no limit (the executor's
   *   `compileTimeoutMs`): no build runs unbounded, even one that no call waits for with a deadline
   */
  constructor(
    private readonly runner: JobRunner,
    private readonly defaultTimeoutMs = 120_000,
  ) {}

  /** Runs `binary` as the tool `spec` describes, and collects the files it wrote. */
  async runTool(spec: ToolSpec, binary: RuntimeBinary): Promise<ToolResult> {
    if (this.runner.faults.stallTools) return stalledTool(spec, spec.timeoutMs ?? this.defaultTimeoutMs);
    const report = await this.runner.run({
      program: { runtime: binary, argv: spec.argv, env: spec.env ?? {}, cwd: spec.cwd ?? '/', baseFiles: spec.files, callFiles: [] },
      input: [],
      limits: TOOL_LIMITS,
      timeoutMs: spec.timeoutMs ?? this.defaultTimeoutMs,
      collectChanges: true,
      stdin: 'raw',
      signal: spec.signal,
    });
    const files = new Map<string, Uint8Array>();
    let exitCode: number | null = null;
    let failure: string | undefined;
    if (report.outcome?.type === 'done') {
      for (const change of report.outcome.changes ?? []) {
        if (change.kind === 'file' && change.data && change.change !== 'deleted') files.set(change.path, change.data);
      }
      if (report.outcome.end.kind === 'exit') exitCode = report.outcome.end.code;
      else failure = report.outcome.end.kind === 'trap' ? `trap: ${report.outcome.end.message}` : report.outcome.end.kind;
    } else {
      failure = report.timedOut ? 'timed out' : report.cancelled ? 'cancelled' : (report.outcome?.reason ?? 'cancelled');
    }
    return { exitCode, stdout: report.collector.stdout(), stderr: report.collector.stderr(), files, failure };
  }
}

/**
 * The `stallTools` fault: a tool run that never finishes by itself (a compiler that hangs), ended only by
 * its signal or its time limit, as a real run would be.
 */
async function stalledTool(spec: ToolSpec, timeoutMs: number): Promise<ToolResult> {
  const failure = await new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('timed out'), timeoutMs);
    spec.signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve('cancelled');
      },
      { once: true },
    );
    if (spec.signal?.aborted) resolve('cancelled');
  });
  return { exitCode: null, stdout: '', stderr: '', files: new Map(), failure };
}
