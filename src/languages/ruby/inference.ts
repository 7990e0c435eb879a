/**
 * Signature inference for Ruby: finds the top-level methods of user code (`def name …`, also inside
 * top-level `if`/`unless`/`begin`/`case`/loops, `private def …`, endless `def name(x) = …`) with their
 * parameters, defaults, and the comment block above them as their doc. Methods of classes and modules,
 * singleton methods (`def self.name`), methods defined inside blocks or other methods, setters and
 * operators are not candidates.
 *
 * Ruby has no type annotations in its syntax; YARD tags in the doc comment (`@param name [Type]`,
 * `@return [Type]`) give parameter and return types.
 */
import type { FunctionSignature, ParameterInfo } from '../signature.js';
import { docText } from '../doc-comments.js';
import { skipBracket, sourceText } from '../tokens.js';
import { tokenizeRuby, type Comment, type Token } from './tokenizer.js';

/** What a keyword or bracket opened, until its `end` or closing bracket. */
interface Opening {
  /** A bracket's closing character; undefined for keyword blocks closed by `end`. */
  closer?: string;
  /** Methods defined inside are not top-level functions (class, module, def, blocks, braces). */
  scoping: boolean;
  /** `while x do`: the optional `do` belongs to the loop, not to a block. */
  awaitingDo?: boolean;
}

const CALLABLE_NAME = /^[\p{L}\p{Nl}_][\p{L}\p{Nl}\p{Mn}\p{Mc}\p{Nd}\p{Pc}]*[?!]?$/u;
const CLOSERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
/** Tokens after which `if`/`unless`/`while`/`until` are modifiers (`x = 1 if y`, `return if done`). */
const STATEMENT_END_KEYWORDS = new Set([
  'end',
  'self',
  'true',
  'false',
  'nil',
  '__FILE__',
  '__LINE__',
  '__ENCODING__',
  'return',
  'break',
  'next',
  'redo',
  'retry',
  'yield',
  'super',
]);
/** Comments that are directives, not documentation. */
const DIRECTIVE = /^\s*(?:-\*-.*-\*-|(?:frozen_string_literal|encoding|coding|warn_indent|shareable_constant_value)\s*:|rubocop:|typed:|@!parse)/i;

/** Finds the callable top-level methods of Ruby `source`, in order of definition. Never throws. */
export function inferRubySignatures(source: string): FunctionSignature[] {
  const found = new Map<string, FunctionSignature>();
  try {
    collect(source, found);
  } catch {
    // Inference is best effort: what was found before a failure still helps.
  }
  return [...found.values()];
}

function collect(source: string, found: Map<string, FunctionSignature>): void {
  const { tokens, comments } = tokenizeRuby(source);
  const commentsByLine = new Map<number, Comment>();
  for (const comment of comments) if (comment.ownLine) commentsByLine.set(comment.line, comment);
  const stack: Opening[] = [];

  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    const top = stack[stack.length - 1];

    if (token.type === 'newline' || (token.type === 'op' && token.value === ';')) {
      if (top?.awaitingDo) top.awaitingDo = false;
      continue;
    }
    if (token.type === 'op') {
      const closer = CLOSERS[token.value];
      if (closer) stack.push({ closer, scoping: token.value === '{' });
      else if (token.value === ')' || token.value === ']' || token.value === '}') closeBracket(stack, token.value);
      continue;
    }
    if (token.type !== 'keyword') continue;

    switch (token.value) {
      case 'def': {
        const definition = parseDef(source, tokens, index, commentsByLine);
        if (definition.signature && !stack.some((opening) => opening.scoping)) {
          found.delete(definition.signature.name);
          found.set(definition.signature.name, definition.signature);
        }
        if (!definition.endless) stack.push({ scoping: true });
        index = definition.next - 1;
        break;
      }
      case 'class':
      case 'module':
        stack.push({ scoping: true });
        break;
      case 'if':
      case 'unless':
        if (!isModifier(tokens[index - 1])) stack.push({ scoping: false });
        break;
      case 'while':
      case 'until':
        if (!isModifier(tokens[index - 1])) stack.push({ scoping: false, awaitingDo: true });
        break;
      case 'for':
        stack.push({ scoping: false, awaitingDo: true });
        break;
      case 'case':
      case 'begin':
        stack.push({ scoping: false });
        break;
      case 'do':
        if (top?.awaitingDo) top.awaitingDo = false;
        else stack.push({ scoping: true });
        break;
      case 'end':
        closeKeywordBlock(stack);
        break;
    }
  }
}

