/**
 * Signature inference for C and C++: finds the function definitions at file scope (also inside
 * `extern "C" { }`), with their parameters, declared types, C++ default arguments and doc comments.
 *
 * Not candidates: `static` functions (private to the file), `main`, prototypes without a body, templates,
 * members (definitions inside classes or qualified as `Class::name`), operators, and anything inside
 * namespaces, comments, strings or `#if 0`. When a name is defined twice (C++ overloads), the first
 * definition is kept.
 */
import { cleanDocComment } from '../doc-comments.js';
import type { FunctionSignature, ParameterInfo } from '../signature.js';
import { isOpener, skipBracket } from '../tokens.js';
import { tokenizeNative, type NativeComment, type NativeToken } from './tokenizer.js';

/** Which language the source is written in. */
export type NativeDialect = 'c' | 'cpp';

/** Words before a function's name that are not part of its return type. */
const DECLARATION_SPECIFIERS = new Set(['extern', 'inline', '__inline', '__inline__', 'constexpr', '_Noreturn', 'virtual', 'explicit', 'consteval']);
/** Words after the parameter list that may come before the body. */
const TRAILING_QUALIFIERS = new Set(['const', 'noexcept', 'override', 'final', 'throw', '__attribute__', 'volatile']);

/** Finds the callable file-scope functions of C or C++ `source`, in order of definition. Never throws. */
export function inferNativeSignatures(source: string, dialect: NativeDialect): FunctionSignature[] {
  try {
    return findSignatures(source, dialect);
  } catch {
    // Inference must never fail a request on its own; a bug here means "no functions found".
    return [];
  }
}

function findSignatures(source: string, dialect: NativeDialect): FunctionSignature[] {
  const { tokens, comments } = tokenizeNative(source);
  const found = new Map<string, FunctionSignature>();
  /** Open `extern "C" {` blocks: their closing brace is not the end of anything else. */
  let transparentBlocks = 0;
  let start = 0;
  let i = 0;
  while (i < tokens.length) {
    const token = tokens[i];
    const value = token.type === 'punct' ? token.value : '';
    if (value === ';') {
      i++;
      start = i;
      continue;
    }
    if (value === '}') {
      if (transparentBlocks > 0) transparentBlocks--;
      i++;
      start = i;
      continue;
    }
    if (value === '(' || value === '[') {
      i = skipBracket(tokens, i);
      continue;
    }
    if (value !== '{') {
      i++;
      continue;
    }
    const head = tokens.slice(start, i);
    const first = head[0]?.value;
    if (head.length === 2 && first === 'extern' && head[1].type === 'string') {
      transparentBlocks++;
      i++;
      start = i;
      continue;
    }
    const bodyEnd = skipBracket(tokens, i);
    if (first === 'namespace' || (first === 'inline' && head[1]?.value === 'namespace')) {
      i = bodyEnd;
      start = i;
      continue;
    }
    const signature = parseDefinition(source, head, comments, dialect);
    if (signature === 'not-a-function') {
      // A struct, enum or initializer body: the declaration goes on until its ';'.
      i = bodyEnd;
      continue;
    }
    if (signature && !found.has(signature.name)) found.set(signature.name, signature);
    i = bodyEnd;
    start = i;
  }
  return [...found.values()];
}

/**
 * Reads the tokens before a '{' at file scope. Returns the signature of a function definition,
 * `undefined` for a definition that is not a candidate (static, main, template, member…), or
 * `'not-a-function'` when the brace opens something else (a struct body, an initializer).
 */
