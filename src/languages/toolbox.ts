/**
 * The services an executor offers to its languages: tools run in the sandbox, programs built at run
 * time, and the proxy templates. Each runtime of a language gets its own view, whose tools are the
 * runtime's binaries by name.
 */
import { RuntimeUnavailableError } from '../errors.js';
import { registerProgram } from '../runtime/runtime-assets.js';
import type { RuntimeBinary } from '../runtime/runtime-binary.js';
import type { ToolResult, ToolRunner, ToolSpec } from '../runtime/tool-runner.js';
import type { LanguageRuntime, LanguageToolbox } from './language.js';
import { TemplateLoader } from './templates.js';

export class ExecutorToolbox {
  /** The executor's templates, each read once. */
  readonly templates = new TemplateLoader();
  private readonly views = new Map<LanguageRuntime, LanguageToolbox>();

  constructor(
    private readonly tools: ToolRunner,
    private readonly cacheDir: string | undefined,
  ) {}

  /** The toolbox of one runtime of a language (the same object for the same runtime). */
  forRuntime(runtime: LanguageRuntime): LanguageToolbox {
    let view = this.views.get(runtime);
    if (!view) {
      view = new RuntimeToolbox(this.tools, this.templates, this.cacheDir, runtime);
      this.views.set(runtime, view);
    }
    return view;
  }
}

class RuntimeToolbox implements LanguageToolbox {
  constructor(
    private readonly tools: ToolRunner,
    private readonly templates: TemplateLoader,
    readonly cacheDir: string | undefined,
    private readonly runtime: LanguageRuntime,
  ) {}

  runTool(spec: ToolSpec): Promise<ToolResult> {
    const binary = this.runtime.binaries[spec.runtime];
    if (!binary) return Promise.reject(new RuntimeUnavailableError(`The runtime ${this.runtime.name} has no binary named ${spec.runtime}.`));
    return this.tools.runTool(spec, binary);
  }

  loadProgram(wasm: Uint8Array): Promise<RuntimeBinary> {
    return registerProgram(wasm);
  }

  template(path: string, values?: Readonly<Record<string, string>>): string {
    return this.templates.template(path, values);
  }
}
