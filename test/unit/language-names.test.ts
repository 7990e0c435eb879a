/**
 * `LanguageInput` (the names TypeScript accepts) and the registry (the names a call accepts) agree.
 */
import { describe, expect, it } from 'vitest';
import { UnsupportedLanguageError } from '../../src/errors.js';
import { languageFor } from '../../src/languages/registry.js';
import type { LanguageInput } from '../../src/types.js';

/** Every name of the type: TypeScript refuses this object if one is missing or unknown. */
const TYPED_NAMES: Record<LanguageInput, true> = {
  python: true,
  py: true,
  python3: true,
  ruby: true,
  rb: true,
  javascript: true,
  js: true,
  php: true,
  c: true,
  cpp: true,
  'c++': true,
  cxx: true,
};

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