function parseDefinition(
  source: string,
  head: NativeToken[],
  comments: NativeComment[],
  dialect: NativeDialect,
): FunctionSignature | undefined | 'not-a-function' {
  if (head.length === 0) return 'not-a-function';
  // Find the parameter list: the first top-level '(' that follows the function's name.
  let open = -1;
  let hasParentheses = false;
  for (let i = 0; i < head.length; i++) {
    const t = head[i];
    if (t.type === 'punct' && t.value === '=') return 'not-a-function';
    if (t.type === 'punct' && (t.value === '(' || t.value === '[')) {
      const previous = head[i - 1];
      if (t.value === '(' && previous?.type === 'identifier' && !NOT_NAMES.has(previous.value) && !TYPE_WORDS.has(previous.value)) {
        open = i;
        break;
      }
      if (t.value === '(' && !ATTRIBUTE_WORDS.has(previous?.value ?? '')) hasParentheses = true;
      i = skipBracket(head, i) - 1;
    }
  }
  // A body after something with parentheses is a function we cannot read (one returning a function
  // pointer, say); without any, it is a struct, enum or class body.
  if (open < 0) return hasParentheses ? undefined : 'not-a-function';
  const close = skipBracket(head, open) - 1;
  if (head[close]?.value !== ')') return undefined;

  // What follows the parameter list: qualifiers, attributes, a trailing return type; a ':' is a
  // constructor's initializer list, anything else means this is not a function definition.
  let trailingReturn: NativeToken[] | undefined;
  for (let i = close + 1; i < head.length; i++) {
    const t = head[i];
    if (t.value === '->') {
      trailingReturn = head.slice(i + 1);
      break;
    }
    if (t.type === 'identifier' && TRAILING_QUALIFIERS.has(t.value)) {
      if (head[i + 1]?.value === '(') i = skipBracket(head, i + 1) - 1;
      continue;
    }
    if (t.value === '[' && head[i + 1]?.value === '[') {
      i = skipBracket(head, i) - 1;
      continue;
    }
    if (t.value === '&' || t.value === '&&') continue;
    return undefined;
  }

  const nameToken = head[open - 1];
  const name = nameToken.value;
  const before = head.slice(0, open - 1);
  const words = before.filter((t) => t.type === 'identifier').map((t) => t.value);
  if (words.includes('static') || words.includes('template') || words.includes('friend') || words.includes('typedef')) return undefined;
  if (name === 'main' || name === 'operator' || before.some((t) => t.value === 'operator')) return undefined;
  if (before[before.length - 1]?.value === '::' || before[before.length - 1]?.value === '~') return undefined;
  if (['if', 'while', 'for', 'switch', 'return', 'sizeof', 'defined'].includes(name)) return undefined;

  const returnTokens = trailingReturn ?? stripSpecifiers(before);
  const returnType = typeText(source, returnTokens);
  // A call at file scope followed by a block (a macro, say) has no return type: not a definition.
  if (!returnType && !trailingReturn) return undefined;
  const params = parseParameters(source, head.slice(open + 1, close), dialect);
  const signature: FunctionSignature = { name, params, line: nameToken.line };
  if (returnType && returnType !== 'auto') signature.returnType = returnType;
  else if (trailingReturn) signature.returnType = returnType || 'auto';
  const doc = docComment(comments, head[0]);
  if (doc) signature.doc = doc;
  return signature;
}

/** Drops declaration specifiers and attributes from the tokens before a function's name. */
function stripSpecifiers(tokens: NativeToken[]): NativeToken[] {
  const kept: NativeToken[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.type === 'identifier' && DECLARATION_SPECIFIERS.has(t.value)) continue;
    if (t.type === 'identifier' && (t.value === '__attribute__' || t.value === '__declspec' || t.value === 'alignas') && tokens[i + 1]?.value === '(') {
      i = skipBracket(tokens, i + 1) - 1;
      continue;
    }
    if (t.value === '[' && tokens[i + 1]?.value === '[') {
      i = skipBracket(tokens, i) - 1;
      continue;
    }
    // `extern "C" int f(...)`: the linkage string is not part of the type.
    if (t.type === 'string' && kept.length === 0) continue;
    kept.push(t);
  }
  return kept;
}

/** Splits a parameter list at its top-level commas and reads each parameter. */
function parseParameters(source: string, tokens: NativeToken[], dialect: NativeDialect): ParameterInfo[] {
  if (tokens.length === 0) return [];
  if (tokens.length === 1 && tokens[0].value === 'void') return [];
  const groups: NativeToken[][] = [];
  let current: NativeToken[] = [];
  let angle = 0;
  let inDefault = false;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (isOpener(t.value)) {
      const end = skipBracket(tokens, i);
      current.push(...tokens.slice(i, end));
      i = end - 1;
      continue;
    }
    // Template arguments hold commas too; in a default value '<' is as likely a comparison, so angle
    // brackets count only in the type part.
    if (!inDefault && t.value === '<') angle++;
    if (!inDefault && t.value === '>' && angle > 0) angle--;
    if (t.value === '=' && angle === 0) inDefault = true;
    if (t.value === ',' && angle === 0) {
      groups.push(current);
      current = [];
      inDefault = false;
      continue;
    }
    current.push(t);
  }
  groups.push(current);
  return groups.map((group, index) => parseParameter(source, group, index, dialect));
}

