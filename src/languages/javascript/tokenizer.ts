/**
 * A tokenizer for JavaScript source, just precise enough for signature inference: it knows strings,
 * template literals (with nested `${…}` expressions), comments, regular expression literals (told apart
 * from division by the previous token) and numbers. A template literal is one token, whatever its
 * substitutions hold. Never throws: anything unterminated runs to the end of input.
 */
import type { Token as SourceToken } from '../tokens.js';

export type TokenType = 'name' | 'number' | 'string' | 'template' | 'regex' | 'punct' | 'private';

/** A token of JavaScript source (its line counts `\n` only, as QuickJS does). */
export interface Token extends SourceToken<TokenType> {
  /** Whether a line break separates this token from the previous one (matters for ASI). */
  newlineBefore: boolean;
}

/** A block comment (`/* … *\/`), kept for doc comments. */
export interface Comment {
  text: string;
  start: number;
  end: number;
}

export interface TokenizedSource {
  tokens: Token[];
  comments: Comment[];
  /** A string, template or comment is not closed. */
  unterminated: boolean;
}

// ZWNJ and ZWJ (U+200C, U+200D) may continue an identifier on their own: they are not a joined sequence here.
// eslint-disable-next-line no-misleading-character-class
const NAME = /[\p{ID_Start}$_\\][\p{ID_Continue}$\u200c\u200d\\]*/uy;
const NUMBER = /(?:0[xXoObB][\da-fA-F_]+n?|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?n?)/y;
const PUNCTUATORS = [
  '>>>=',
  '...',
  '===',
  '!==',
  '**=',
  '<<=',
  '>>=',
  '>>>',
  '&&=',
  '||=',
  '??=',
  '=>',
  '==',
  '!=',
  '<=',
  '>=',
  '&&',
  '||',
  '??',
  '?.',
  '++',
  '--',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '&=',
  '|=',
  '^=',
  '**',
  '<<',
  '>>',
];
/** Keywords after which a `/` starts a regular expression rather than a division. */
const KEYWORDS_BEFORE_EXPRESSION = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
  'extends',
]);
const WHITESPACE = /[\t\v\f \u00a0\ufeff\p{Zs}]/u;
const LINE_BREAK = /[\n\r\u2028\u2029]/;

/** Splits JavaScript source into tokens and block comments. */
export function tokenize(source: string): TokenizedSource {
  return new Tokenizer(source).run();
}

class Tokenizer {
  private readonly tokens: Token[] = [];
  private readonly comments: Comment[] = [];
  private pos = 0;
  private line = 1;
  private newlineBefore = false;
  /** Last significant token, including those inside template substitutions (for regex detection). */
  private previous: Token | undefined;
  private unterminated = false;

  constructor(private readonly source: string) {}

  run(): TokenizedSource {
    if (this.source.startsWith('#!')) this.skipLine();
    this.scan(this.tokens, false);
    return { tokens: this.tokens, comments: this.comments, unterminated: this.unterminated };
  }

  /**
   * Tokenizes into `out` until the end of input or, inside a template substitution, until the `}` that
   * closes it (consumed).
   */
  private scan(out: Token[], inSubstitution: boolean): void {
    let depth = 0;
    const src = this.source;
    while (this.pos < src.length) {
      const ch = src[this.pos];
      if (ch === '\n') {
        this.line++;
        this.pos++;
        this.newlineBefore = true;
        continue;
      }
      if (LINE_BREAK.test(ch)) {
        this.pos++;
        this.newlineBefore = true;
        continue;
      }
      if (WHITESPACE.test(ch)) {
        this.pos++;
        continue;
      }
      if (ch === '/' && src[this.pos + 1] === '/') {
        this.skipLine();
        continue;
      }
      if (ch === '/' && src[this.pos + 1] === '*') {
        this.blockComment();
        continue;
      }
      if (inSubstitution) {
        if (ch === '{') depth++;
        else if (ch === '}') {
          if (depth === 0) {
            this.pos++;
            return;
          }
          depth--;
        }
      }
      this.token(out);
    }
  }

