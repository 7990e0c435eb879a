/**
 * What the signature inference of every language shares: one shape of token, and one way to walk the
 * brackets of a run of tokens.
 */

/** A token of source code; each tokenizer has its own `Type`s. */
export interface Token<Type extends string = string> {
  type: Type;
  /** The token's text, as in the source (a string literal with its quotes). */
  value: string;
  /** Offsets of the token in the source. */
  start: number;
  end: number;
  /** 1-based line of its first character. */
  line: number;
}

/**
 * Bracket pairs, each opener with its closer. A token whose text is exactly an opener or a closer is
 * punctuation in every language (a literal keeps its quotes or delimiters in its text).
 */
export type Brackets = Readonly<Record<string, string>>;

/** `(`, `[` and `{` (PHP adds `#[`, closed by `]`). */
export const BRACKETS: Brackets = { '(': ')', '[': ']', '{': '}' };

/**
 * The brackets open at a point of a run of tokens. Tolerant of code that does not close its brackets
 * properly (inference must read whatever it is given): a closer closes the innermost bracket it matches,
 * with any left open inside it, and a closer that matches none is ignored.
 */
export class BracketNesting {
  private readonly open: string[] = [];
  private readonly closers: ReadonlySet<string>;

  constructor(private readonly brackets: Brackets = BRACKETS) {
    this.closers = new Set(Object.values(brackets));
  }

  /** Brackets open now. */
  get depth(): number {
    return this.open.length;
  }

  /** Takes the next token: `open` or `close` when it is a bracket, `stray` for a closer that matches none. */
  step(value: string): 'open' | 'close' | 'stray' | undefined {
    if (isOpener(value, this.brackets)) {
      this.open.push(this.brackets[value]);
      return 'open';
    }
    if (!this.closers.has(value)) return undefined;
    const at = this.open.lastIndexOf(value);
    if (at < 0) return 'stray';
    this.open.length = at;
    return 'close';
  }
}

/** Whether a token's text opens a bracket. */
export function isOpener(value: string, brackets: Brackets = BRACKETS): boolean {
  return Object.hasOwn(brackets, value);
}

/** Index just past the bracket that closes the one at `open` (the end of `tokens` when it never closes). */
export function skipBracket(tokens: readonly Token[], open: number, brackets: Brackets = BRACKETS): number {
  const nesting = new BracketNesting(brackets);
  for (let i = open; i < tokens.length; i++) {
    if (nesting.step(tokens[i].value) === 'close' && nesting.depth === 0) return i + 1;
  }
  return tokens.length;
}

/** Whether every bracket of `tokens` is closed, by the closer it expects, and no closer stands alone. */
export function bracketsBalanced(tokens: readonly Token[], brackets: Brackets = BRACKETS): boolean {
  const nesting = new BracketNesting(brackets);
  let depth = 0;
  for (const token of tokens) {
    const step = nesting.step(token.value);
    if (step === 'stray' || (step === 'close' && nesting.depth !== depth - 1)) return false;
    depth = nesting.depth;
  }
  return depth === 0;
}

/**
 * Index of the first token from `from` that stands outside brackets, is `value`, and is `accepted`
 * (`tokens.length` when none is).
 */
export function findTopLevel(
  tokens: readonly Token[],
  value: string,
  options: { from?: number; brackets?: Brackets; accepted?: (index: number) => boolean } = {},
): number {
  const nesting = new BracketNesting(options.brackets);
  for (let i = options.from ?? 0; i < tokens.length; i++) {
    const depth = nesting.depth;
    if (nesting.step(tokens[i].value) === undefined && depth === 0 && tokens[i].value === value && (options.accepted?.(i) ?? true)) return i;
  }
  return tokens.length;
}

/** Splits `tokens` at each `separator` that stands outside brackets (the separators are dropped). */
export function splitTopLevel<T extends Token>(tokens: readonly T[], separator: string, brackets: Brackets = BRACKETS): T[][] {
  const parts: T[][] = [[]];
  const nesting = new BracketNesting(brackets);
  for (const token of tokens) {
    const depth = nesting.depth;
    if (nesting.step(token.value) === undefined && depth === 0 && token.value === separator) parts.push([]);
    else parts[parts.length - 1].push(token);
  }
  return parts;
}

/** The source text that `tokens` span, with runs of white space folded to one space. */
export function sourceText(source: string, tokens: readonly Pick<Token, 'start' | 'end'>[]): string {
  if (tokens.length === 0) return '';
  return source
    .slice(tokens[0].start, tokens[tokens.length - 1].end)
    .replace(/\s+/g, ' ')
    .trim();
}
