/**
 * The `sandbox-executor` command: run a function from a file, describe a file's functions, or serve the
 * HTTP adapter.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { SandboxError } from '../errors.js';
import { SandboxExecutor } from '../executor.js';
import { defaultCacheDir } from './cache-folder.js';
import { ProgressLine } from './progress-line.js';
import { languageOfFile, SUPPORTED_LANGUAGES } from '../languages/registry.js';
import { decodeWireJson } from '../protocol/wire-value.js';
import { createSandboxServer } from '../server/http-server.js';
import { isLoopback } from '../server/request-guard.js';
import { resultToJson } from '../server/json-result.js';
import { SCRIPT_EXIT } from '../result/build-result.js';
import type { Execution } from '../result/execution-handle.js';
import type { ExecutionRequest, ExecutionResult, LanguageInput, SandboxExecutorOptions, ScriptRequest, TemplateDefinition } from '../types.js';

/** Exit codes: 0 success, 1 the function failed, 2 timeout, 3 crash, 64 bad usage, 70 internal failure. */
const EXIT = { ok: 0, error: 1, timeout: 2, crash: 3, usage: 64, internal: 70 } as const;

const HELP = {
  main: `Usage: sandbox-executor <command> [options]

Runs functions written in ${SUPPORTED_LANGUAGES.join(', ')} inside a WebAssembly sandbox.

Commands:
  run <file>        run <file> as a script, or call one of its functions (--fn) and print its result
  describe <file>   list the functions of <file> with their parameters, as JSON
  serve             start the HTTP adapter

Run "sandbox-executor <command> --help" for the options of a command.
`,
  run: `Usage: sandbox-executor run <file> [options] [-- <arguments>]

Without --fn, --args or --kwargs, runs <file> as a script: its arguments are those after --, its
standard input is this command's (or --stdin), its output streams as it runs, and this command exits
with the script's exit code. With them, calls a function of <file>; its stdout and stderr are streamed
as it runs, then the result is printed.

Options:
  --fn <name>           function to call (default: the only function of the file, when --args or
                        --kwargs is given)
  --args <json>         positional arguments, a JSON array (default [])
  --kwargs <json>       keyword arguments, a JSON object (default {})
  --language <name>     language of the file (default: from its extension)
  --runtime <name>      runtime of the language to run on (default: its first; Python: cpython or runno)
  --timeout <ms>        time limit in milliseconds (default 30000)
  --memory <mb>         memory limit in MiB (default 512)
  --stdin <text>        text given to the program's standard input (instead of this command's, for a
                        script)
  --env <name=value>    an environment variable of the program (repeatable; nothing else of this
                        command's environment reaches it, besides HOME=/workspace and TMPDIR=/tmp)
  --mount <dir>         load <dir> as /workspace (read-only unless --write)
  --write               allow the call to create and modify files in the mounted folder
  --deterministic       fixed clock and random numbers (seed 0)
  --json                print the whole result as JSON instead of the value
  --compile-timeout <ms>  longest wait for the program to load and compile (default 120000);
                        --timeout bounds the run alone
  --cache-dir <dir>     keep compiled programs (C, C++) in <dir> (default: $XDG_CACHE_HOME or
                        ~/.cache, in sandbox-executor/)
  --no-cache            compile again on every run, keep nothing
  -q, --quiet           no progress line on stderr while the runtime loads or the program compiles
                        (shown only on a terminal, after about half a second)
  -h, --help            show this help

Exit code: a script's own exit code (1 for an uncaught error or a compile error); for a call, 0 success,
1 the function raised or failed to compile. Both: 2 timeout, 3 crash, 64 bad usage.
`,
  describe: `Usage: sandbox-executor describe <file> [--language <name>]

Prints the callable functions of <file> with their parameters and a JSON Schema of their arguments.
`,
  serve: `Usage: sandbox-executor serve [options]

Starts the HTTP adapter: POST /api/sandbox/exec, GET /api/sandbox/exec/<id>/events (Server-Sent Events),
POST /api/sandbox/describe, GET /api/sandbox/languages, GET /api/sandbox/health; and the playground, a
web page to edit code and watch it run, at /.

Options:
  --port <n>                 port (default 3000; 0 picks a free one)
  --host <address>           address to listen on (default 127.0.0.1); any other than loopback needs
                             --token, or --insecure
  --token <secret>           require "Authorization: Bearer <secret>" on every request (default: the
                             SANDBOX_EXECUTOR_TOKEN environment variable, which keeps it out of ps)
  --insecure                 listen on a non-loopback address without a token
  --allow-host <name>        accept this Host header too, e.g. a reverse proxy's name (repeatable)
  --allow-origin <origin>    let web pages of this origin call the server (repeatable)
  --allow-mount <dir>        let requests mount folders inside <dir>, read-only (repeatable)
  --allow-mount-write <dir>  the same, and let calls create and modify files there (repeatable)
  --templates <file.json>    define the templates of this JSON file ({ "name": { "language", "packages",
                             "files", "env", "setup", "limits" } }; package paths relative to the file)
  --max-timeout <ms>         cap on a request's timeoutMs (default 30000)
  --max-body <bytes>         largest request body (default 1048576)
  --max-memory <mb>          largest memoryLimitMb a request may ask for (default 1024)
  --max-output <bytes>       largest maxOutputBytes a request may ask for (default 16777216)
  --max-fs <bytes>           largest files total or mount limit a request may ask for (default 268435456)
  --max-jobs <n>             calls run at once (default: the number of CPU cores)
  --max-pending <n>          calls that may wait; more get 503 at once (default 32)
  --max-connections <n>      open connections (default 256)
  --open                     open the playground in the default web browser
  --playground-path <path>   serve the playground at <path> (default /)
  --no-playground            do not serve the playground (the API alone)
  -h, --help                 show this help
`,
};

