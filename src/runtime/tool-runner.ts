/**
 * Runs tools (compilers, precompile steps) in the sandbox for languages: a {@link LanguageToolbox}.
 */
import type { LanguageToolbox, ToolResult, ToolSpec } from '../languages/language.js';
import type { JobRunner } from './job-runner.js';
import { registerProgram } from './runtime-assets.js';
import type { RuntimeId } from './worker-protocol.js';

const TOOL_LIMITS = { memoryBytes: 1024 * 1024 * 1024, fsBytes: 512 * 1024 * 1024, outputBytes: 4 * 1024 * 1024 };

export class ToolRunner implements LanguageToolbox {
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
