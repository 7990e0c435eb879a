/**
 * The supported languages: one line each.
 */
import { UnsupportedLanguageError } from '../errors.js';
import type { Language } from '../types.js';
import type { LanguageDefinition } from './language.js';
import { c } from './c/index.js';
import { cpp } from './cpp/index.js';
import { javascript } from './javascript/index.js';
import { php } from './php/index.js';
import { python } from './python/index.js';
import { ruby } from './ruby/index.js';

// `any`: each language has its own type of prepared data, opaque to the registry.
const LANGUAGES: readonly LanguageDefinition<any>[] = [python, ruby, javascript, php, c, cpp];

const byName = new Map<string, LanguageDefinition>();
for (const language of LANGUAGES) {
  byName.set(language.id, language);
  for (const alias of language.aliases) byName.set(alias, language);
}

/** Canonical names of the supported languages. */
export const SUPPORTED_LANGUAGES: readonly Language[] = LANGUAGES.map((l) => l.id);

/**
 * The definition of a language, by name or alias (case-insensitive).
 *
 * @throws UnsupportedLanguageError for anything else
 */
export function languageFor(name: unknown): LanguageDefinition {
  const found = typeof name === 'string' ? byName.get(name.trim().toLowerCase()) : undefined;
  if (!found) throw new UnsupportedLanguageError(String(name), [...byName.keys()]);
  return found;
}
