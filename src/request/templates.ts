/**
 * Templates: prepared environments an executor's owner defines (`defineTemplate()`), which requests name
 * with `template`. A template fixes the language and brings its packages, files, environment, limits and
 * setup code; a request adds its own on top.
 */
import { InvalidRequestError } from '../errors.js';
import { closestName } from '../closest-name.js';
import { languageFor, type RegisteredLanguage } from '../languages/registry.js';
import { checkPackageSources } from '../packages/package-source.js';
import type { TemplateDefinition, TemplateInfo } from '../types.js';

const DEFINITION_KEYS = new Set(['language', 'packages', 'files', 'env', 'setup', 'limits', 'prestart']);
const LIMIT_KEYS = new Set(['timeoutMs', 'memoryLimitMb', 'maxOutputBytes', 'maxResultBytes']);
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** A checked template. */
export interface Template {
  name: string;
  language: RegisteredLanguage;
  /** Absolute host paths. */
  packages: string[];
  files: Readonly<Record<string, string | Uint8Array>>;
  env: Readonly<Record<string, string>>;
  setup: string | undefined;
  limits: NonNullable<TemplateDefinition['limits']>;
  prestart: number | undefined;
}

/** The fields of a request a template fills in. */
interface TemplatedFields {
  language?: unknown;
  template?: unknown;
  packages?: unknown;
  files?: unknown;
  env?: unknown;
  timeoutMs?: number;
  memoryLimitMb?: number;
  maxOutputBytes?: number;
  maxResultBytes?: number;
}

/**
 * Checks a template's definition.
 *
 * @throws InvalidRequestError naming the field that is wrong
 */
export function checkTemplate(name: unknown, definition: TemplateDefinition): Template {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidRequestError('name', 'A template name is 1 to 128 letters, digits, dots, dashes or underscores, starting with a letter or digit.');
  }
  if (!definition || typeof definition !== 'object') throw new InvalidRequestError('template', `Template ${name} must be an object with at least a language.`);
  for (const key of Object.keys(definition)) {
    if (!DEFINITION_KEYS.has(key)) {
      const close = closestName(key, [...DEFINITION_KEYS]);
      throw new InvalidRequestError(key, `Template ${name} has no option ${key}${close ? ` (did you mean ${close}?)` : ''}.`);
    }
  }
  const language = languageFor(definition.language);
  if (definition.setup !== undefined && typeof definition.setup !== 'string')
    throw new InvalidRequestError('setup', `Template ${name}: setup must be code (a string).`);
  if (definition.setup !== undefined && language.prestart === false) {
    throw new InvalidRequestError(
      'setup',
      `Template ${name}: ${language.displayName} programs are built per call, so there is no interpreter for setup to prepare.`,
    );
  }
  const env = definition.env ?? {};
  if (typeof env !== 'object' || Object.values(env).some((value) => typeof value !== 'string'))
    throw new InvalidRequestError('env', `Template ${name}: env must map names to strings.`);
  const limits = definition.limits ?? {};
  for (const [key, value] of Object.entries(limits)) {
    if (!LIMIT_KEYS.has(key))
      throw new InvalidRequestError(`limits.${key}`, `Template ${name}: limits has no ${key} (it takes ${[...LIMIT_KEYS].join(', ')}).`);
    if (typeof value !== 'number' || !(value > 0)) throw new InvalidRequestError(`limits.${key}`, `Template ${name}: limits.${key} must be a positive number.`);
  }
  const prestart = definition.prestart;
  if (prestart !== undefined && (!Number.isInteger(prestart) || prestart < 0))
    throw new InvalidRequestError('prestart', `Template ${name}: prestart must be a whole number ≥ 0.`);
  return {
    name,
    language,
    packages: checkPackageSources(definition.packages, 'packages'),
    files: definition.files ?? {},
    env,
    setup: definition.setup,
    limits,
    prestart,
  };
}

/** What `templates()` lists of a template. */
export function templateInfo(template: Template, prestart: number): TemplateInfo {
  const info: TemplateInfo = {
    name: template.name,
    language: template.language.id,
    packages: [...template.packages],
    files: Object.keys(template.files),
    env: { ...template.env },
    limits: { ...template.limits },
    prestart,
  };
  if (template.setup !== undefined) info.setup = template.setup;
  return info;
}

/**
 * A request with its template applied: the template's language, packages first, files and env under the
 * request's own, limits where the request sets none.
 *
 * @throws InvalidRequestError for an unknown template, or a language other than the template's
 */
export function applyTemplate<R extends TemplatedFields>(request: R, templates: ReadonlyMap<string, Template>): { request: R; template: Template | undefined } {
  if (!request || typeof request !== 'object' || request.template === undefined) return { request, template: undefined };
  const name = request.template;
  const template = typeof name === 'string' ? templates.get(name) : undefined;
  if (!template) {
    const close = typeof name === 'string' ? closestName(name, [...templates.keys()]) : undefined;
    const known = templates.size > 0 ? `Templates: ${[...templates.keys()].join(', ')}.` : 'None is defined (defineTemplate()).';
    throw new InvalidRequestError('template', `There is no template ${JSON.stringify(name)}${close ? ` (did you mean ${close}?)` : ''}. ${known}`);
  }
  if (request.language !== undefined && languageFor(request.language) !== template.language) {
    throw new InvalidRequestError('language', `Template ${template.name} is ${template.language.displayName}; the request says ${String(request.language)}.`);
  }
  const own = checkPackageSources(request.packages);
  const merged: R = {
    ...request,
    language: template.language.id,
    packages: [...template.packages, ...own],
    files:
      request.files === undefined && Object.keys(template.files).length === 0 ? undefined : { ...template.files, ...(request.files as object | undefined) },
    env: { ...template.env, ...(request.env as object | undefined) },
  };
  for (const key of ['timeoutMs', 'memoryLimitMb', 'maxOutputBytes', 'maxResultBytes'] as const) {
    if (merged[key] === undefined && template.limits[key] !== undefined) merged[key] = template.limits[key] as R[typeof key];
  }
  return { request: merged, template };
}
