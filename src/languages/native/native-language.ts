/**
 * What C and C++ share: a language definition built from the dialect. The program of a call is compiled
 * from the user's code (no pre-started instances); see compile-pipeline.ts for the build and its cache.
 */
import type { TypeVocabulary } from '../type-schema.js';
import type { LanguageDefinition, LanguageToolbox, ProgramPlan } from '../language.js';
import type { FunctionSignature } from '../signature.js';
import { assertArgumentsFit, assertSupportedSignature } from './check-arguments.js';
import { buildProgram, programKey, runtimeObject, type ProgramSources } from './compile-pipeline.js';
import { generateDispatcher } from './dispatcher.js';
import { inferNativeSignatures, type NativeDialect } from './inference.js';

/** What `prepare` produces: the runtime compiled to an object file. */
export interface NativePrepared {
  runtimeObject: Uint8Array;
}

/**
 * Type names for the JSON Schemas of `describe()` (the type parser keeps multi-word names such as
 * `unsigned long` whole, and a pointer as part of the name: `char*`). Names not listed read as "any value";
 * the call itself checks every value against the declared type.
 */
const TYPE_VOCABULARY: TypeVocabulary = {
  int: 'integer',
  long: 'integer',
  short: 'integer',
  unsigned: 'integer',
  signed: 'integer',
  int8_t: 'integer',
  int16_t: 'integer',
  int32_t: 'integer',
  int64_t: 'integer',
  uint8_t: 'integer',
  uint16_t: 'integer',
  uint32_t: 'integer',
  uint64_t: 'integer',
  size_t: 'integer',
  ssize_t: 'integer',
  ptrdiff_t: 'integer',
  float: 'number',
  double: 'number',
  bool: 'boolean',
  _Bool: 'boolean',
  'unsigned int': 'integer',
  'unsigned long': 'integer',
  'unsigned long long': 'integer',
  'long long': 'integer',
  'long int': 'integer',
  'unsigned short': 'integer',
  'signed int': 'integer',
  'char*': 'string',
  sandbox_json: 'any',
  string: 'string',
  'std::string': 'string',
  vector: 'array',
  'std::vector': 'array',
  map: 'map',
  'std::map': 'map',
  unordered_map: 'map',
  'std::unordered_map': 'map',
  optional: 'optional',
  'std::optional': 'optional',
  const: 'wrapper',
};

/** The user's working directory when the program runs. */
const WORKDIR = '/workspace';

/** The generated sources and cache key of the last build of a code, found by its signatures array. */
interface PlannedBuild {
  code: string;
  sources: ProgramSources;
  runtime: Uint8Array;
  key: string;
}

/**
 * A C or C++ language definition.
 *
 * @param id the language id (`c` or `cpp`), which is also the dialect
 * @param aliases other names accepted in requests
 */
export function nativeLanguage<const Id extends NativeDialect, const Alias extends string>(id: Id, aliases: readonly Alias[]): LanguageDefinition<NativePrepared, Id, Alias> {
  // The executor hands the same signatures array for the same code (it caches inference), so the
  // dispatcher and the cache key are computed once per code, and a repeated call only looks them up.
  const planned = new WeakMap<readonly FunctionSignature[], PlannedBuild>();

  const plan = (code: string, signatures: readonly FunctionSignature[], runtime: Uint8Array): PlannedBuild => {
    const known = planned.get(signatures);
    if (known && known.code === code && known.runtime === runtime) return known;
    const sources: ProgramSources = { dialect: id, userCode: code, dispatcher: generateDispatcher(signatures, id) };
    const build: PlannedBuild = { code, sources, runtime, key: programKey(sources, runtime) };
    planned.set(signatures, build);
    return build;
  };

  return {
    id,
    aliases,
    prestart: false,
    typeVocabulary: TYPE_VOCABULARY,
    inferSignatures: (code: string) => inferNativeSignatures(code, id),

    async prepare(toolbox: LanguageToolbox): Promise<NativePrepared> {
      return { runtimeObject: await runtimeObject(toolbox) };
    },

    checkArguments(signature, args, kwargs): void {
      assertSupportedSignature(signature, id);
      assertArgumentsFit(signature, args, kwargs);
    },

    async planProgram(code, signature, prepared, toolbox, signatures): Promise<ProgramPlan> {
      // Types were checked by checkArguments for calls; a session plans with all of the code's
      // functions, and the dispatcher leaves out the ones it cannot call.
      const runtime = prepared?.runtimeObject ?? (await runtimeObject(toolbox));
      const build = plan(code, signatures.includes(signature) ? signatures : [...signatures, signature], runtime);
      const wasm = await buildProgram(toolbox, build.sources, runtime, build.key);
      return {
        runtime: await toolbox.loadProgram(wasm),
        argv: ['program'],
        // The runtime makes $PWD the directory that relative paths resolve against.
        env: { PWD: WORKDIR },
        cwd: WORKDIR,
        baseFiles: [],
        callFiles: [],
      };
    },
  };
}
