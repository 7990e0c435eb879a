/**
 * A tokenizer for SQLite's SQL, just precise enough to split a script into statements, find their
 * parameters and read the comments that name queries: it knows string literals, quoted identifiers (`"…"`,
 * `` `…` ``, `[…]`), blob literals, comments, numbers and SQLite's parameter forms (`?`, `?NNN`, `:name`,
 * `@name`, `$name`). Whatever it does not know is an operator of one character.
 */
import type { Token as SourceToken } from '../tokens.js';

/**
 * What a token is: a word (keyword or identifier), a string, a quoted identifier, a blob literal, a
 * number, a parameter, a comment, or an operator (one character, `;` included).
 */
export type TokenType = 'word' | 'string' | 'quoted' | 'blob' | 'number' | 'parameter' | 'comment' | 'op';

/** One token of SQL (a literal's or comment's value is all of it, with its quotes or markers). */
export type Token = SourceToken<TokenType>;

// SQLite's identifier characters: ASCII letters, digits, `_`, `$`, and every character beyond ASCII.
const WORD = /[A-Za-z_\u0080-\uffff][\w$\u0080-\uffff]*/y;
const NAME_CHARS = /[\w$\u0080-\uffff]*/y;
const NUMBER = /0[xX][\da-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const DIGITS = /\d*/y;
const LINE_BREAK = /\r\n|\r|\n/g;

/** Quote characters and the character that closes each; a doubled closer stands for itself (not in `[…]`). */
const QUOTES: Readonly<Record<string, { close: string; type: TokenType }>> = {
  "'": { close: "'", type: 'string' },
  '"': { close: '"', type: 'quoted' },
  '`': { close: '`', type: 'quoted' },
  '[': { close: ']', type: 'quoted' },
};

/** Splits SQL into tokens, comments included; white space is dropped. Unterminated literals and comments run to the end. */
export function tokenizeSql(source: string): Token[] {
  const tokens: Token[] = [];
  let line = 1;
  let i = 0;
  const push = (type: TokenType, end: number): void => {
    const value = source.slice(i, end);
    tokens.push({ type, value, start: i, end, line });
    line += value.match(LINE_BREAK)?.length ?? 0;
    i = end;
  };
  const match = (pattern: RegExp, from: number): number => {
    pattern.lastIndex = from;
    return pattern.exec(source) ? pattern.lastIndex : from;
  };

  while (i < source.length) {
    const ch = source[i];
    const next = source[i + 1];
    if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && next === '\n') i++;
      i++;
      line++;
    } else if (/\s/.test(ch)) {
      i++;
    } else if (ch === '-' && next === '-') {
      const end = source.slice(i).search(/[\r\n]/);
      push('comment', end < 0 ? source.length : i + end);
    } else if (ch === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2);
      push('comment', end < 0 ? source.length : end + 2);
    } else if ((ch === 'x' || ch === 'X') && next === "'") {
      push('blob', quotedEnd(source, i + 1, "'"));
    } else if (Object.hasOwn(QUOTES, ch)) {
      const quote = QUOTES[ch];
      push(quote.type, quotedEnd(source, i, quote.close));
    } else if (ch === '?') {
      push('parameter', match(DIGITS, i + 1));
    } else if ((ch === ':' || ch === '@' || ch === '$') && match(NAME_CHARS, i + 1) > i + 1) {
      push('parameter', match(NAME_CHARS, i + 1));
    } else if (/[\d.]/.test(ch) && match(NUMBER, i) > i) {
      // A number runs into the letters that follow it (`1abc` is one bad token for SQLite too).
      push('number', match(NAME_CHARS, match(NUMBER, i)));
    } else if (match(WORD, i) > i) {
      push('word', match(WORD, i));
    } else {
      push('op', i + 1);
    }
  }
  return tokens;
}

/** Index just past the literal that opens at `open` and closes with `close` (a doubled `close` is inside). */
function quotedEnd(source: string, open: number, close: string): number {
  let j = open + 1;
  while (j < source.length) {
    if (source[j] === close) {
      if (close !== ']' && source[j + 1] === close) j += 2;
      else return j + 1;
    } else j++;
  }
  return source.length;
}

/** Whether a token is the keyword `keyword` (SQL keywords are case-insensitive). */
export function isKeyword(token: Token | undefined, keyword: string): boolean {
  return token?.type === 'word' && token.value.toUpperCase() === keyword;
}
