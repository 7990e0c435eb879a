/**
 * A tokenizer for Python source, just precise enough for signature inference: it knows strings (all
 * prefixes, triple quotes), comments, brackets, line continuations and indentation, and groups tokens into
 * logical lines.
 */
import type { Token as SourceToken } from '../tokens.js';

export type TokenType = 'name' | 'number' | 'string' | 'op';

/** A token of Python source. */
export type Token = SourceToken<TokenType>;

/** Tokens of one logical line (physical lines joined by brackets or backslashes). */
export interface LogicalLine {
  /** Column of the first token (tabs count as advancing to the next multiple of 8). */
  indent: number;
  tokens: Token[];
  line: number;
}

const STRING_PREFIX = /(?:[rRbBuUfF]|[rR][bBfF]|[bBfF][rR])?(?:'''|"""|'|")/y;
const NAME = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}_]*/uy;
const NUMBER = /(?:0[xXoObB][\da-fA-F_]+|(?:\d[\d_]*)?\.?\d[\d_]*(?:[eE][+-]?\d[\d_]*)?[jJ]?)/y;
const OPERATORS = [
  '**=',
  '//=',
  '>>=',
  '<<=',
  '...',
  '->',
  ':=',
  '**',
  '//',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '@=',
];

/** Splits Python source into logical lines of tokens. Unterminated strings run to the end of input. */
export function tokenizeLogicalLines(source: string): LogicalLine[] {
  const lines: LogicalLine[] = [];
  let current: LogicalLine | undefined;
  let depth = 0;
  let line = 1;
  let i = 0;
  let atLineStart = true;
  let indent = 0;

  const push = (type: TokenType, start: number, end: number, tokenLine: number): void => {
    if (!current) current = { indent, tokens: [], line: tokenLine };
    current.tokens.push({ type, value: source.slice(start, end), start, end, line: tokenLine });
  };
  const endLogicalLine = (): void => {
    if (current && current.tokens.length > 0) lines.push(current);
    current = undefined;
  };

  while (i < source.length) {
    const ch = source[i];
    if (atLineStart) {
      // Measure indentation of a new physical line (only meaningful outside brackets).
      let column = 0;
      let j = i;
      while (j < source.length && (source[j] === ' ' || source[j] === '\t' || source[j] === '\f')) {
        column = source[j] === '\t' ? (Math.floor(column / 8) + 1) * 8 : source[j] === '\f' ? 0 : column + 1;
        j++;
      }
      if (depth === 0 && !current) indent = column;
      i = j;
      atLineStart = false;
      continue;
    }
    if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && source[i + 1] === '\n') i++;
      i++;
      line++;
      atLineStart = true;
      if (depth === 0) endLogicalLine();
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\f') {
      i++;
      continue;
    }
    if (ch === '#') {
      while (i < source.length && source[i] !== '\n' && source[i] !== '\r') i++;
      continue;
    }
    if (ch === '\\' && (source[i + 1] === '\n' || source[i + 1] === '\r')) {
      i += source[i + 1] === '\r' && source[i + 2] === '\n' ? 3 : 2;
      line++;
      continue;
    }
    STRING_PREFIX.lastIndex = i;
    const stringStart = STRING_PREFIX.exec(source);
    if (stringStart) {
      const startLine = line;
      const prefix = stringStart[0].replace(/['"]+$/, '');
      const quote = stringStart[0].slice(prefix.length);
      let j = i + stringStart[0].length;
      while (j < source.length) {
        const c = source[j];
        if (c === '\\') {
          // Even in raw strings a backslash keeps the next character (a quote) inside the string.
          if (source[j + 1] === '\n') line++;
          j += 2;
          continue;
        }
        if (c === '\n') {
          if (quote.length === 1) break; // unterminated single-quoted string
          line++;
        }
        if (source.startsWith(quote, j)) {
          j += quote.length;
          break;
        }
        j++;
      }
      push('string', i, Math.min(j, source.length), startLine);
      i = j;
      continue;
    }
    NAME.lastIndex = i;
    const name = NAME.exec(source);
    if (name) {
      push('name', i, i + name[0].length, line);
      i += name[0].length;
      continue;
    }
    if (/[\d.]/.test(ch)) {
      NUMBER.lastIndex = i;
      const number = NUMBER.exec(source);
      if (number && number[0].length > 0 && number[0] !== '.') {
        push('number', i, i + number[0].length, line);
        i += number[0].length;
        continue;
      }
    }
    const op = OPERATORS.find((candidate) => source.startsWith(candidate, i)) ?? ch;
    if (op === '(' || op === '[' || op === '{') depth++;
    else if ((op === ')' || op === ']' || op === '}') && depth > 0) depth--;
    push('op', i, i + op.length, line);
    i += op.length;
    if (op === ';' && depth === 0) {
      // `a; b` on one line: keep the indentation for the next statement.
      const keep = current?.indent ?? indent;
      endLogicalLine();
      indent = keep;
    }
  }
  endLogicalLine();
  return lines;
}
