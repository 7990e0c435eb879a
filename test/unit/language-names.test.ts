/**
 * `LanguageInput` (the names TypeScript accepts, read from the registry) and the names a call accepts agree.
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedLanguageError } from '../../src/errors.js';
import { languageFor, registeredLanguages } from '../../src/languages/registry.js';
import type { LanguageInput } from '../../src/types.js';

/**
 * Every name of the type: `LanguageInput` is read from the registry (each language's `id` and `aliases`),
 * so this object, typed by it, holds exactly the registry's names.
 */
const TYPED_NAMES = Object.fromEntries(
  registeredLanguages()
    .flatMap((language) => [language.id, ...language.aliases])
    .map((name) => [name, true]),
) as Record<LanguageInput, true>;

describe('language names', () => {
  it('the type lists exactly the names the registry accepts', () => {
    let supported: readonly string[] = [];
    try {
      languageFor('cobol');
    } catch (error) {
      supported = (error as UnsupportedLanguageError).supported;
    }
    expect([...supported].sort()).toEqual(Object.keys(TYPED_NAMES).sort());
  });
});
