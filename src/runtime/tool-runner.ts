/**
 * Runs tools (compilers, precompile steps) in the sandbox for languages.
 */
import type { JobRunner } from './job-runner.js';
import { registerProgram } from './runtime-assets.js';
import type { JobFile, RuntimeId } from './worker-protocol.js';

/** A program run in the sandbox as a tool (a compiler, a precompile step), not as a call. */
export interface ToolSpec {
  runtime: RuntimeId;
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

/** Runs tools for languages (it is the executor's `LanguageToolbox`). */
export class ToolRunner {
  constructor(
    private readonly runner: JobRunner,
    readonly cacheDir: string | undefined,
  ) {}

  loadProgram(wasm: Uint8Array): Promise<RuntimeId> {
    return registerProgram(wasm);
  }

  async runTool(spec: ToolSpec): Promise<ToolResult> {
    const report = await this.runner.run({
      runtime: spec.runtime,
      argv: spec.argv,
      env: spec.env ?? {},
      cwd: spec.cwd ?? '/',
      baseFiles: spec.files,
      callFiles: [],
      stdin: [],
      limits: TOOL_LIMITS,
      timeoutMs: spec.timeoutMs ?? 120_000,
      collectChanges: true,
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