/** `if`/`unless`/`while`/`until` after a complete expression modify it rather than open a block. */
function isModifier(previous: Token | undefined): boolean {
  if (!previous) return false;
  switch (previous.type) {
    case 'name':
    case 'number':
    case 'literal':
      return true;
    case 'keyword':
      return STATEMENT_END_KEYWORDS.has(previous.value);
    case 'op':
      return previous.value === ')' || previous.value === ']' || previous.value === '}';
    default:
      return false;
  }
}

function closeBracket(stack: Opening[], closer: string): void {
  const at = stack.map((opening) => opening.closer).lastIndexOf(closer);
  if (at >= 0) stack.length = at;
}

function closeKeywordBlock(stack: Opening[]): void {
  for (let at = stack.length - 1; at >= 0; at--) {
    if (stack[at].closer === undefined) {
      stack.length = at;
      return;
    }
  }
}

interface Definition {
  /** The signature, when the method is a candidate (a plain name, not `def self.x` nor an operator). */
  signature?: FunctionSignature;
  /** `def name(x) = expr`: no `end` follows. */
  endless: boolean;
  /** Index of the first token after the header. */
  next: number;
}

function parseDef(source: string, tokens: Token[], at: number, comments: Map<number, Comment>): Definition {
  const keyword = tokens[at];
  let i = at + 1;
  let nameToken = tokens[i];
  let singleton = false;
  // `def self.name`, `def Foo::name`: a method of that object.
  while (tokens[i + 1]?.type === 'op' && (tokens[i + 1].value === '.' || tokens[i + 1].value === '::') && tokens[i + 2]) {
    singleton = true;
    i += 2;
    nameToken = tokens[i];
  }
  if (!nameToken || nameToken.type === 'newline') return { endless: false, next: at + 1 };
  i++;

  let paramTokens: Token[] = [];
  let endless = false;
  if (tokens[i]?.type === 'op' && tokens[i].value === '(') {
    const close = skipBracket(tokens, i) - 1;
    paramTokens = tokens.slice(i + 1, close);
    i = close + 1;
    endless = tokens[i]?.type === 'op' && tokens[i].value === '=';
  } else if (tokens[i]?.type === 'op' && tokens[i].value === '=') {
    endless = true;
  } else {
    const start = i;
    while (i < tokens.length && tokens[i].type !== 'newline' && !(tokens[i].type === 'op' && tokens[i].value === ';')) i++;
    paramTokens = tokens.slice(start, i);
  }

  const name = nameToken.value;
  if (singleton || !CALLABLE_NAME.test(name) || nameToken.type !== 'name') return { endless, next: i };
  const signature: FunctionSignature = { name, params: parseParameters(source, paramTokens), line: keyword.line };
  const doc = docComment(comments, keyword.line);
  if (doc) {
    signature.doc = doc;
    applyYardTypes(signature, doc);
  }
  return { signature, endless, next: i };
}

