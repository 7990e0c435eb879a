/**
 * The executor's options and the limits of each call: checked, defaulted, and kept within their ceilings.
 */
import { availableParallelism } from 'node:os';
import { InvalidRequestError } from '../errors.js';
import { SUPPORTED_LANGUAGES, type Language, type RegisteredLanguage } from '../languages/registry.js';
import { WASM32_MAX_MEMORY_MB } from '../runtime/memory-import.js';
import { MAX_TEXT_BYTES } from '../runtime/output-collector.js';
import type { JobLimits } from '../runtime/worker-protocol.js';
import type { ExecutionRequest, SandboxExecutorOptions } from '../types.js';
import { assertKnownKeys, EXECUTOR_OPTION_KEYS } from './option-keys.js';

const MIB = 1024 * 1024;

/** The defaults of the executor's options. */
const DEFAULTS = {
  timeoutMs: 30_000,
  compileTimeoutMs: 120_000,
  maxQueue: 1000,
  maxSessions: 64,
  memoryLimitMb: 512,
  maxOutputBytes: 16 * MIB,
  maxPayloadBytes: 64 * MIB,
  maxResultBytes: 64 * MIB,
  maxFsBytes: 256 * MIB,
  maxFiles: 100_000,
};

/** A session closes after this long without a call, unless its options say otherwise. */
export const DEFAULT_IDLE_TIMEOUT_MS = 60_000;

/** Longest time a Node timer can wait (24 days). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The compile timeout of a call or session: its own, else the executor's, which is also its ceiling
 * (tool runs are bounded by the executor's).
 *
 * @throws InvalidRequestError naming `compileTimeoutMs`
 */
export function compileTimeout(value: number | undefined, settings: ExecutorSettings): number {
  return atMost(
    'compileTimeoutMs',
    numberOption('compileTimeoutMs', value, settings.compileTimeoutMs, 1),
    settings.compileTimeoutMs,
    "the executor's compileTimeoutMs",
  );
}

/** The executor's options, checked and with their defaults. */
export interface ExecutorSettings extends Required<Omit<SandboxExecutorOptions, 'prestart' | 'cacheDir'>> {
  prestart: NonNullable<SandboxExecutorOptions['prestart']>;
  cacheDir: string | undefined;
}

const LONGEST_STRING = 'the longest string Node can build';

/**
 * Checks the options of `new SandboxExecutor()`.
 *
 * @throws InvalidRequestError naming the option
 */
export function checkExecutorOptions(options: SandboxExecutorOptions): ExecutorSettings {
  if (options === null || typeof options !== 'object') throw new InvalidRequestError('options', 'The SandboxExecutor options must be an object.');
  assertKnownKeys(options, EXECUTOR_OPTION_KEYS, 'the SandboxExecutor options');
  const maxMemoryLimitMb = atMost(
    'maxMemoryLimitMb',
    numberOption('maxMemoryLimitMb', options.maxMemoryLimitMb, WASM32_MAX_MEMORY_MB, 1),
    WASM32_MAX_MEMORY_MB,
    'what a wasm32 instance can address',
  );
  const settings: ExecutorSettings = {
    poolSize: numberOption('poolSize', options.poolSize, availableParallelism(), 0, true),
    maxQueue: numberOption('maxQueue', options.maxQueue, DEFAULTS.maxQueue, 0, true),
    maxSessions: numberOption('maxSessions', options.maxSessions, DEFAULTS.maxSessions, 0, true),
    timeoutMs: numberOption('timeoutMs', options.timeoutMs, DEFAULTS.timeoutMs, 1),
    compileTimeoutMs: atMost(
      'compileTimeoutMs',
      numberOption('compileTimeoutMs', options.compileTimeoutMs, DEFAULTS.compileTimeoutMs, 1),
      MAX_TIMER_MS,
      'the longest a Node timer can wait',
    ),
    memoryLimitMb: atMost(
      'memoryLimitMb',
      numberOption('memoryLimitMb', options.memoryLimitMb, DEFAULTS.memoryLimitMb, 1),
      maxMemoryLimitMb,
      'maxMemoryLimitMb',
    ),
    maxOutputBytes: atMost(
      'maxOutputBytes',
      numberOption('maxOutputBytes', options.maxOutputBytes, DEFAULTS.maxOutputBytes, 1),
      MAX_TEXT_BYTES,
      LONGEST_STRING,
    ),
    maxPayloadBytes: numberOption('maxPayloadBytes', options.maxPayloadBytes, DEFAULTS.maxPayloadBytes, 1),
    maxFsBytes: numberOption('maxFsBytes', options.maxFsBytes, DEFAULTS.maxFsBytes, 0, true),
    maxFiles: numberOption('maxFiles', options.maxFiles, DEFAULTS.maxFiles, 1, true),
    maxResultBytes: atMost(
      'maxResultBytes',
      numberOption('maxResultBytes', options.maxResultBytes, DEFAULTS.maxResultBytes, 1),
      MAX_TEXT_BYTES,
      LONGEST_STRING,
    ),
    maxMemoryLimitMb,
    // One prestarted instance per worker by default: a worker holds one at a time.
    prestart: 0,
    cacheDir: options.cacheDir,
  };
  if (options.cacheDir !== undefined && (typeof options.cacheDir !== 'string' || options.cacheDir === '')) {
    throw new InvalidRequestError('cacheDir', 'cacheDir must be a non-empty directory path.');
  }
  settings.prestart = checkPrestart(options.prestart, settings.poolSize);
  return settings;
}

