/**
 * The supported languages: one line each. The `Language` and `LanguageAlias` types are read from this list.
 */
import { UnsupportedLanguageError } from '../errors.js';
import type { LanguageDefinition } from './language.js';
import { c } from './c/index.js';
import { cpp } from './cpp/index.js';
import { javascript } from './javascript/index.js';
import { php } from './php/index.js';
import { python } from './python/index.js';
import { ruby } from './ruby/index.js';
import { sql } from './sql/index.js';

const LANGUAGES = [python, ruby, javascript, php, c, cpp, sql] as const;

/** Languages the executor can run (the `id` of each language of the registry). */
export type Language = (typeof LANGUAGES)[number]['id'];

/** Other names accepted for the languages (the `aliases` of each language of the registry). */
export type LanguageAlias = (typeof LANGUAGES)[number]['aliases'][number];

/** A language of the registry; `any`: each language's analysis and prepared data are its own, opaque to the executor. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type RegisteredLanguage = LanguageDefinition<Language, LanguageAlias, any, any>;

const byName = new Map<string, RegisteredLanguage>();
for (const language of LANGUAGES) {
  byName.set(language.id, language);
  for (const alias of language.aliases) byName.set(alias, language);
}

/** Canonical names of the supported languages. */
export const SUPPORTED_LANGUAGES: readonly Language[] = LANGUAGES.map((l) => l.id);

/** The language whose `extensions` hold the ending of `path` (case-insensitive), if one does. */
export function languageOfFile(path: string): RegisteredLanguage | undefined {
  const name = path.toLowerCase();
  return LANGUAGES.find((language) => language.extensions.some((extension) => name.endsWith(extension)));
}

/** Every language of the registry, in its order. */
export function registeredLanguages(): readonly RegisteredLanguage[] {
  return LANGUAGES;
}

/**
 * The definition of a language, by name or alias (case-insensitive).
 *
 * @throws UnsupportedLanguageError for anything else
 */
export function languageFor(name: unknown): RegisteredLanguage {
  const found = typeof name === 'string' ? byName.get(name.trim().toLowerCase()) : undefined;
  if (!found) throw new UnsupportedLanguageError(String(name), [...byName.keys()]);
  return found;
}
