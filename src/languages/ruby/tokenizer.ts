/**
 * A tokenizer for Ruby source, just precise enough for signature inference: it knows every kind of
 * literal that can hide code-like text (strings with interpolation, `%` literals, regular expressions,
 * heredocs, symbols, character literals), comments (`#`, `=begin`/`=end`, `__END__`), labels (`if:`),
 * method names after `def` and keywords used as method names (`x.class`, `range.end`).
 *
 * Ruby's grammar decides some of this from context (is `/` a division or a regular expression?); the
 * tokenizer uses the same rule of thumb as Ruby's own lexer: a literal may start where an expression may
 * start, or after a method name followed by a space and no space after the character.
 */
import type { Token as SourceToken } from '../tokens.js';

/**
 * What a token is: a name (identifier, constant, `@ivar`, `$global`, method name after `def`), a keyword,
 * a label (`name:` in a hash or parameter list), a number, a literal (string, symbol, regexp, heredoc…),
 * an operator or bracket, or the end of a line.
 */
export type TokenType = 'name' | 'keyword' | 'label' | 'number' | 'literal' | 'op' | 'newline';

/** One token of Ruby source (a literal's value is the whole literal). */
export type Token = SourceToken<TokenType>;

/** A `#` comment. */
export interface Comment {
  /** Text after the `#`. */
  text: string;
  line: number;
  /** Nothing but whitespace before it on its line. */
  ownLine: boolean;
}

/** The tokens of a source, and its comments apart. */
export interface TokenizedSource {
  tokens: Token[];
  comments: Comment[];
}

const KEYWORDS = new Set([
  'alias',
  'and',
  'begin',
  'BEGIN',
  'break',
  'case',
  'class',
  'def',
  'defined?',
  'do',
  'else',
  'elsif',
  'end',
  'END',
  'ensure',
  'false',
  'for',
  'if',
  'in',
  'module',
  'next',
  'nil',
  'not',
  'or',
  'redo',
  'rescue',
  'retry',
  'return',
  'self',
  'super',
  'then',
  'true',
  'undef',
  'unless',
  'until',
  'when',
  'while',
  'yield',
  '__FILE__',
  '__LINE__',
  '__ENCODING__',
]);

/** Keywords after which an expression cannot start (they are values themselves). */
const VALUE_KEYWORDS = new Set(['end', 'self', 'true', 'false', 'nil', '__FILE__', '__LINE__', '__ENCODING__']);

const OPERATORS = [
  '**=',
  '<=>',
  '===',
  '...',
  '<<=',
  '>>=',
  '&&=',
  '||=',
  '&.',
  '**',
  '==',
  '!=',
  '>=',
  '<=',
  '&&',
  '||',
  '<<',
  '>>',
  '=~',
  '!~',
  '..',
  '::',
  '->',
  '=>',
  '+=',
  '-=',
  '*=',
  '/=',
  '%=',
  '|=',
  '&=',
  '^=',
];

/** Names of operator methods (`def +(other)`, `:<=>`). */
const OPERATOR_METHODS = [
  '[]=',
  '[]',
  '<=>',
  '===',
  '==',
  '=~',
  '!=',
  '!~',
  '>=',
  '<=',
  '>>',
  '<<',
  '**',
  '+@',
  '-@',
  '!',
  '>',
  '<',
  '+',
  '-',
  '*',
  '/',
  '%',
  '&',
  '|',
  '^',
  '~',
  '`',
];

const IDENTIFIER = /[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*/uy;
const NUMBER = /0[xX][\da-fA-F_]+|0[bB][01_]+|0[oO]?[0-7_]+|\d[\d_]*(?:\.\d[\d_]*)?(?:[eE][+-]?\d[\d_]*)?/y;
const NUMBER_SUFFIX = /r?i?/y;
const GLOBAL = /\$(?:[\p{L}_][\p{L}\p{Nd}_]*|-[\w]|\d+|[!@&`'+~=/\\,;.<>_*$?:"])/uy;
const INSTANCE = /@@?[\p{L}_][\p{L}\p{Nd}_]*/uy;
const HEREDOC = /<<([~-]?)(?:(["'`])(.*?)\2|([\p{L}_][\p{L}\p{Nd}_]*))/uy;
const PERCENT = /%([qQwWiIsrx]?)([^\p{L}\p{Nd}\s])/uy;
const PAIRS: Record<string, string> = { '(': ')', '[': ']', '{': '}', '<': '>' };
const NON_INTERPOLATING_PERCENT = new Set(['q', 'w', 'i', 's']);

/** Deepest `#{…}` nesting followed; deeper text is skipped as part of the string. */
const MAX_INTERPOLATION_DEPTH = 32;

interface PendingHeredoc {
  id: string;
  /** `<<~` or `<<-`: the terminator may be indented. */
  indented: boolean;
}