class UsageError extends Error {}

/** The streams of the command: its output, and the standard input a script reads. */
export interface CommandIO {
  stdout: NodeJS.WritableStream;
  /** Progress is shown on it when it is a terminal (`isTTY`). */
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin?: NodeJS.ReadableStream;
  /** @internal How long a phase lasts before the progress line shows it (default 500 ms; tests pass 0). */
  progressDelayMs?: number;
  /** @internal Opens a URL in a web browser (`serve --open`; default: the platform's opener). Tests pass their own. */
  openUrl?: (url: string) => void;
  /** @internal Resolves to stop `serve` (default: SIGINT or SIGTERM). */
  stopSignal?: Promise<void>;
}

/** Runs the command line; resolves with the exit code. */
export async function main(argv: readonly string[], io: CommandIO = process): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'run':
        return await runCommand(rest, io);
      case 'describe':
        return await describeCommand(rest, io);
      case 'serve':
        return await serveCommand(rest, io);
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(HELP.main);
        return command === undefined ? EXIT.usage : EXIT.ok;
      default:
        throw new UsageError(`Unknown command ${JSON.stringify(command)}.`);
    }
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr.write(
        `sandbox-executor: ${(error as Error).message}\n${command && command in HELP ? `Run "sandbox-executor ${command} --help".` : 'Run "sandbox-executor --help".'}\n`,
      );
      return EXIT.usage;
    }
    if (error instanceof SandboxError) {
      io.stderr.write(`sandbox-executor: ${error.name}: ${commandLineTerms(error.message)}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`sandbox-executor: ${(error as Error)?.stack ?? String(error)}\n`);
    return EXIT.internal;
  }
}

/** An error message of the library in the terms of the command line: `--fn` where it says `functionName`. */
function commandLineTerms(message: string): string {
  return message.replace(/\bfunctionName\b/g, '--fn');
}

function parse<T extends NonNullable<ParseArgsConfig['options']>>(args: readonly string[], options: T) {
  return parseArgs({ args: [...args], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
}

async function readSource(file: string | undefined, language: string | undefined): Promise<{ code: string; language: LanguageInput }> {
  if (!file) throw new UsageError('Missing <file>.');
  const code = await readFile(file, 'utf8').catch((error: Error) => {
    throw new UsageError(`Cannot read ${file}: ${error.message}`);
  });
  const detected = language ?? languageOfFile(file)?.id;
  if (!detected) throw new UsageError(`Cannot tell the language of ${file} from its extension; pass --language.`);
  // Checked by the executor, which lists the supported names.
  return { code, language: detected as LanguageInput };
}

function json(text: string | undefined, what: string, fallback: unknown): unknown {
  if (text === undefined) return fallback;
  try {
    return decodeWireJson(text);
  } catch (error) {
    throw new UsageError(`${what} is not valid JSON: ${(error as Error).message}`);
  }
}

function number(text: string | undefined, what: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${what} must be a positive number, got ${JSON.stringify(text)}.`);
  return value;
}

