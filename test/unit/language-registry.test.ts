/**
 * A language is one folder and one registry line: everything else the package needs (file extensions,
 * runtimes, templates, docs page, conformance column) is declared by its definition, and must exist.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { languageOfFile, registeredLanguages, SUPPORTED_LANGUAGES } from '../../src/languages/registry.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LANGUAGES = registeredLanguages();

describe('the language registry', () => {
  it.each(LANGUAGES.map((language) => [language.id, language]))('%s: declares files that exist', (_id, language) => {
    expect(readFileSync(join(ROOT, language.docs), 'utf8')).toContain(`# ${language.displayName}`);
    expect(existsSync(join(ROOT, language.conformance))).toBe(true);
    expect(language.templates.length).toBeGreaterThan(0);
    for (const folder of language.templates) expect(statSync(join(ROOT, 'templates', folder)).isDirectory()).toBe(true);
    expect(language.runtimes.length).toBeGreaterThan(0);
    for (const runtime of language.runtimes) expect(Object.keys(runtime.binaries).length).toBeGreaterThan(0);
  });

  it('names, aliases and file extensions each belong to one language', () => {
    const names = LANGUAGES.flatMap((language) => [language.id, ...language.aliases]);
    expect(new Set(names).size).toBe(names.length);
    const extensions = LANGUAGES.flatMap((language) => language.extensions);
    expect(new Set(extensions).size).toBe(extensions.length);
    for (const extension of extensions) expect(extension).toMatch(/^\.[a-z0-9+]+$/);
    expect(SUPPORTED_LANGUAGES).toEqual(LANGUAGES.map((language) => language.id));
  });

  it('the command line reads file extensions from the registry', () => {
    for (const language of LANGUAGES) {
      for (const extension of language.extensions) expect(languageOfFile(`dir.x/Main${extension.toUpperCase()}`)?.id).toBe(language.id);
    }
    expect(languageOfFile('notes.txt')).toBeUndefined();
  });
});