function checkPrestart(value: SandboxExecutorOptions['prestart'], perWorker: number): NonNullable<SandboxExecutorOptions['prestart']> {
  if (value === undefined) return perWorker;
  if (typeof value === 'number') return numberOption('prestart', value, perWorker, 0, true);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidRequestError('prestart', 'prestart must be a number of prestarted instances per language, or an object of numbers by language.');
  }
  for (const [language, count] of Object.entries(value)) {
    if (!(SUPPORTED_LANGUAGES as readonly string[]).includes(language)) {
      throw new InvalidRequestError(
        `prestart.${language}`,
        `prestart names ${JSON.stringify(language)}, which is not a language (${SUPPORTED_LANGUAGES.join(', ')}).`,
      );
    }
    numberOption(`prestart.${language}`, count, 0, 0, true);
  }
  return value;
}

/** How many prestarted instances of `language` the executor keeps. */
export function prestartCount(settings: ExecutorSettings, language: Language): number {
  const setting = settings.prestart;
  return typeof setting === 'number' ? setting : (setting[language] ?? 0);
}

/** The limits of one call or session. */
export interface CallLimits {
  memoryLimitMb: number;
  maxOutputBytes: number;
  maxResultBytes: number;
  /** The same, as the runtime applies them (with the executor's filesystem limits). */
  job: JobLimits;
}

/**
 * The memory, output and result limits of a call or session: its own, else the executor's, within the
 * ceilings.
 *
 * @throws InvalidRequestError naming the limit
 */
export function callLimits(
  source: Pick<ExecutionRequest, 'memoryLimitMb' | 'maxOutputBytes' | 'maxResultBytes'>,
  language: RegisteredLanguage,
  settings: ExecutorSettings,
): CallLimits {
  const memoryLimitMb = numberOption('memoryLimitMb', source.memoryLimitMb, settings.memoryLimitMb, language.minMemoryMb ?? 1);
  const maxOutputBytes = numberOption('maxOutputBytes', source.maxOutputBytes, settings.maxOutputBytes, 1);
  const maxResultBytes = numberOption('maxResultBytes', source.maxResultBytes, settings.maxResultBytes, 1);
  atMost('memoryLimitMb', memoryLimitMb, settings.maxMemoryLimitMb, 'maxMemoryLimitMb');
  atMost('maxOutputBytes', maxOutputBytes, MAX_TEXT_BYTES, LONGEST_STRING);
  atMost('maxResultBytes', maxResultBytes, MAX_TEXT_BYTES, LONGEST_STRING);
  return { memoryLimitMb, maxOutputBytes, maxResultBytes, job: jobLimits(settings, memoryLimitMb, maxOutputBytes, maxResultBytes) };
}

/** The limits of the runtime for a program with these memory, output and result limits. */
export function jobLimits(
  settings: ExecutorSettings,
  memoryLimitMb = settings.memoryLimitMb,
  outputBytes = settings.maxOutputBytes,
  resultBytes = settings.maxResultBytes,
): JobLimits {
  return { memoryBytes: memoryLimitMb * MIB, fsBytes: settings.maxFsBytes, maxFiles: settings.maxFiles, outputBytes, resultBytes };
}

/** Refuses a limit above its ceiling (`what` names the ceiling for the message). */
export function atMost(name: string, value: number, ceiling: number, what: string): number {
  if (value > ceiling) throw new InvalidRequestError(name, `${name} must be at most ${ceiling} (${what}), got ${value}.`);
  return value;
}

/** Checks an optional numeric option and applies its default. */
export function numberOption(name: string, value: number | undefined, fallback: number, min: number, integer = false): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new InvalidRequestError(name, `${name} must be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${String(value)}.`);
  }
  return value;
}
