/**
 * The language stage of an executor: the analysis of code (cached), each language's one-time
 * preparation, the plans of programs, and the prestarted instances each language keeps in the pool.
 */
import { createHash } from 'node:crypto';
import { contentDigest } from '../runtime/content-digest.js';
import { planToJob, type ProgramPlan } from '../runtime/program.js';
import { loadRuntimeAssets } from '../runtime/runtime-assets.js';
import type { WorkerPool } from '../runtime/worker-pool.js';
import type { JobLimits } from '../runtime/worker-protocol.js';
import { untilAborted } from '../runtime/shared-work.js';
import type { PlanPackages } from '../packages/package-support.js';
import type { CodeAnalysis, LanguageRuntime, PhaseProgress, ProgramInput, ProgramPhase } from './language.js';
import type { RegisteredLanguage } from './registry.js';
import type { ExecutorToolbox } from './toolbox.js';

/** What the user's program sees of its process (see `PlanRequest.env`). */
export interface ProcessView {
  env: Readonly<Record<string, string>>;
  argv: readonly string[];
}

const NO_PROCESS: ProcessView = { env: {}, argv: [] };

/** Analyses kept, most recently used last. */
const MAX_ANALYSES = 256;

/** What a caller of {@link ProgramPlanner.plan} adds: how long it waits, and where the phases go. */
export interface PlanWatch {
  /**
   * Ends the wait: `plan` rejects with the signal's reason at once. A build that no caller waits for any
   * more is stopped; the language's one-time preparation goes on (later calls need it).
   */
  signal?: AbortSignal;
  /** A phase of getting the program ready begins (`loading-runtime`, `compiling`), or reports progress. */
  onPhase?: (phase: ProgramPhase, progress?: PhaseProgress) => void;
}

/** What a program is planned with besides its code: the request's packages and a template's setup. */
export interface PlanExtras {
  packages?: PlanPackages;
  setup?: string;
}

/** How many prestarted instances a language gets, and the limits they start with. */
export type PrestartPolicy = (language: RegisteredLanguage) => { count: number; limits: JobLimits };

export class ProgramPlanner {
  private readonly analyses = new Map<string, CodeAnalysis>();
  private readonly preparations = new Map<string, Promise<unknown>>();
  /** Preparations that have finished: their language needs no `loading-runtime` phase any more. */
  private readonly prepared = new Set<string>();

  constructor(
    readonly toolbox: ExecutorToolbox,
    private readonly pool: WorkerPool,
    private readonly prestart: PrestartPolicy,
  ) {}

  /** What the language finds in `code`, read once per code (never throws). */
  analyze(language: RegisteredLanguage, code: string): CodeAnalysis {
    const key = `${language.id}\0${code}`;
    const found = this.analyses.get(key) ?? language.analyze(code);
    // Most recently used last: the oldest goes first when the cache is full.
    this.analyses.delete(key);
    if (this.analyses.size >= MAX_ANALYSES) this.analyses.delete(this.analyses.keys().next().value!);
    this.analyses.set(key, found);
    return found;
  }

  /**
   * Makes a language ready on one of its runtimes (by default its first): its one-time preparation (once
   * per runtime; a failure is tried again by the next call), the runtime sent to every started worker,
   * and its prestarted instances wanted.
   */
  ready(language: RegisteredLanguage, runtime: LanguageRuntime = language.runtimes[0]): Promise<unknown> {
    const key = `${language.id}/${runtime.name}`;
    let pending = this.preparations.get(key);
    if (!pending) {
      pending = (async () => {
        const prepared: unknown = await language.prepare?.({ toolbox: this.toolbox.forRuntime(runtime), runtime });
        if (language.prestart !== false) await this.startPrestarting(language, runtime, prepared);
        return prepared;
      })();
      this.preparations.set(key, pending);
      pending.then(
        () => this.prepared.add(key),
        () => this.preparations.delete(key),
      );
    }
    return pending;
  }

