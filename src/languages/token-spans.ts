/**
 * Helpers shared by the token-based signature inference of several languages.
 */

/** What these helpers need of a token: its text and where it sits in the source. */
export interface SpannedToken {
  value: string;
  /** Offsets into the source. */
  start: number;
  end: number;
}

const CLOSERS = new Set([')', ']', '}']);
const OPENERS = new Set(['(', '[', '{']);

/**
 * Index just past the bracket that closes the one at `open` (the end of `tokens` when it never closes).
 *
 * @param openers token values that open a bracket (PHP adds `#[`)
 */
export function skipBracket(tokens: readonly SpannedToken[], open: number, openers: ReadonlySet<string> = OPENERS): number {
  let depth = 0;
  for (let i = open; i < tokens.length; i++) {
    const value = tokens[i].value;
    if (openers.has(value)) depth++;
    else if (CLOSERS.has(value)) {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return tokens.length;
}

/**
 * Splits `tokens` at each `separator` that stands outside brackets (the separators are dropped).
 *
 * @param openers token values that open a bracket (PHP adds `#[`)
 */
export function splitTopLevel<T extends SpannedToken>(tokens: readonly T[], separator: string, openers: ReadonlySet<string> = OPENERS): T[][] {
  const parts: T[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    const value = token.value;
    if (openers.has(value)) depth++;
    else if (CLOSERS.has(value)) depth--;
    if (depth === 0 && value === separator) parts.push([]);
    else parts[parts.length - 1].push(token);
  }
  return parts;
}

/** The source text that `tokens` span, with runs of white space folded to one space. */
export function sourceText(source: string, tokens: readonly SpannedToken[]): string {
  if (tokens.length === 0) return '';
  return source
    .slice(tokens[0].start, tokens[tokens.length - 1].end)
    .replace(/\s+/g, ' ')
    .trim();
}