function parseParameter(source: string, tokens: NativeToken[], index: number, dialect: NativeDialect): ParameterInfo {
  if (tokens.length === 1 && tokens[0].value === '...') return { name: 'args', kind: 'var-positional', type: '...' };
  let equals = -1;
  let angle = 0;
  for (let i = 0; i < tokens.length; i++) {
    const v = tokens[i].value;
    if (v === '<') angle++;
    else if (v === '>' && angle > 0) angle--;
    else if (v === '=' && angle === 0) {
      equals = i;
      break;
    }
    if (isOpener(v)) i = skipBracket(tokens, i) - 1;
  }
  const declarator = equals >= 0 ? tokens.slice(0, equals) : tokens;
  const defaultTokens = equals >= 0 ? tokens.slice(equals + 1) : [];

  // The name is the last identifier of the declarator, unless that identifier is part of the type
  // (`int`, `std::string`, `unsigned`) or the parameter is a function pointer `(*name)(...)`.
  let name: string | undefined;
  let typeTokens = declarator;
  let suffix = '';
  let end = declarator.length;
  while (end > 0 && declarator[end - 1].value === ']') {
    // Array declarator `int a[]`: the brackets are part of the type.
    let open = end - 1;
    while (open > 0 && declarator[open].value !== '[') open--;
    suffix = '[]' + suffix;
    end = open;
  }
  const last = declarator[end - 1];
  const beforeLast = declarator[end - 2];
  if (
    last?.type === 'identifier' &&
    end > 1 &&
    !TYPE_WORDS.has(last.value) &&
    beforeLast?.value !== '::' &&
    !(beforeLast?.value === 'struct' || beforeLast?.value === 'enum' || beforeLast?.value === 'union' || beforeLast?.value === 'class')
  ) {
    name = last.value;
    typeTokens = declarator.slice(0, end - 1);
  } else if (declarator.some((t) => t.value === '(')) {
    const inner = declarator.find((t, k) => t.type === 'identifier' && declarator[k - 1]?.value === '*');
    name = inner?.value;
    suffix = '';
    typeTokens = declarator;
  } else {
    typeTokens = declarator.slice(0, end);
  }
  const type = typeText(source, typeTokens) + suffix;
  const parameter: ParameterInfo = { name: name ?? `arg${index + 1}`, kind: 'positional' };
  if (type) parameter.type = type;
  if (defaultTokens.length > 0 && dialect === 'cpp') {
    parameter.default = source.slice(defaultTokens[0].start, defaultTokens[defaultTokens.length - 1].end).trim();
  }
  return parameter;
}

/** Words before a '(' that do not name a function. */
const ATTRIBUTE_WORDS = new Set(['__attribute__', '__declspec', 'alignas', 'decltype', 'sizeof', 'typeof', '__typeof__']);

/** Identifiers that cannot be the name before a parameter list. */
const NOT_NAMES = new Set<string>([...ATTRIBUTE_WORDS]);

/** Words that can end a type, so that they are never taken for a parameter's name. */
const TYPE_WORDS = new Set([
  'int',
  'long',
  'short',
  'char',
  'unsigned',
  'signed',
  'float',
  'double',
  'bool',
  '_Bool',
  'void',
  'const',
  'volatile',
  'size_t',
  'ssize_t',
  'ptrdiff_t',
  'intptr_t',
  'uintptr_t',
  'string',
  'auto',
  'wchar_t',
  'char16_t',
  'char32_t',
  'int8_t',
  'int16_t',
  'int32_t',
  'int64_t',
  'uint8_t',
  'uint16_t',
  'uint32_t',
  'uint64_t',
]);

/**
 * The type as one normalized string: tokens joined with a space only between words, after a comma,
 * and between a '*', '&' or '>' and a following word (`const char*`, `std::map<std::string, int>`,
 * `char* const`).
 */
export function typeText(_source: string, tokens: readonly NativeToken[]): string {
  let out = '';
  let previous: NativeToken | undefined;
  for (const t of tokens) {
    if (previous) {
      const word = t.type === 'identifier' || t.type === 'number';
      const previousWord = previous.type === 'identifier' || previous.type === 'number';
      if (
        (word && (previousWord || previous.value === '*' || previous.value === '&' || previous.value === '&&' || previous.value === '>')) ||
        previous.value === ','
      ) {
        out += ' ';
      }
    }
    out += t.value;
    previous = t;
  }
  return out;
}

/** The comment block right before `first` (ending on its line or the line above), cleaned of markers. */
function docComment(comments: NativeComment[], first: NativeToken | undefined): string | undefined {
  if (!first) return undefined;
  let index = -1;
  for (let k = comments.length - 1; k >= 0; k--) {
    if (comments[k].start < first.start) {
      index = k;
      break;
    }
  }
  if (index < 0) return undefined;
  const last = comments[index];
  if (last.endLine < first.line - 1) return undefined;
  // Consecutive line comments form one block.
  const block = [last];
  if (last.text.startsWith('//')) {
    for (let k = index - 1; k >= 0 && comments[k].text.startsWith('//') && comments[k].endLine === block[0].line - 1; k--) block.unshift(comments[k]);
  }
  const text = cleanDocComment(block.map((comment) => comment.text));
  return text === '' ? undefined : text;
}
