/**
 * A tokenizer for PHP source, just precise enough for signature inference: it knows the open and close
 * tags (text outside them is skipped), strings of every kind (single and double quoted, with `{$…}`
 * interpolation, heredoc, nowdoc, backticks), comments, doc comments, attributes and `__halt_compiler`.
 */
import type { Token as SourceToken } from '../tokens.js';

export type TokenType = 'name' | 'variable' | 'number' | 'string' | 'doc' | 'op';

/** A token of PHP source. */
export type Token = SourceToken<TokenType>;

/** A name, possibly qualified (`Foo\Bar`, `\strlen`, `namespace\f`); PHP allows bytes ≥ 0x80 in names. */
const NAME = /\\?[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*(?:\\[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)*/y;
const VARIABLE = /\$[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*/y;
const NUMBER = /0[xX][\da-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?/y;
const HEREDOC_START = /<<<[ \t]*(["']?)([A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)\1\r?\n/y;
const OPEN_TAG = /<\?(?:php(?=[\s]|$)|=)/gi;
const IDENTIFIER_CHAR = /[\w\u0080-\uffff]/;
const OPERATORS = [
  '<<=',
  '>>=',
  '**=',
  '??=',
  '<=>',
  '===',
  '!==',
  '...',
  '?->',
  '#[',
  '=>',
  '->',
  '::',
  '++',
  '--',
  '==',
  '!=',
  '<>',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '+=',
  '-=',
  '*=',
  '/=',
  '.=',
  '%=',
  '&=',
  '|=',
  '^=',
  '<<',
  '>>',
  '**',
];

/**
 * Splits PHP source into tokens, starting outside PHP (as a file does: text until `<?php`). Unterminated
 * strings and comments run to the end of input; nothing throws.
 */
export function tokenizePhp(source: string): Token[] {
  return new Scanner(source).run();
}

class Scanner {
  private readonly tokens: Token[] = [];
  private readonly lineStarts: number[] = [0];
  private i = 0;

  constructor(private readonly source: string) {
    for (let at = 0; at < source.length; at++) {
      const ch = source[at];
      if (ch === '\n' || (ch === '\r' && source[at + 1] !== '\n')) this.lineStarts.push(at + 1);
    }
  }

  run(): Token[] {
    this.skipText();
    while (this.i < this.source.length) {
      const before = this.i;
      if (!this.step()) break;
      if (this.i <= before) this.i = before + 1; // never stall on unexpected input
    }
    return this.tokens;
  }

  /** Skips text outside PHP up to and including the next open tag. */
  private skipText(): void {
    OPEN_TAG.lastIndex = this.i;
    const tag = OPEN_TAG.exec(this.source);
    this.i = tag ? tag.index + tag[0].length : this.source.length;
  }

  /** Reads one token (or skips a comment or whitespace). False when scanning must stop. */
  private step(): boolean {
    const s = this.source;
    const start = this.i;
    const ch = s[start];
    if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r' || ch === '\f' || ch === '\v') {
      this.i++;
      return true;
    }
    if (ch === '?' && s[start + 1] === '>') {
      this.push('op', start, start + 2); // a close tag ends a statement, like `;`
      this.i = start + 2;
      this.skipText();
      return true;
    }
    if (ch === '/' && s[start + 1] === '*') {
      const close = s.indexOf('*/', start + 2);
      this.i = close < 0 ? s.length : close + 2;
      if (s[start + 2] === '*' && this.i - start > 4) this.push('doc', start, this.i);
      return true;
    }
    if ((ch === '/' && s[start + 1] === '/') || (ch === '#' && s[start + 1] !== '[')) {
      this.skipLineComment();
      return true;
    }
    if (ch === "'") {
      this.i = this.skipSingleQuoted(start + 1);
      this.push('string', start, this.i);
      return true;
    }
    if (ch === '"' || ch === '`') {
      this.i = this.skipInterpolated(start + 1, ch);
      this.push('string', start, this.i);
      return true;
    }
    if (ch === '<' && s.startsWith('<<<', start)) {
      HEREDOC_START.lastIndex = start;
      const heredoc = HEREDOC_START.exec(s);
      if (heredoc) {
        this.i = this.skipHeredoc(HEREDOC_START.lastIndex, heredoc[2], heredoc[1] === "'");
        this.push('string', start, this.i);
        return true;
      }
    }
    if (ch === '$') {
      const variable = this.match(VARIABLE, start);
      this.push(variable ? 'variable' : 'op', start, variable ? start + variable.length : start + 1);
      this.i = this.tokens[this.tokens.length - 1].end;
      return true;
    }
    const number = this.match(NUMBER, start);
    if (number && /\d/.test(number)) {
      this.i = start + number.length;
      this.push('number', start, this.i);
      return true;
    }
    const name = this.match(NAME, start);
    if (name) {
      this.i = start + name.length;
      this.push('name', start, this.i);
      // Everything after __halt_compiler(); is data, not code.
      return name.toLowerCase() !== '__halt_compiler';
    }
    const operator = OPERATORS.find((op) => s.startsWith(op, start));
    this.i = start + (operator?.length ?? 1);
    this.push('op', start, this.i);
    return true;
  }

  private skipLineComment(): void {
    const s = this.source;
    let at = this.i;
    while (at < s.length && s[at] !== '\n' && s[at] !== '\r' && !(s[at] === '?' && s[at + 1] === '>')) at++;
    this.i = at;
  }

  private skipSingleQuoted(from: number): number {
    const s = this.source;
    for (let at = from; at < s.length; at++) {
      if (s[at] === '\\') at++;
      else if (s[at] === "'") return at + 1;
    }
    return s.length;
  }

  /** Skips the body of a double-quoted or backtick string, with its `{$…}` and `${…}` parts. */
  private skipInterpolated(from: number, quote: string): number {
    const s = this.source;
    for (let at = from; at < s.length; at++) {
      const ch = s[at];
      if (ch === '\\') at++;
      else if (ch === quote) return at + 1;
      else {
        const interpolation = this.interpolationBrace(at);
        if (interpolation >= 0) at = this.skipEmbeddedCode(interpolation) - 1;
      }
    }
    return s.length;
  }

  /**
   * Skips the body of a heredoc (or nowdoc, without interpolation): it ends at a line whose first
   * non-blank text is the identifier, not followed by a character of a name (PHP 7.3 rules).
   */
  private skipHeredoc(from: number, id: string, nowdoc: boolean): number {
    const s = this.source;
    let at = from;
    while (at < s.length) {
      let text = at;
      while (s[text] === ' ' || s[text] === '\t') text++;
      if (s.startsWith(id, text) && !IDENTIFIER_CHAR.test(s[text + id.length] ?? '')) return text + id.length;
      at = text;
      while (at < s.length && s[at] !== '\n' && s[at] !== '\r') {
        const interpolation = nowdoc ? -1 : this.interpolationBrace(at);
        if (interpolation >= 0) at = this.skipEmbeddedCode(interpolation);
        else at += !nowdoc && s[at] === '\\' && s[at + 1] !== '\n' && s[at + 1] !== '\r' ? 2 : 1;
      }
      at += s[at] === '\r' && s[at + 1] === '\n' ? 2 : 1;
    }
    return s.length;
  }

  /** The offset of the `{` when an interpolation (`{$…}` or `${…}`) starts at `at`, or -1. */
  private interpolationBrace(at: number): number {
    const s = this.source;
    if (s[at] === '{' && s[at + 1] === '$') return at;
    if (s[at] === '$' && s[at + 1] === '{') return at + 1;
    return -1;
  }

  /** From the `{` of an interpolation, the offset just past its matching `}` (strings inside skipped). */
  private skipEmbeddedCode(open: number): number {
    const s = this.source;
    let depth = 0;
    for (let at = open; at < s.length; at++) {
      const ch = s[at];
      if (ch === '{') depth++;
      else if (ch === '}') {
        depth--;
        if (depth === 0) return at + 1;
      } else if (ch === "'") at = this.skipSingleQuoted(at + 1) - 1;
      else if (ch === '"' || ch === '`') at = this.skipInterpolated(at + 1, ch) - 1;
    }
    return s.length;
  }

  private match(pattern: RegExp, at: number): string | undefined {
    pattern.lastIndex = at;
    return pattern.exec(this.source)?.[0];
  }

  private push(type: TokenType, start: number, end: number): void {
    this.tokens.push({ type, value: this.source.slice(start, end), start, end, line: this.lineAt(start) });
  }

  private lineAt(offset: number): number {
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (this.lineStarts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  }
}