function parseParameters(source: string, tokens: Token[]): ParameterInfo[] {
  const params: ParameterInfo[] = [];
  for (const part of splitTopLevel(tokens)) {
    if (part.length === 0) continue;
    const head = part[0];
    const next = part[1];
    if (head.type === 'op') {
      switch (head.value) {
        case '*':
          params.push({ name: next?.type === 'name' ? next.value : '*', kind: 'var-positional' });
          continue;
        case '**':
          // `**nil`: the method takes no keywords at all.
          if (next?.type === 'keyword' && next.value === 'nil') continue;
          params.push({ name: next?.type === 'name' ? next.value : '**', kind: 'var-keyword' });
          continue;
        case '&':
          params.push({ name: next?.type === 'name' ? next.value : '&', kind: 'block' });
          continue;
        case '...':
          // Argument forwarding: everything, as Method#parameters reports it.
          params.push({ name: '*', kind: 'var-positional' }, { name: '**', kind: 'var-keyword' }, { name: '&', kind: 'block' });
          continue;
        case '(':
          // A destructured parameter: one positional argument.
          params.push({ name: sourceText(source, part), kind: 'positional-only' });
          continue;
      }
      continue;
    }
    if (head.type === 'label') {
      const param: ParameterInfo = { name: head.value, kind: 'keyword-only' };
      if (part.length > 1) param.default = sourceText(source, part.slice(1));
      params.push(param);
      continue;
    }
    if (head.type !== 'name') continue;
    const param: ParameterInfo = { name: head.value, kind: 'positional-only' };
    if (next?.type === 'op' && next.value === '=' && part.length > 2) param.default = sourceText(source, part.slice(2));
    params.push(param);
  }
  return params;
}

function splitTopLevel(tokens: Token[]): Token[][] {
  const parts: Token[][] = [[]];
  let depth = 0;
  for (const token of tokens) {
    if (token.type === 'newline') continue;
    if (token.type === 'op') {
      const v = token.value;
      if (v === '(' || v === '[' || v === '{') depth++;
      else if (v === ')' || v === ']' || v === '}') depth--;
      else if (v === ',' && depth === 0) {
        parts.push([]);
        continue;
      }
    } else if (token.type === 'keyword') {
      // A default value may hold a `do … end` block or an `if … end` expression.
      if (token.value === 'do' || token.value === 'begin' || token.value === 'case') depth++;
      else if (token.value === 'end') depth--;
    }
    parts[parts.length - 1].push(token);
  }
  return parts;
}

/** The block of `#` comment lines right above line `line` (no blank line between), without directives. */
function docComment(comments: Map<number, Comment>, line: number): string | undefined {
  const lines: string[] = [];
  for (let at = line - 1; comments.has(at); at--) lines.unshift(comments.get(at)!.text);
  // The text after `#`: the space after it goes with the indentation every line shares.
  const text = docText(lines.filter((l) => !DIRECTIVE.test(l)));
  return text === '' ? undefined : text;
}

/**
 * `@param name [Type]` / `@param [Type] name` and `@return [Type]` tags of a YARD doc comment. A YARD
 * types list separates alternatives with commas (`[Integer, nil]`); they are kept as a union
 * (`Integer | nil`), the form the other languages use.
 */
function applyYardTypes(signature: FunctionSignature, doc: string): void {
  const types = String.raw`\[((?:[^\[\]\n]|\[[^\[\]\n]*\])*)\]`;
  const name = String.raw`([\p{L}_][\p{L}\p{Nd}_]*)`;
  const paramTag = new RegExp(String.raw`^@param\s+(?:${name}\s+${types}|${types}\s+${name})`, 'gmu');
  for (const match of doc.matchAll(paramTag)) {
    const param = signature.params.find((p) => p.name === (match[1] ?? match[4]));
    const type = yardUnion(match[2] ?? match[3]);
    if (param && type) param.type = type;
  }
  const returns = new RegExp(String.raw`^@return\s+${types}`, 'mu').exec(doc);
  const returnType = returns ? yardUnion(returns[1]) : '';
  if (returnType) signature.returnType = returnType;
}

function yardUnion(list: string): string {
  const members: string[] = [];
  let depth = 0;
  let current = '';
  let previous = '';
  for (const ch of list) {
    if ('<{(['.includes(ch)) depth++;
    else if ('})]'.includes(ch) || (ch === '>' && previous !== '=')) depth--;
    previous = ch;
    if (ch === ',' && depth === 0) {
      members.push(current.trim());
      current = '';
    } else current += ch;
  }
  members.push(current.trim());
  return members.filter((member) => member !== '').join(' | ');
}
