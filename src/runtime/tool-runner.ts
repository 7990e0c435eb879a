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
  constructor(private readonly runner: JobRunner) {}

  /** Runs `binary` as the tool `spec` describes, and collects the files it wrote. */
  async runTool(spec: ToolSpec, binary: RuntimeBinary): Promise<ToolResult> {
    const report = await this.runner.run({
      program: { runtime: binary, argv: spec.argv, env: spec.env ?? {}, cwd: spec.cwd ?? '/', baseFiles: spec.files, callFiles: [] },
      input: [],
      limits: TOOL_LIMITS,
      timeoutMs: spec.timeoutMs ?? 120_000,
      collectChanges: true,
      stdin: 'raw',
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
      failure = report.timedOut ? 'timed out' : (report.outcome?.reason ?? 'cancelled');
    }
    return { exitCode, stdout: report.collector.stdout(), stderr: report.collector.stderr(), files, failure };
  }
}
