/**
 * `warmup()`: its options, checked, and its progress, reported per language as each starts and ends
 * loading.
 */
import { InvalidRequestError } from '../errors.js';
import type { LanguageRuntime } from '../languages/language.js';
import { languageFor, SUPPORTED_LANGUAGES, type RegisteredLanguage } from '../languages/registry.js';
import type { WarmupOptions, WarmupProgressEvent, WarmupTarget } from '../types.js';
import { runtimeFor } from './normalize-request.js';
import { assertKnownKeys, WARMUP_OPTION_KEYS } from './option-keys.js';

/**
 * The options of `warmup()`: a list of languages, or `{ languages, onProgress }`.
 *
 * @throws InvalidRequestError for an unknown key or a wrong type
 */
export function checkWarmupOptions(options: readonly WarmupTarget[] | WarmupOptions): {
  languages: readonly WarmupTarget[];
  onProgress: WarmupOptions['onProgress'];
} {
  if (isLanguageList(options)) return { languages: options, onProgress: undefined };
  if (options === null || typeof options !== 'object') {
    throw new InvalidRequestError('options', 'warmup() takes a list of languages, or { languages, onProgress }.');
  }
  assertKnownKeys(options, WARMUP_OPTION_KEYS, 'the options of warmup()');
  const { languages = SUPPORTED_LANGUAGES, onProgress } = options;
  if (!Array.isArray(languages)) throw new InvalidRequestError('languages', 'languages must be a list of language names.');
  if (onProgress !== undefined && typeof onProgress !== 'function') throw new InvalidRequestError('onProgress', 'onProgress must be a function.');
  return { languages, onProgress };
}

function isLanguageList(options: readonly WarmupTarget[] | WarmupOptions): options is readonly WarmupTarget[] {
  return Array.isArray(options);
}

/**
 * The language and runtime of each target of `warmup()`.
 *
 * @throws UnsupportedLanguageError; InvalidRequestError for a runtime the language does not declare
 */
export function warmupTargets(targets: readonly WarmupTarget[]): { language: RegisteredLanguage; runtime: LanguageRuntime }[] {
  return targets.map((entry) => {
    const named = typeof entry === 'object' && entry !== null;
    const language = languageFor(named ? entry.language : entry);
    return { language, runtime: runtimeFor(language, named ? entry.runtime : undefined) };
  });
}

/** Makes each language ready (in parallel), reporting each one's start and end to `onProgress`. */
export async function warmupLanguages(
  languages: readonly { language: RegisteredLanguage; runtime: LanguageRuntime }[],
  ready: (language: RegisteredLanguage, runtime: LanguageRuntime) => Promise<unknown>,
  onProgress: WarmupOptions['onProgress'],
): Promise<void> {
  const started = performance.now();
  const total = languages.length;
  let readyCount = 0;
  const report = (event: WarmupProgressEvent): void => {
    try {
      onProgress?.(event);
    } catch {
      // A callback that throws never breaks the warm-up.
    }
  };
  const elapsed = (since: number): number => Math.round((performance.now() - since) * 1000) / 1000;
  await Promise.all(
    languages.map(async ({ language, runtime }) => {
      const began = performance.now();
      report({ language: language.id, phase: 'loading-runtime', state: 'start', elapsedMs: elapsed(started), phaseMs: 0, ready: readyCount, total });
      await ready(language, runtime);
      readyCount++;
      report({ language: language.id, phase: 'loading-runtime', state: 'end', elapsedMs: elapsed(started), phaseMs: elapsed(began), ready: readyCount, total });
    }),
  );
}
