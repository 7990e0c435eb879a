/**
 * A program to run in the sandbox, as a language plans it, and the one translation of a plan into the
 * job a worker runs (calls, sessions and prestarted instances alike).
 */
import type { RuntimeBinary } from './runtime-binary.js';
import type { ClaimSpec, DeterministicSpec, JobFile, JobLimits, JobSpec, LayerData } from './worker-protocol.js';

/** How to run a language's program (its proxy, or a program built from the user's code). */
export interface ProgramPlan {
  /** Interpreter (or compiled program) to run. */
  runtime: RuntimeBinary;
  argv: string[];
  env: Record<string, string>;
  /** Working directory of user code. */
  cwd: string;
  /**
   * Files that are the same for every call of this language (the proxy). A prestarted instance is
   * started with these and receives `callFiles` when it is claimed.
   */
  baseFiles: JobFile[];
  /** Files of this call: the user's code. */
  callFiles: JobFile[];
  /**
   * Read-only layers (packages) attached at their `path`, shared by every run that uses them. They are
   * part of the program: a prestarted instance starts with them.
   */
  layers?: PlanLayer[];
  /**
   * What the program reads on standard input: SIP frames, then the request's bytes (`sip`, the default: a
   * proxy), or the request's bytes alone (`raw`: the user's own program run as a script, as C's).
   */
  stdin?: 'sip' | 'raw';
}

/** A read-only layer of a plan and where the program sees it. */
export interface PlanLayer extends LayerData {
  /** Absolute path of the layer's root in the sandbox. */
  path: string;
}

/** What a job adds to its program: the request's files, limits and options. */
export interface JobOptions {
  /** Files besides the program's: mounted files and the request's `files`. */
  files?: JobFile[];
  /** Folders to create, even empty ones. */
  dirs?: string[];
  limits: JobLimits;
  /** Report the filesystem changes of the run. */
  collectChanges: boolean;
  deterministic?: DeterministicSpec;
  /** What standard input carries (see {@link JobSpec.stdin}). */
  stdin: JobSpec['stdin'];
}

/** The job that runs `plan` from its start, or (`prestart`) up to its first read, without the call's files. */
export function planToJob(plan: ProgramPlan, options: JobOptions, prestart = false): Omit<JobSpec, 'jobId'> {
  return {
    runtime: plan.runtime.id,
    argv: plan.argv,
    env: plan.env,
    cwd: plan.cwd,
    files: prestart ? plan.baseFiles : [...plan.baseFiles, ...callFiles(plan, options)],
    dirs: prestart ? undefined : options.dirs,
    layers: plan.layers?.map((layer) => ({ id: layer.id, path: layer.path })),
    limits: options.limits,
    prestart,
    collectChanges: options.collectChanges,
    deterministic: options.deterministic,
    stdin: options.stdin,
  };
}

/** What a prestarted instance of `plan` receives when a job claims it. */
export function planToClaim(plan: ProgramPlan, options: JobOptions, jobId: number): ClaimSpec {
  return { jobId, files: callFiles(plan, options), dirs: options.dirs, limits: options.limits, collectChanges: options.collectChanges };
}

function callFiles(plan: ProgramPlan, options: JobOptions): JobFile[] {
  return options.files ? [...plan.callFiles, ...options.files] : plan.callFiles;
}
