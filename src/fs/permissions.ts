/**
 * Resolves permission rules (picomatch globs) into allow/deny decisions per path and operation.
 *
 * Precedence: among the rules whose pattern matches and which mention the operation, the most specific
 * pattern wins; at equal specificity `deny` beats `allow`; with no such rule, the default decides.
 * Specificity compares, in order: literal path segments (no glob characters), then literal characters.
 * So `out/report.csv` > `out/*.csv` > `out/**` > `**\/*.csv` > `**`.
 */
import { InvalidRequestError } from '../errors.js';
import type { FileOperation, PermissionOptions } from './fs-types.js';
import { globMatcher } from './glob.js';

const OPERATIONS: readonly FileOperation[] = ['read', 'create', 'modify', 'delete'];
const GLOB_CHARS = /[*?[\]{}()!+@]/;

interface CompiledRule {
  matches: (path: string) => boolean;
  /** Whether the pattern is matched against absolute virtual paths (it starts with `/`). */
  absolute: boolean;
  allow: Set<FileOperation>;
  deny: Set<FileOperation>;
  specificity: [number, number];
  pattern: string;
}

/** A decision with the rule that made it. */
export interface PermissionDecision {
  allowed: boolean;
  /** The deciding rule's pattern, or `default`. */
  by: string;
}

export class PermissionResolver {
  private readonly rules: CompiledRule[];
  private readonly fallback: 'allow' | 'deny';
  /** Without an explicit `default`, reading is allowed unless a rule says otherwise. */
  private readonly readByDefault: boolean;

  /** @throws InvalidRequestError for malformed options */
  constructor(options: PermissionOptions | undefined) {
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new InvalidRequestError('permissions', 'permissions must be an object with `rules` and/or `default`.');
    }
    const fallback = options?.default ?? 'deny';
    if (fallback !== 'allow' && fallback !== 'deny')
      throw new InvalidRequestError('permissions.default', `permissions.default must be 'allow' or 'deny', got ${JSON.stringify(fallback)}.`);
    this.fallback = fallback;
    this.readByDefault = options?.default === undefined;
    const rules = options?.rules ?? [];
    if (!Array.isArray(rules)) throw new InvalidRequestError('permissions.rules', 'permissions.rules must be an array.');
    this.rules = rules.map((rule, index) => compileRule(rule, `permissions.rules[${index}]`));
  }

  /**
   * Decides one operation on one path.
   *
   * @param relativePath path relative to the mount point (no leading slash; '' for the mount point itself)
   * @param virtualPath absolute path in the sandbox
   */
  decide(operation: FileOperation, relativePath: string, virtualPath: string): PermissionDecision {
    let best: CompiledRule | undefined;
    let bestDenies = false;
    for (const rule of this.rules) {
      const mentions = rule.allow.has(operation) || rule.deny.has(operation);
      if (!mentions || !rule.matches(rule.absolute ? virtualPath : relativePath)) continue;
      const denies = rule.deny.has(operation);
      const order = best ? compare(rule.specificity, best.specificity) : 1;
      if (order > 0 || (order === 0 && denies && !bestDenies)) {
        best = rule;
        bestDenies = denies;
      }
    }
    if (best) return { allowed: !bestDenies, by: best.pattern };
    if (operation === 'read' && this.readByDefault) return { allowed: true, by: 'default' };
    return { allowed: this.fallback === 'allow', by: 'default' };
  }
}

function compileRule(rule: unknown, field: string): CompiledRule {
  if (rule === null || typeof rule !== 'object') throw new InvalidRequestError(field, `${field} must be an object with a pattern.`);
  const { pattern, allow = [], deny = [] } = rule as { pattern?: unknown; allow?: unknown; deny?: unknown };
  if (typeof pattern !== 'string' || pattern === '' || pattern.includes('\0'))
    throw new InvalidRequestError(`${field}.pattern`, `${field}.pattern must be a non-empty glob.`);
  const operations = (list: unknown, name: string): Set<FileOperation> => {
    if (!Array.isArray(list)) throw new InvalidRequestError(`${field}.${name}`, `${field}.${name} must be an array of ${OPERATIONS.join(', ')}.`);
    for (const operation of list) {
      if (!OPERATIONS.includes(operation))
        throw new InvalidRequestError(
          `${field}.${name}`,
          `Unknown operation ${JSON.stringify(operation)} in ${field}.${name}; expected ${OPERATIONS.join(', ')}.`,
        );
    }
    return new Set(list as FileOperation[]);
  };
  const absolute = pattern.startsWith('/');
  const body = absolute ? pattern : pattern.replace(/^\.\//, '');
  return {
    matches: globMatcher(body),
    absolute,
    allow: operations(allow, 'allow'),
    deny: operations(deny, 'deny'),
    specificity: specificityOf(body),
    pattern,
  };
}

function specificityOf(pattern: string): [number, number] {
  const segments = pattern.split('/').filter((s) => s !== '');
  const literalSegments = segments.filter((s) => !GLOB_CHARS.test(s)).length;
  const literalChars = [...pattern].filter((ch) => !GLOB_CHARS.test(ch) && ch !== '/').length;
  return [literalSegments, literalChars];
}

function compare(a: [number, number], b: [number, number]): number {
  return a[0] - b[0] || a[1] - b[1];
}