  private token(out: Token[]): void {
    const src = this.source;
    const start = this.pos;
    const line = this.line;
    const ch = src[start];
    let type: TokenType;
    if (ch === '"' || ch === "'") {
      this.quoted(ch);
      type = 'string';
    } else if (ch === '`') {
      this.quoted(ch);
      type = 'template';
    } else if (ch === '/' && this.regexAllowed()) {
      this.regex();
      type = 'regex';
    } else if (ch === '#' && this.match(NAME, start + 1)) {
      this.pos = NAME.lastIndex;
      type = 'private';
    } else if (this.match(NAME, start)) {
      this.pos = NAME.lastIndex;
      type = 'name';
    } else if (/[\d.]/.test(ch) && this.match(NUMBER, start) && NUMBER.lastIndex > start && src.slice(start, NUMBER.lastIndex) !== '.') {
      this.pos = NUMBER.lastIndex;
      type = 'number';
    } else {
      const punct = PUNCTUATORS.find((p) => src.startsWith(p, start));
      this.pos = start + (punct ? punct.length : 1);
      type = 'punct';
    }
    const token: Token = { type, value: src.slice(start, this.pos), start, end: this.pos, line, newlineBefore: this.newlineBefore };
    this.newlineBefore = false;
    this.previous = token;
    out.push(token);
  }

  private match(pattern: RegExp, at: number): boolean {
    pattern.lastIndex = at;
    return pattern.test(this.source);
  }

  private regexAllowed(): boolean {
    const previous = this.previous;
    if (!previous) return true;
    switch (previous.type) {
      case 'name':
        return KEYWORDS_BEFORE_EXPRESSION.has(previous.value);
      case 'number':
      case 'string':
      case 'template':
      case 'regex':
      case 'private':
        return false;
      default:
        // After `)` or `]` a slash divides; after `}` (most often the end of a block) it starts a regex.
        return previous.value !== ')' && previous.value !== ']';
    }
  }

  private skipLine(): void {
    const src = this.source;
    while (this.pos < src.length && !LINE_BREAK.test(src[this.pos])) this.pos++;
  }

  private blockComment(): void {
    const src = this.source;
    const start = this.pos;
    const close = src.indexOf('*/', start + 2);
    if (close < 0) this.unterminated = true;
    const end = close < 0 ? src.length : close + 2;
    const text = src.slice(start, end);
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.line++;
    if (LINE_BREAK.test(text)) this.newlineBefore = true;
    this.comments.push({ text, start, end });
    this.pos = end;
  }

  /**
   * A string literal (a line break ends an unterminated one), or with `quote` a backtick, a template
   * literal, whose `${…}` substitutions are scanned as code.
   */
  private quoted(quote: string): void {
    const src = this.source;
    const template = quote === '`';
    this.pos++;
    while (this.pos < src.length) {
      const c = src[this.pos];
      if (c === '\\') {
        if (src[this.pos + 1] === '\n') this.line++;
        this.pos += 2;
        continue;
      }
      if (c === quote) {
        this.pos++;
        return;
      }
      if (template && c === '$' && src[this.pos + 1] === '{') {
        this.pos += 2;
        this.previous = undefined;
        this.scan([], true);
        continue;
      }
      if (c === '\n') {
        if (!template) break;
        this.line++;
      }
      this.pos++;
    }
    this.unterminated = true;
  }

  /**
   * A regular expression literal: `/` inside a class `[…]` does not end it. A line break ends an
   * unterminated one without marking the source incomplete: it may be a division taken for a regex.
   */
  private regex(): void {
    const src = this.source;
    this.pos++;
    let inClass = false;
    while (this.pos < src.length) {
      const c = src[this.pos];
      if (c === '\\') {
        this.pos += 2;
        continue;
      }
      if (LINE_BREAK.test(c)) return;
      this.pos++;
      if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      else if (c === '/' && !inClass) break;
    }
    while (this.pos < src.length && /[\w$]/.test(src[this.pos])) this.pos++;
  }
}