/** Splits Ruby source into tokens and comments. Unterminated literals run to the end of input. */
export function tokenizeRuby(source: string): TokenizedSource {
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === '\n') lineStarts.push(i + 1);
  const lexer = new Lexer(source, lineStarts, 0);
  lexer.run(0, false);
  return { tokens: lexer.tokens, comments: lexer.comments };
}

class Lexer {
  readonly tokens: Token[] = [];
  readonly comments: Comment[] = [];
  private pending: PendingHeredoc[] = [];
  /** The last token, which decides what `/`, `%`, `<<`, `?` and `:` mean. */
  private previous: Token | undefined;
  /** Set after `def`: the next word is a method name, whatever it looks like. */
  private expectMethodName = false;

  constructor(
    private readonly source: string,
    private readonly lineStarts: number[],
    private readonly depth: number,
  ) {}

  /**
   * Lexes from `position`. With `insideInterpolation`, stops after the `}` that closes the `#{`, and
   * returns the offset just past it.
   */
  run(position: number, insideInterpolation: boolean): number {
    const source = this.source;
    let i = position;
    let braces = 0;
    while (i < source.length) {
      const ch = source[i];
      const atLineStart = i === 0 || source[i - 1] === '\n';

      if (ch === '\n') {
        this.push('newline', i, i + 1);
        i = this.pending.length > 0 ? this.skipHeredocBodies(i + 1) : i + 1;
        continue;
      }
      if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\f' || ch === '\v') {
        i++;
        continue;
      }
      if (ch === '\\' && source[i + 1] === '\n') {
        i += 2;
        continue;
      }
      if (ch === '\\' && source[i + 1] === '\r' && source[i + 2] === '\n') {
        i += 3;
        continue;
      }
      if (atLineStart && source.startsWith('=begin', i) && /^=begin(?:\s|$)/.test(source.slice(i, i + 7))) {
        i = this.skipEmbeddedDocument(i);
        continue;
      }
      if (atLineStart && /^__END__\r?(?:\n|$)/.test(source.slice(i, i + 9))) break;
      if (ch === '#') {
        let end = source.indexOf('\n', i);
        if (end < 0) end = source.length;
        const lineStart = this.lineStarts[this.lineOf(i) - 1];
        this.comments.push({ text: source.slice(i + 1, end).replace(/\r$/, ''), line: this.lineOf(i), ownLine: source.slice(lineStart, i).trim() === '' });
        i = end;
        continue;
      }

      if (this.expectMethodName) {
        const end = this.methodName(i);
        if (end > i) {
          this.push('name', i, end);
          // `def self.name` / `def obj.name`: another method name follows the dot.
          if (source[end] === '.' || (source[end] === ':' && source[end + 1] === ':')) {
            const dot = source[end] === '.' ? 1 : 2;
            this.push('op', end, end + dot);
            i = end + dot;
          } else {
            this.expectMethodName = false;
            i = end;
          }
          continue;
        }
        this.expectMethodName = false;
      }

      if (insideInterpolation) {
        if (ch === '{') braces++;
        else if (ch === '}') {
          if (braces === 0) return i + 1;
          braces--;
        }
      }

      const end = this.lexToken(i);
      i = end > i ? end : i + 1;
    }
    return source.length;
  }

  /** Lexes one token at `i` and returns the offset after it. */
  private lexToken(i: number): number {
    const source = this.source;
    const ch = source[i];

    // Names, keywords, labels.
    IDENTIFIER.lastIndex = i;
    const identifier = IDENTIFIER.exec(source);
    if (identifier) {
      let end = i + identifier[0].length;
      if ((source[end] === '?' || source[end] === '!') && source[end + 1] !== '=' && !(source[end] === '?' && source[end + 1] === ':')) end++;
      const word = source.slice(i, end);
      const afterDot = this.previous?.type === 'op' && (this.previous.value === '.' || this.previous.value === '&.' || this.previous.value === '::');
      if (source[end] === ':' && source[end + 1] !== ':' && !afterDot) {
        this.push('label', i, end);
        return end + 1;
      }
      const isKeyword = !afterDot && KEYWORDS.has(word);
      this.push(isKeyword ? 'keyword' : 'name', i, end);
      if (isKeyword && word === 'def') this.expectMethodName = true;
      return end;
    }

    if (ch >= '0' && ch <= '9') {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(source);
      let end = i + (match ? match[0].length : 1);
      NUMBER_SUFFIX.lastIndex = end;
      end += NUMBER_SUFFIX.exec(source)?.[0].length ?? 0;
      this.push('number', i, end);
      return end;
    }

    // Instance, class and global variables.
    const variableEnd = this.variableEnd(i);
    if (variableEnd > i) {
      this.push('name', i, variableEnd);
      return variableEnd;
    }

    if (ch === '"' || ch === '`') return this.literal(i, this.skipDelimited(i + 1, ch, ch, true));
    if (ch === "'") return this.literal(i, this.skipDelimited(i + 1, ch, ch, false));

    const literalAllowed = this.literalMayStart(i);
    // After a method name (`puts /x/`) the reading is a guess: a local variable there means division. A
    // guessed literal must then close on its own line, or it is read as the operator.
    const guessed = this.previous?.type === 'name';
    const accept = (end: number, close: string): boolean =>
      !guessed || (end <= source.length && source[end - 1] === close && !source.slice(i, end).includes('\n'));
    if (ch === ':') {
      const next = source[i + 1];
      if (next === ':') {
        this.push('op', i, i + 2);
        return i + 2;
      }
      if (next === '"') return this.literal(i, this.skipDelimited(i + 2, '"', '"', true));
      if (next === "'") return this.literal(i, this.skipDelimited(i + 2, "'", "'", false));
      const symbolEnd = this.symbolName(i + 1, literalAllowed);
      if (symbolEnd > i + 1) return this.literal(i, symbolEnd);
    }

    if (literalAllowed) {
      if (ch === '/') {
        const end = this.skipDelimited(i + 1, '/', '/', true);
        if (accept(end, '/')) return this.literal(i, this.skipRegexpFlags(end));
      }
      if (ch === '%') {
        PERCENT.lastIndex = i;
        const match = PERCENT.exec(source);
        if (match) {
          const open = match[2];
          const close = PAIRS[open] ?? open;
          const end = this.skipDelimited(i + match[0].length, open, close, !NON_INTERPOLATING_PERCENT.has(match[1]));
          if (accept(end, close)) return this.literal(i, match[1] === 'r' ? this.skipRegexpFlags(end) : end);
        }
      }
      if (ch === '<' && source[i + 1] === '<') {
        HEREDOC.lastIndex = i;
        const match = HEREDOC.exec(source);
        if (match) {
          this.pending.push({ id: match[3] ?? match[4], indented: match[1] !== '' });
          return this.literal(i, i + match[0].length);
        }
      }
      if (ch === '?' && i + 1 < source.length && !/\s/.test(source[i + 1])) {
        if (source[i + 1] === '\\') return this.literal(i, this.skipCharacterEscape(i + 1));
        IDENTIFIER.lastIndex = i + 2;
        if (!IDENTIFIER.test(source) || i + 2 >= source.length) {
          const width = source.codePointAt(i + 1)! > 0xffff ? 2 : 1;
          return this.literal(i, i + 1 + width);
        }
      }
    }

    for (const op of OPERATORS) {
      if (source.startsWith(op, i)) {
        this.push('op', i, i + op.length);
        return i + op.length;
      }
    }
    this.push('op', i, i + 1);
    return i + 1;
  }

  /** Whether a literal (`/re/`, `%w[]`, `<<~EOS`, `?c`, `:sym`) may start at `i`. */
  private literalMayStart(i: number): boolean {
    const previous = this.previous;
    if (!previous) return true;
    switch (previous.type) {
      case 'newline':
      case 'label':
        return true;
      case 'keyword':
        return !VALUE_KEYWORDS.has(previous.value);
      case 'number':
      case 'literal':
        return false;
      case 'op':
        return previous.value !== ')' && previous.value !== ']' && previous.value !== '}';
      case 'name': {
        // `puts /x/`, `foo %w[a]`, `p <<~EOS`: a method called with an argument, as Ruby reads it.
        const spaceBefore = previous.end < i;
        const spaceAfter = /\s/.test(this.source[i + 1] ?? ' ');
        return spaceBefore && !spaceAfter && /^[\p{Ll}_]/u.test(previous.value);
      }
    }
  }

  /** End of a method name at `i` after `def` (an identifier, a setter `name=`, or an operator). */
  private methodName(i: number): number {
    const end = this.identifierEnd(i, true);
    if (end > i || this.source[i] === '@' || this.source[i] === '$') return end;
    return this.operatorEnd(i);
  }

  /** End of a symbol's name starting at `i` (after the colon), or `i` when there is none. */
  private symbolName(i: number, operatorsAllowed: boolean): number {
    const end = this.identifierEnd(i, false);
    if (end > i) return end;
    const variableEnd = this.variableEnd(i);
    if (variableEnd > i || !operatorsAllowed) return variableEnd;
    return this.operatorEnd(i);
  }

  /**
   * End of an identifier at `i` with the suffix a method's name may take: `?`, `!` (also before `=`
   * when `suffixBeforeEquals`), or a setter's `=` (not `==`, `=~`, `=>`); `i` when no identifier starts there.
   */
  private identifierEnd(i: number, suffixBeforeEquals: boolean): number {
    IDENTIFIER.lastIndex = i;
    const identifier = IDENTIFIER.exec(this.source);
    if (!identifier) return i;
    const end = i + identifier[0].length;
    const next = this.source[end];
    const after = this.source[end + 1];
    if ((next === '?' || next === '!') && (suffixBeforeEquals || after !== '=')) return end + 1;
    // A setter (`def name=(value)`); `def name = expr` (an endless method) has a space before `=`.
    if (next === '=' && after !== undefined && !'=~>'.includes(after)) return end + 1;
    return end;
  }

  /** End of an instance, class or global variable's name at `i`, or `i` when none starts there. */
  private variableEnd(i: number): number {
    const variable = this.source[i] === '@' ? INSTANCE : this.source[i] === '$' ? GLOBAL : undefined;
    if (!variable) return i;
    variable.lastIndex = i;
    const match = variable.exec(this.source);
    return match ? i + match[0].length : i;
  }

  /** End of an operator method's name at `i` (`+`, `[]=`, `<=>`…), or `i` when none starts there. */
  private operatorEnd(i: number): number {
    for (const op of OPERATOR_METHODS) if (this.source.startsWith(op, i)) return i + op.length;
    return i;
  }

  /**
   * Offset just past the `close` delimiter that ends a literal whose body starts at `i`. Backslashes
   * escape; distinct open/close delimiters nest; `#{…}` is code, which may hold strings and braces.
   */
  private skipDelimited(i: number, open: string, close: string, interpolates: boolean): number {
    const source = this.source;
    let nesting = 0;
    while (i < source.length) {
      const ch = source[i];
      if (ch === '\\') {
        i += 2;
        continue;
      }
      if (interpolates && ch === '#' && source[i + 1] === '{') {
        i = this.skipInterpolation(i + 2);
        continue;
      }
      if (ch === close && nesting === 0) return i + 1;
      if (open !== close) {
        if (ch === open) nesting++;
        else if (ch === close) nesting--;
      }
      i++;
    }
    return source.length;
  }

  /** Offset just past the `}` that closes an interpolation whose code starts at `i`. */
  private skipInterpolation(i: number): number {
    if (this.depth >= MAX_INTERPOLATION_DEPTH) {
      const close = this.source.indexOf('}', i);
      return close < 0 ? this.source.length : close + 1;
    }
    // The code inside is lexed for its literals (a `}` in a string does not close it); its tokens are not
    // part of the outer code.
    return new Lexer(this.source, this.lineStarts, this.depth + 1).run(i, true);
  }

  private skipRegexpFlags(i: number): number {
    while (i < this.source.length && /[a-z]/.test(this.source[i])) i++;
    return i;
  }

  /** End of a character literal's escape starting at the backslash `i` (`?\n`, `?\u{1F600}`, `?\C-a`). */
  private skipCharacterEscape(i: number): number {
    const rest = this.source.slice(i, i + 16);
    const match = /^\\(?:u\{[\da-fA-F ]*\}|u[\da-fA-F]{4}|x[\da-fA-F]{1,2}|[0-7]{1,3}|[CM]-\\?.|c.|.)/su.exec(rest);
    return i + (match ? match[0].length : 1);
  }

  /** Skips `=begin` … `=end` and returns the offset after the `=end` line. */
  private skipEmbeddedDocument(i: number): number {
    const source = this.source;
    const pattern = /^=end(?:\s|$)/gm;
    pattern.lastIndex = i + 1;
    const match = pattern.exec(source);
    if (!match) return source.length;
    const lineEnd = source.indexOf('\n', match.index);
    return lineEnd < 0 ? source.length : lineEnd;
  }

  /** Skips the bodies of the heredocs started on the line that just ended; returns where code resumes. */
  private skipHeredocBodies(i: number): number {
    const source = this.source;
    for (const heredoc of this.pending) {
      while (i < source.length) {
        let lineEnd = source.indexOf('\n', i);
        if (lineEnd < 0) lineEnd = source.length;
        const text = source.slice(i, lineEnd).replace(/\r$/, '');
        i = lineEnd + 1;
        if ((heredoc.indented ? text.trim() : text) === heredoc.id) break;
      }
    }
    this.pending = [];
    return Math.min(i, source.length);
  }

  private literal(start: number, end: number): number {
    this.push('literal', start, end);
    return end;
  }

  private push(type: TokenType, start: number, end: number): void {
    const previous = this.previous;
    if (type === 'newline' && previous?.type === 'newline') return;
    const token: Token = { type, value: this.source.slice(start, end), start, end, line: this.lineOf(start) };
    this.tokens.push(token);
    this.previous = token;
  }

  /** 1-based line of an offset. */
  private lineOf(offset: number): number {
    const starts = this.lineStarts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (starts[middle] <= offset) low = middle;
      else high = middle - 1;
    }
    return low + 1;
  }
}
