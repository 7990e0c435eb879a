/**
 * What the interpreted languages share: a proxy filled from its template once per process (compiled
 * inside the sandbox by the interpreter itself where it can be), and a plan that starts the interpreter
 * on the proxy, with the user's code as a separate file in the machinery's folder.
 */
import type { PlanPackages } from '../packages/package-support.js';
import { SANDBOX_DIR, WORKDIR } from '../protocol/proxy-contract.js';
import type { ProgramPlan } from '../runtime/program.js';
import type { RuntimeBinary } from '../runtime/runtime-binary.js';
import type { JobFile } from '../runtime/worker-protocol.js';
import type { LanguageToolbox } from './language.js';

const encoder = new TextEncoder();

/** A proxy ready to start: the same for every call of its language. */
export interface PreparedProxy {
  /** The file the interpreter is started with. */
  entry: string;
  /** The proxy's files. */
  files: JobFile[];
}

/** How to compile a proxy inside the sandbox, once per process, with its own interpreter. */
export interface ProxyCompilation {
  /** The interpreter, by its name in the language's runtime. */
  binary: string;
  /** The interpreter's arguments before the script's path. */
  argv: string[];
  env: Record<string, string>;
  /** The compile script's template; its placeholders `{{SOURCE_PATH}}` and `{{TARGET_PATH}}` say what to compile where. */
  script: string;
  /** Name of the compiled file, written under `/tmp` (a tool run reports the files it writes, except under the machinery's folder). */
  target: string;
  /** The proxy made of the compiled bytes. */
  proxy(compiled: Uint8Array): PreparedProxy;
}

/**
 * Fills a proxy template (or the templates of its parts, joined) into `path` and, with `compile`,
 * compiles it. A compilation that fails leaves
 * the source proxy, which works the same, only starts slower.
 *
 * @throws RuntimeUnavailableError when a template is missing
 */
export async function prepareProxy(
  toolbox: LanguageToolbox,
  options: { template: string | readonly string[]; values?: Record<string, string>; path: string; compile?: ProxyCompilation },
): Promise<PreparedProxy> {
  // A proxy written in parts is joined into one program, in order.
  const parts = typeof options.template === 'string' ? [options.template] : options.template;
  const text = parts.map((part) => toolbox.template(part, options.values)).join('\n');
  const source: PreparedProxy = { entry: options.path, files: [{ path: options.path, data: encoder.encode(text) }] };
  const compile = options.compile;
  if (!compile) return source;
  const scriptPath = `${SANDBOX_DIR}/compile_proxy`;
  const target = `/tmp/${compile.target}`;
  const script = toolbox.template(compile.script, { SOURCE_PATH: options.path, TARGET_PATH: target });
  const run = await toolbox.runTool({
    runtime: compile.binary,
    argv: [...compile.argv, scriptPath],
    env: compile.env,
    files: [...source.files, { path: scriptPath, data: encoder.encode(script) }],
  });
  const compiled = run.files.get(target);
  return run.exitCode === 0 && compiled ? compile.proxy(compiled) : source;
}

/** A file of the user's code, in the machinery's folder. */
export function userCodeFile(name: string, code: string): JobFile {
  return { path: `${SANDBOX_DIR}/${name}`, data: encoder.encode(code) };
}

/** The plan that starts `argv` on the proxy's entry, in the working directory, with the call's files. */
export function proxyPlan(options: {
  runtime: RuntimeBinary;
  argv: string[];
  env: Record<string, string>;
  proxy: PreparedProxy;
  callFiles: JobFile[];
  /** The request's packages: their layers are attached read-only. */
  packages?: PlanPackages;
  /** A template's setup code, and the path the proxy runs it from (part of the program: prestarted instances run it). */
  setup?: { path: string; code: string };
}): ProgramPlan {
  const plan: ProgramPlan = {
    runtime: options.runtime,
    argv: [...options.argv, options.proxy.entry],
    env: options.env,
    cwd: WORKDIR,
    baseFiles: options.setup ? [...options.proxy.files, { path: options.setup.path, data: encoder.encode(options.setup.code) }] : options.proxy.files,
    callFiles: options.callFiles,
  };
  if (options.packages) plan.layers = options.packages.layers;
  return plan;
}