async function runCommand(commandArgs: readonly string[], io: CommandIO): Promise<number> {
  // What follows `--` is the program's own arguments.
  const dashes = commandArgs.indexOf('--');
  const args = dashes < 0 ? commandArgs : commandArgs.slice(0, dashes);
  const programArgv = dashes < 0 ? [] : commandArgs.slice(dashes + 1);
  const { values, positionals } = parse(args, {
    fn: { type: 'string' },
    args: { type: 'string' },
    kwargs: { type: 'string' },
    language: { type: 'string' },
    runtime: { type: 'string' },
    timeout: { type: 'string' },
    memory: { type: 'string' },
    stdin: { type: 'string' },
    env: { type: 'string', multiple: true },
    mount: { type: 'string' },
    write: { type: 'boolean' },
    deterministic: { type: 'boolean' },
    json: { type: 'boolean' },
    'compile-timeout': { type: 'string' },
    'cache-dir': { type: 'string' },
    'no-cache': { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
  });
  if (values.help) {
    io.stdout.write(HELP.run);
    return EXIT.ok;
  }
  if (positionals.length > 1) throw new UsageError(`Unexpected arguments: ${positionals.slice(1).join(' ')}.`);
  const source = await readSource(positionals[0], values.language);
  const env: Record<string, string> = {};
  for (const entry of values.env ?? []) {
    const at = entry.indexOf('=');
    if (at <= 0) throw new UsageError(`--env takes name=value, got ${JSON.stringify(entry)}.`);
    env[entry.slice(0, at)] = entry.slice(at + 1);
  }
  if (values.write && !values.mount) throw new UsageError('--write needs --mount.');
  if (values['no-cache'] && values['cache-dir'] !== undefined) throw new UsageError('--no-cache and --cache-dir exclude each other.');
  const compileTimeoutMs = number(values['compile-timeout'], '--compile-timeout');
  const progress = new ProgressLine(io.stderr, {
    enabled: !values.quiet && io.stderr.isTTY === true && process.env.TERM !== 'dumb',
    delayMs: io.progressDelayMs,
  });
  // One run: no pool to keep warm. Compiled programs are kept between runs, in a folder per user.
  const cacheDir = values['no-cache'] ? undefined : values['cache-dir'] !== undefined ? resolve(values['cache-dir']) : defaultCacheDir();
  const executorOptions: SandboxExecutorOptions = { poolSize: 1, prestart: 0, cacheDir, compileTimeoutMs };
  const script = values.fn === undefined && values.args === undefined && values.kwargs === undefined;
  const common = {
    language: source.language,
    code: source.code,
    runtime: values.runtime,
    timeoutMs: number(values.timeout, '--timeout'),
    memoryLimitMb: number(values.memory, '--memory'),
    deterministic: values.deterministic ? {} : undefined,
    env,
    argv: programArgv,
    // Output goes to the terminal as it comes; with --json the result document stays alone on stdout.
    onStdout: (data: string) => (values.json ? io.stderr : io.stdout).write(data),
    onStderr: (data: string) => io.stderr.write(data),
    onPhase: progress.onPhase,
    ...(values.mount ? { mounts: [{ hostPath: resolve(values.mount) }] } : {}),
    ...(values.write ? { permissions: { rules: [{ pattern: '**', allow: ['read', 'create', 'modify'] as const }] } } : {}),
  };
  if (script) {
    const input = values.stdin === undefined ? io.stdin : undefined;
    return runScript({ ...common, kind: 'script', stdin: values.stdin }, { executorOptions, progress, input, asJson: values.json === true }, io);
  }
  const callArgs = json(values.args, '--args', []);
  const kwargs = json(values.kwargs, '--kwargs', {});
  if (!Array.isArray(callArgs)) throw new UsageError('--args must be a JSON array.');
  if (kwargs === null || typeof kwargs !== 'object' || Array.isArray(kwargs)) throw new UsageError('--kwargs must be a JSON object.');

  const request: ExecutionRequest = { ...common, functionName: values.fn, args: callArgs, kwargs: kwargs as Record<string, unknown>, stdin: values.stdin };
  const executor = new SandboxExecutor(executorOptions);
  let result: ExecutionResult;
  try {
    result = await executor.invoke(request);
  } finally {
    progress.clear();
    await executor.close();
  }
  if (values.json) io.stdout.write(`${JSON.stringify(resultToJson(result), null, 2)}\n`);
  else printResult(result, io);
  return result.status === 'success' ? EXIT.ok : result.status === 'error' ? EXIT.error : result.status === 'timeout' ? EXIT.timeout : EXIT.crash;
}

/**
 * Runs a script with this command's standard input piped to it as it comes (unless `--stdin` gave it),
 * and resolves with the script's exit code.
 */
async function runScript(
  request: ScriptRequest & { kind: 'script' },
  how: { executorOptions: SandboxExecutorOptions; progress: ProgressLine; input: NodeJS.ReadableStream | undefined; asJson: boolean },
  io: CommandIO,
): Promise<number> {
  const { input, asJson, progress } = how;
  const executor = new SandboxExecutor(how.executorOptions);
  const onData = (chunk: Buffer | string): void => execution.write(chunk);
  const onEnd = (): void => execution.end();
  let execution: Execution;
  let result: ExecutionResult;
  let defined: string[] = [];
  try {
    execution = executor.start(request);
    if (input) {
      input.on('data', onData);
      input.once('end', onEnd);
    } else {
      execution.end();
    }
    result = await execution.result;
    if (result.status === 'success' && result.stdout === '' && result.result === undefined) defined = definedFunctions(executor, request);
  } finally {
    progress.clear();
    if (input) {
      input.off('data', onData);
      input.off('end', onEnd);
      // A terminal's input would keep the process alive.
      input.pause();
      (input as { unref?: () => void }).unref?.();
    }
    await executor.close();
  }
  if (asJson) io.stdout.write(`${JSON.stringify(resultToJson(result), null, 2)}\n`);
  // An exit code of the script's own needs no message: it says what the script meant.
  else if (result.status !== 'success' && result.error?.type !== SCRIPT_EXIT) printResult(result, io);
  else if (defined.length > 0) {
    // It did nothing visible but defines functions: it was most likely meant to be called.
    io.stderr.write(
      `The file ran as a script and printed nothing. It defines ${defined.join(', ')}: to call one, pass --fn ${defined[0]} (and --args '[...]').\n`,
    );
  }
  if (result.exitCode !== null && result.exitCode !== 0) return result.exitCode;
  return result.status === 'success' ? EXIT.ok : result.status === 'error' ? EXIT.error : result.status === 'timeout' ? EXIT.timeout : EXIT.crash;
}

/** The functions `request`'s code defines (none when it cannot be described). */
function definedFunctions(executor: SandboxExecutor, request: ScriptRequest): string[] {
  try {
    return executor.describe({ language: request.language, code: request.code }).functions.map((f) => f.name);
  } catch {
    return [];
  }
}

function printResult(result: ExecutionResult, io: { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream }): void {
  if (result.status === 'success') {
    const value = resultToJson(result).result;
    io.stdout.write(`${JSON.stringify(value, null, 2) ?? 'null'}\n`);
    return;
  }
  const error = result.error;
  const summary = error?.traceback?.trim()
    ? error.traceback.trimEnd()
    : `${error?.type ?? 'Error'}: ${error?.message ?? ''}${error?.line ? ` (line ${error.line})` : ''}`;
  io.stderr.write(`${result.status === 'error' ? '' : `[${result.status}] `}${summary}\n`);
}

async function describeCommand(args: readonly string[], io: { stdout: NodeJS.WritableStream }): Promise<number> {
  const { values, positionals } = parse(args, { language: { type: 'string' } });
  if (values.help) {
    io.stdout.write(HELP.describe);
    return EXIT.ok;
  }
  const source = await readSource(positionals[0], values.language);
  const executor = new SandboxExecutor({ poolSize: 1, prestart: 0 });
  try {
    io.stdout.write(`${JSON.stringify(executor.describe(source), null, 2)}\n`);
  } finally {
    await executor.close();
  }
  return EXIT.ok;
}

/** The templates of `serve --templates`: a JSON object of definitions, package paths relative to the file. */
async function readTemplates(file: string): Promise<Record<string, TemplateDefinition>> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new UsageError(`--templates ${file} cannot be read as JSON: ${(error as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new UsageError(`--templates ${file} must hold a JSON object of templates by name.`);
  const folder = dirname(resolve(file));
  const templates: Record<string, TemplateDefinition> = {};
  for (const [name, definition] of Object.entries(parsed as Record<string, TemplateDefinition>)) {
    const packages = Array.isArray(definition?.packages)
      ? definition.packages.map((source) => (typeof source === 'string' ? resolve(folder, source) : { path: resolve(folder, source.path) }))
      : definition?.packages;
    templates[name] = { ...definition, packages };
  }
  return templates;
}

async function serveCommand(args: readonly string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parse(args, {
    port: { type: 'string' },
    host: { type: 'string' },
    token: { type: 'string' },
    insecure: { type: 'boolean' },
    'allow-host': { type: 'string', multiple: true },
    'allow-origin': { type: 'string', multiple: true },
    'allow-mount': { type: 'string', multiple: true },
    'allow-mount-write': { type: 'string', multiple: true },
    templates: { type: 'string' },
    'max-timeout': { type: 'string' },
    'max-body': { type: 'string' },
    'max-memory': { type: 'string' },
    'max-output': { type: 'string' },
    'max-fs': { type: 'string' },
    'max-jobs': { type: 'string' },
    'max-pending': { type: 'string' },
    'max-connections': { type: 'string' },
    open: { type: 'boolean' },
    'playground-path': { type: 'string' },
    'no-playground': { type: 'boolean' },
  });
  if (values.help) {
    io.stdout.write(HELP.serve);
    return EXIT.ok;
  }
  if (positionals.length > 0) throw new UsageError(`Unexpected arguments: ${positionals.join(' ')}.`);
  const port = values.port === undefined ? 3000 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port must be a port number, got ${JSON.stringify(values.port)}.`);
  const host = values.host ?? '127.0.0.1';
  const token = values.token ?? (process.env.SANDBOX_EXECUTOR_TOKEN || undefined);
  if (!isLoopback(host) && token === undefined && !values.insecure) {
    throw new UsageError(
      `--host ${host} is reachable from other machines, and anyone who can reach it could run code here. Give a token with --token <secret> or SANDBOX_EXECUTOR_TOKEN, or pass --insecure if something in front of the server already authenticates.`,
    );
  }
  const playground = !values['no-playground'];
  if (!playground && (values.open || values['playground-path'] !== undefined))
    throw new UsageError(`--no-playground excludes ${values.open ? '--open' : '--playground-path'}.`);
  const maxPending = values['max-pending'] === undefined ? undefined : Number(values['max-pending']);
  if (maxPending !== undefined && !(Number.isInteger(maxPending) && maxPending >= 0))
    throw new UsageError(`--max-pending must be a whole number, got ${JSON.stringify(values['max-pending'])}.`);
  const templates = values.templates === undefined ? undefined : await readTemplates(values.templates);
  const server = createSandboxServer({
    templates,
    token,
    insecure: values.insecure,
    allowedHosts: values['allow-host'],
    allowedOrigins: values['allow-origin'],
    maxTimeoutMs: number(values['max-timeout'], '--max-timeout'),
    maxBodyBytes: number(values['max-body'], '--max-body'),
    maxMemoryLimitMb: number(values['max-memory'], '--max-memory'),
    maxOutputBytes: number(values['max-output'], '--max-output'),
    maxFsBytes: number(values['max-fs'], '--max-fs'),
    maxConcurrentJobs: number(values['max-jobs'], '--max-jobs'),
    maxPendingJobs: maxPending,
    maxConnections: number(values['max-connections'], '--max-connections'),
    playground,
    playgroundPath: values['playground-path'],
    allowedMountRoots: [
      ...(values['allow-mount'] ?? []).map((dir) => resolve(dir)),
      ...(values['allow-mount-write'] ?? []).map((dir) => ({ path: resolve(dir), operations: ['read', 'create', 'modify'] as const })),
    ],
  });
  const address = await server.listen(port, host);
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  io.stdout.write(`sandbox-executor listening on http://${shown}:${address.port}/api/sandbox${token ? ' (requests need the token)' : ''}\n`);
  if (playground) {
    // A browser on this machine reaches an unspecified address (0.0.0.0, ::) through loopback.
    const browserHost = address.address === '0.0.0.0' || address.address === '::' ? 'localhost' : shown;
    const page = `http://${browserHost}:${address.port}${playgroundPathOf(values['playground-path'])}`;
    io.stdout.write(`playground: ${page}\n`);
    if (values.open) (io.openUrl ?? openInBrowser)(page);
  }
  await new Promise<void>((done) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void server.close().then(done);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
    void io.stopSignal?.then(stop);
  });
  return EXIT.ok;
}

function playgroundPathOf(path: string | undefined): string {
  if (path === undefined) return '/';
  return path.endsWith('/') ? path : `${path}/`;
}

/** Opens `url` with the platform's opener; says so on stderr when there is none. */
function openInBrowser(url: string): void {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['rundll32', ['url.dll,FileProtocolHandler', url]] : ['xdg-open', [url]];
  const child = spawn(command, args, { detached: true, stdio: 'ignore' });
  child.on('error', () => process.stderr.write(`sandbox-executor: could not start ${command} to open a browser; open ${url} yourself.\n`));
  child.unref();
}