  /**
   * The program for `input` of `code` on `runtime` (one of the language's), after its preparation.
   *
   * @throws ProgramBuildError when the code does not build; the reason of `watch.signal` when it aborts first
   */
  async plan(
    language: RegisteredLanguage,
    runtime: LanguageRuntime,
    code: string,
    input: ProgramInput,
    memoryBytes: number,
    watch: PlanWatch & Partial<ProcessView> & PlanExtras = {},
  ): Promise<ProgramPlan> {
    const preparing = this.ready(language, runtime);
    if (!this.prepared.has(`${language.id}/${runtime.name}`)) watch.onPhase?.('loading-runtime');
    const prepared = await untilAborted(preparing, watch.signal);
    const analysis = this.analyze(language, code);
    const { signal, onPhase } = watch;
    const process: ProcessView = { env: watch.env ?? NO_PROCESS.env, argv: watch.argv ?? NO_PROCESS.argv };
    const planning = Promise.resolve().then(() =>
      language.planProgram({
        code,
        analysis,
        input,
        runtime,
        prepared,
        toolbox: this.toolbox.forRuntime(runtime),
        memoryBytes,
        signal,
        onPhase,
        ...process,
        packages: watch.packages,
        setup: watch.setup,
      }),
    );
    // A language that does not watch the signal is not waited for past it either.
    return untilAborted(planning, signal);
  }

  /**
   * The key of the prestarted instances that can run `plan`, if the language has them. Instances are
   * interchangeable when they run the same program with the same memory limit (fixed when an instance
   * starts; the other limits are applied when it is claimed).
   */
  prestartKey(language: RegisteredLanguage, plan: ProgramPlan, memoryBytes: number): string | undefined {
    if (language.prestart === false) return undefined;
    const hash = createHash('sha256');
    hash.update(JSON.stringify([plan.runtime.id, plan.argv, plan.env, plan.cwd, memoryBytes]));
    for (const file of plan.baseFiles) hash.update(file.path).update(contentDigest(file.data));
    for (const layer of plan.layers ?? []) hash.update(`\0layer\0${layer.id}\0${layer.path}`);
    return `${language.id}:${hash.digest('hex').slice(0, 16)}`;
  }

  /**
   * Keeps `count` prestarted instances of a template: the proxy with the template's packages, started
   * and its setup run, waiting for a call. Returns their key (calls of the template with the same
   * memory limit find them by it).
   */
  async prestartTemplate(
    language: RegisteredLanguage,
    extras: PlanExtras,
    limits: JobLimits,
    count: number,
    runtime: LanguageRuntime = language.runtimes[0],
  ): Promise<string | undefined> {
    if (language.prestart === false) return undefined;
    const prepared = await this.ready(language, runtime);
    const plan = await this.planProxyAlone(language, runtime, prepared, limits.memoryBytes, extras);
    const key = this.prestartKey(language, plan, limits.memoryBytes)!;
    if (count === 0) return key;
    const { prestart: _, ...job } = planToJob(plan, { limits, collectChanges: false, stdin: 'sip' }, true);
    this.pool.setPrestartTarget({ key, assets: () => loadRuntimeAssets(plan.runtime), job, layers: plan.layers }, count);
    return key;
  }

  /** Stops keeping the prestarted instances of `key`, and dismisses the idle ones. */
  stopPrestarting(key: string): void {
    this.pool.removePrestartTarget(key);
  }

  private async startPrestarting(language: RegisteredLanguage, runtime: LanguageRuntime, prepared: unknown): Promise<void> {
    const { count, limits } = this.prestart(language);
    const plan = await this.planProxyAlone(language, runtime, prepared, limits.memoryBytes);
    const assets = await loadRuntimeAssets(plan.runtime);
    for (const worker of this.pool.readyWorkers()) worker.loadRuntime(assets);
    if (count === 0) return;
    const { prestart: _, ...job } = planToJob(plan, { limits, collectChanges: false, stdin: 'sip' }, true);
    this.pool.setPrestartTarget({ key: this.prestartKey(language, plan, limits.memoryBytes)!, assets: () => loadRuntimeAssets(plan.runtime), job }, count);
  }

  /** Prestarted instances run the proxy alone (with a template's packages and setup): planned for no code. */
  private async planProxyAlone(
    language: RegisteredLanguage,
    runtime: LanguageRuntime,
    prepared: unknown,
    memoryBytes: number,
    extras: PlanExtras = {},
  ): Promise<ProgramPlan> {
    return await language.planProgram({
      code: '',
      analysis: language.analyze(''),
      input: { kind: 'module' },
      runtime,
      prepared,
      toolbox: this.toolbox.forRuntime(runtime),
      memoryBytes,
      ...NO_PROCESS,
      ...extras,
    });
  }
}
