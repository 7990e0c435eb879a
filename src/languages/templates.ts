/**
 * Reads proxy templates from `templates/` and fills their `{{PLACEHOLDER}}`s: the values of the proxy
 * contract (`protocol/proxy-contract.ts`), which every template may use, and the language's own.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RuntimeUnavailableError } from '../errors.js';
import { PROXY_CONTRACT } from '../protocol/proxy-contract.js';
import { templatesRoot } from '../runtime/package-paths.js';

/** Faults the reliability tests inject into template reading. */
export interface TemplateFaults {
  /** Read templates from this folder instead of the package's `templates/`. */
  templatesDir?: string;
}

/** Where a language reads its templates: the executor's toolbox (or a test's {@link TemplateLoader}). */
export interface TemplateSource {
  /** A file of `templates/` with its placeholders filled (the proxy contract's, then `values`). */
  template(path: string, values?: Readonly<Record<string, string>>): string;
}

/** The templates of one executor, each read once. */
export class TemplateLoader implements TemplateSource {
  /** Faults injected by the reliability tests (never set in production). */
  faults: TemplateFaults = {};
  private readonly cache = new Map<string, string>();

  /**
   * The text of a template, `path` being relative to `templates/` (`python/main.py`).
   *
   * @throws RuntimeUnavailableError when the file is missing or unreadable
   */
  read(path: string): string {
    let text = this.cache.get(path);
    if (text === undefined) {
      const file = join(this.faults.templatesDir ?? templatesRoot(), path);
      try {
        text = readFileSync(file, 'utf8');
      } catch (error) {
        throw new RuntimeUnavailableError(`The proxy template ${file} is missing or unreadable.`, { cause: error });
      }
      this.cache.set(path, text);
    }
    return text;
  }

  /** A template with its placeholders filled: the proxy contract's values, then `values`. */
  template(path: string, values: Readonly<Record<string, string>> = {}): string {
    return fillTemplate(this.read(path), { ...PROXY_CONTRACT, ...values });
  }
}

/**
 * Replaces every `{{NAME}}` in `template` with `values.NAME`.
 *
 * @throws Error when the template uses a placeholder that has no value (a bug, caught by tests)
 */
export function fillTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(/\{\{([A-Z0-9_]+)\}\}/g, (_, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`Template placeholder {{${name}}} has no value`);
    return value;
  });
}
