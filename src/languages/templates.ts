/**
 * Loads proxy templates from `templates/<language>/` and fills their `{{PLACEHOLDER}}`s.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeUnavailableError } from '../errors.js';
import { templatesDir } from '../runtime/package-paths.js';
import { faults } from '../testing/faults.js';

const cache = new Map<string, string>();

/** The text of a template file, read once per process. */
export function readTemplate(language: string, file: string): string {
  const key = `${language}/${file}`;
  let text = cache.get(key);
  if (text === undefined) {
    const path = join(faults.templatesDir ? join(faults.templatesDir, language) : templatesDir(language), file);
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      throw new RuntimeUnavailableError(`The proxy template ${path} is missing or unreadable.`, { cause: error });
    }
    cache.set(key, text);
  }
  return text;
}

/**
 * Replaces every `{{NAME}}` in `template` with `values.NAME`.
 *
 * @throws Error when the template uses a placeholder that has no value (a bug, caught by tests)
 */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`Template placeholder {{${name}}} has no value`);
    return value;
  });
}
