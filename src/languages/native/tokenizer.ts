/**
 * A tokenizer for C and C++ source, as much as signature inference needs: identifiers, numbers,
 * string and character literals (with prefixes and C++ raw strings), punctuation, comments (kept for doc
 * comments) and preprocessor lines (dropped; code inside `#if 0` is dropped too). It never throws: text
 * it does not understand becomes single-character punctuation.
 */
import type { Token as SourceToken } from '../tokens.js';

/** What a token is. */
export type NativeTokenType = 'identifier' | 'number' | 'string' | 'char' | 'punct';

/** One token of C or C++ source. */
export type NativeToken = SourceToken<NativeTokenType>;

/** A comment, kept to find doc comments. */
export interface NativeComment {
  text: string;
  line: number;
  endLine: number;
  /** Offset of the comment in the source. */
  start: number;
}

/** The tokens and comments of a source file. */
export interface NativeTokens {
  tokens: NativeToken[];
  comments: NativeComment[];
}

const TWO_CHAR_PUNCT = new Set(['::', '->', '&&', '||', '==', '!=', '<=', '+=', '-=', '*=', '/=', '++', '--', '##']);

/** Splits `source` into tokens and comments. Never throws. */
export function tokenizeNative(source: string): NativeTokens {
  const tokens: NativeToken[] = [];
  const comments: NativeComment[] = [];
  /** `#if` nesting: true where the group is skipped (`#if 0`, or inside a skipped group). */
  const conditionals: { skipping: boolean; zero: boolean; parentSkipping: boolean }[] = [];
  let skipping = false;
  let line = 1;
  let atLineStart = true;
  let i = 0;
  const n = source.length;

  const push = (type: NativeTokenType, start: number, end: number, startLine: number): void => {
    if (!skipping) tokens.push({ type, value: source.slice(start, end), line: startLine, start, end });
  };
  const countLines = (start: number, end: number): void => {
    for (let k = start; k < end; k++) if (source.charCodeAt(k) === 10) line++;
  };

  while (i < n) {
    const c = source[i];
    if (c === '\n') {
      line++;
      i++;
      atLineStart = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '\\' && (source[i + 1] === '\n' || (source[i + 1] === '\r' && source[i + 2] === '\n'))) {
      i += source[i + 1] === '\n' ? 2 : 3;
      line++;
      continue;
    }
    // Comments.
    if (c === '/' && source[i + 1] === '/') {
      const start = i;
      const startLine = line;
      while (i < n && source[i] !== '\n') {
        if (source[i] === '\\' && source[i + 1] === '\n') {
          line++;
          i++;
        }
        i++;
      }
      if (!skipping) comments.push({ text: source.slice(start, i), line: startLine, endLine: line, start });
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const start = i;
      const startLine = line;
      const close = source.indexOf('*/', i + 2);
      const end = close < 0 ? n : close + 2;
      countLines(i, end);
      i = end;
      if (!skipping) comments.push({ text: source.slice(start, end), line: startLine, endLine: line, start });
      continue;
    }
    // Preprocessor directives: a '#' first on its line, up to the end of the (continued) line.
    if (c === '#' && atLineStart) {
      const start = i;
      while (i < n && source[i] !== '\n') {
        if (source[i] === '\\' && source[i + 1] === '\n') {
          line++;
          i++;
        } else if (source[i] === '/' && source[i + 1] === '*') {
          const close = source.indexOf('*/', i + 2);
          const end = close < 0 ? n : close + 2;
          countLines(i, end);
          i = end;
          continue;
        }
        i++;
      }
      skipping = directive(source.slice(start + 1, i), conditionals, skipping);
      continue;
    }
    atLineStart = false;
    const startLine = line;
    // Identifiers, and string/char literals with an encoding prefix (u8"", L'', R"(...)").
    if (isIdentStart(c)) {
      let j = i + 1;
      while (j < n && isIdentPart(source[j])) j++;
      const word = source.slice(i, j);
      if (source[j] === '"' && /^(?:u8|u|U|L)?R$/.test(word)) {
        const end = rawStringEnd(source, j);
        countLines(i, end);
        push('string', i, end, startLine);
        i = end;
        continue;
      }
      if ((source[j] === '"' || source[j] === "'") && /^(?:u8|u|U|L)$/.test(word)) {
        const end = quotedEnd(source, j);
        countLines(i, end);
        push(source[j] === '"' ? 'string' : 'char', i, end, startLine);
        i = end;
        continue;
      }
      push('identifier', i, j, startLine);
      i = j;
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(source[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < n) {
        const d = source[j];
        if (isIdentPart(d) || d === '.' || (d === "'" && isIdentPart(source[j + 1] ?? ''))) j++;
        else if ((d === '+' || d === '-') && /[eEpP]/.test(source[j - 1])) j++;
        else break;
      }
      push('number', i, j, startLine);
      i = j;
      continue;
    }
    if (c === '"' || c === "'") {
      const end = quotedEnd(source, i);
      countLines(i, end);
      push(c === '"' ? 'string' : 'char', i, end, startLine);
      i = end;
      continue;
    }
    if (c === '.' && source[i + 1] === '.' && source[i + 2] === '.') {
      push('punct', i, i + 3, startLine);
      i += 3;
      continue;
    }
    const two = source.slice(i, i + 2);
    if (TWO_CHAR_PUNCT.has(two)) {
      push('punct', i, i + 2, startLine);
      i += 2;
      continue;
    }
    push('punct', i, i + 1, startLine);
    i++;
  }
  return { tokens, comments };
}

/** Applies a conditional directive to the `#if` stack; returns whether code is skipped after it. */
function directive(text: string, stack: { skipping: boolean; zero: boolean; parentSkipping: boolean }[], skipping: boolean): boolean {
  const match = /^\s*(\w+)\s*(.*)$/s.exec(text);
  if (!match) return skipping;
  const [, keyword, rest] = match;
  const condition = rest.replace(/\/\*.*?\*\/|\/\/.*$/gs, '').trim();
  switch (keyword) {
    case 'if':
    case 'ifdef':
    case 'ifndef': {
      const zero = keyword === 'if' && /^0+$/.test(condition);
      stack.push({ skipping: skipping || zero, zero, parentSkipping: skipping });
      return skipping || zero;
    }
    case 'elif':
    case 'else': {
      const top = stack[stack.length - 1];
      if (!top) return skipping;
      // After `#if 0`, the alternative is live; after any other condition we cannot know, so code is
      // read (both branches may define functions; inference reports what it sees).
      if (top.zero) {
        top.zero = false;
        top.skipping = top.parentSkipping;
      }
      return top.skipping;
    }
    case 'endif': {
      const top = stack.pop();
      return top ? top.parentSkipping : skipping;
    }
    default:
      return skipping;
  }
}

/** End offset of a quoted literal starting at `open` (a quote). Stops at an unescaped newline. */
function quotedEnd(source: string, open: number): number {
  const quote = source[open];
  let i = open + 1;
  while (i < source.length) {
    const c = source[i];
    if (c === '\\') i += 2;
    else if (c === quote) return i + 1;
    else if (c === '\n') return i;
    else i++;
  }
  return source.length;
}

/** End offset of a raw string `R"delim( ... )delim"` whose quote is at `quote`. */
function rawStringEnd(source: string, quote: number): number {
  const paren = source.indexOf('(', quote + 1);
  if (paren < 0 || paren - quote - 1 > 16) return quotedEnd(source, quote);
  const delimiter = source.slice(quote + 1, paren);
  const close = source.indexOf(`)${delimiter}"`, paren + 1);
  return close < 0 ? source.length : close + delimiter.length + 2;
}

function isIdentStart(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || c === '$' || c > '\x7f';
}

function isIdentPart(c: string): boolean {
  return isIdentStart(c) || isDigit(c);
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}
