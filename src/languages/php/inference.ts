/**
 * Signature inference for PHP: finds the functions a file declares outside any function or class body
 * (at the top level, also inside `if`/`try` blocks and braced namespaces), with their parameters, types,
 * defaults, return type and doc comment. Methods, closures and functions nested in functions are not
 * candidates. Names are reported as written, without their namespace (the proxy finds them either way).
 */
import type { FunctionSignature, ParameterInfo } from '../signature.js';
import { cleanDocComment } from '../doc-comments.js';
import { BRACKETS, skipBracket, sourceText, splitTopLevel } from '../tokens.js';
import { withOpenTag } from './open-tag.js';
import { tokenizePhp, type Token } from './tokenizer.js';

/** Brackets for skipping: attributes (`#[…]`) open one too. */
const PHP_BRACKETS = { ...BRACKETS, '#[': ']' };

/** Keywords (besides `function`) whose next `{` opens a body with its own scope. */
const SCOPE_KEYWORDS = new Set(['class', 'interface', 'trait', 'enum']);
/** After these, a keyword is a member or constant name (`$x->class`, `Foo::function`). */
const MEMBER_ACCESS = new Set(['->', '?->', '::']);
const PARAMETER_MODIFIERS = new Set(['public', 'protected', 'private', 'readonly']);
/** Tokens after which a new statement starts. */
const STATEMENT_BOUNDARY = new Set([';', '{', '}', '?>']);

/**
 * Finds the callable top-level functions of PHP `code` (with or without `<?php`), in order of definition:
 * declared functions, and closures assigned to a global variable (`$square = fn($x) => $x ** 2;`), which
 * are callable by the variable's name (this also allows names PHP reserves, such as `echo`).
 */
export function inferPhpSignatures(code: string): FunctionSignature[] {
  const source = withOpenTag(code);
  const tokens = tokenizePhp(source);
  const found = new Map<string, FunctionSignature>();
  /** One entry per open brace: whether it opened a function or class body. */
  const braces: boolean[] = [];
  let scopeDepth = 0;
  let scopePending = false;
  let doc: string | undefined;

  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    const value = token.value;
    if (token.type === 'doc') {
      doc = value;
      continue;
    }
    if (value === '#[') {
      i = skipBracket(tokens, i, PHP_BRACKETS) - 1; // attributes stand between a doc comment and its function
      continue;
    }
    const keyword = token.type === 'name' ? value.toLowerCase() : '';
    const afterMember = MEMBER_ACCESS.has(tokens[i - 1]?.value ?? '');

    if (token.type === 'variable' && scopeDepth === 0 && tokens[i + 1]?.value === '=' && STATEMENT_BOUNDARY.has(tokens[i - 1]?.value ?? ';')) {
      const signature = parseClosureAssignment(source, tokens, i, doc);
      if (signature && !found.has(signature.name.toLowerCase())) found.set(signature.name.toLowerCase(), signature);
    }
    if (keyword === 'function' && !afterMember && tokens[i - 1]?.value.toLowerCase() !== 'use') {
      if (scopeDepth === 0) {
        const signature = parseFunction(source, tokens, i, doc);
        if (signature && !found.has(signature.name.toLowerCase())) found.set(signature.name.toLowerCase(), signature);
      }
      scopePending = true;
    } else if (SCOPE_KEYWORDS.has(keyword) && !afterMember && isDeclarationKeyword(tokens, i, keyword)) {
      scopePending = true;
    } else if (value === '{') {
      braces.push(scopePending);
      if (scopePending) scopeDepth++;
      scopePending = false;
    } else if (value === '}') {
      if (braces.pop()) scopeDepth--;
    } else if (value === ';' || value === '?>') {
      scopePending = false; // an abstract or interface method has no body
    }
    doc = undefined;
  }
  return [...found.values()];
}

/**
 * Whether `class`, `interface`, `trait` or `enum` declares something here: not a named argument
 * (`f(class: 1)`), and `enum`, which is not reserved, only before a name and a body or backing type.
 */
function isDeclarationKeyword(tokens: Token[], at: number, keyword: string): boolean {
  if (tokens[at + 1]?.value === ':') return false;
  if (keyword !== 'enum') return true;
  const next = tokens[at + 2]?.value.toLowerCase();
  return tokens[at + 1]?.type === 'name' && (next === '{' || next === ':' || next === 'implements');
}

function parseFunction(source: string, tokens: Token[], at: number, doc: string | undefined): FunctionSignature | undefined {
  let i = at + 1;
  if (tokens[i]?.value === '&') i++; // returns by reference
  const name = tokens[i];
  if (!name || name.type !== 'name' || name.value.includes('\\')) return undefined; // a closure
  if (tokens[i + 1]?.value !== '(') return undefined;
  const close = skipBracket(tokens, i + 1, PHP_BRACKETS) - 1;
  const signature: FunctionSignature = { name: name.value, params: parseParameters(source, tokens.slice(i + 2, close)), line: tokens[at].line };
  if (tokens[close + 1]?.value === ':') {
    let end = close + 2;
    while (end < tokens.length && tokens[end].value !== '{' && tokens[end].value !== ';') end++;
    const returnType = sourceText(source, tokens.slice(close + 2, end));
    if (returnType) signature.returnType = returnType;
  }
  if (doc) {
    const cleaned = cleanDocComment(doc);
    if (cleaned) signature.doc = cleaned;
  }
  return signature;
}

/** `$name = function (…) …` or `$name = fn (…) => …` (also `static`), from the variable at `at`. */
function parseClosureAssignment(source: string, tokens: Token[], at: number, doc: string | undefined): FunctionSignature | undefined {
  let i = at + 2;
  if (tokens[i]?.value.toLowerCase() === 'static') i++;
  const keyword = tokens[i]?.value.toLowerCase();
  if (keyword !== 'function' && keyword !== 'fn') return undefined;
  i++;
  if (tokens[i]?.value === '&') i++;
  if (tokens[i]?.value !== '(') return undefined;
  const close = skipBracket(tokens, i, PHP_BRACKETS) - 1;
  const signature: FunctionSignature = { name: tokens[at].value.slice(1), params: parseParameters(source, tokens.slice(i + 1, close)), line: tokens[at].line };
  let next = close + 1;
  if (tokens[next]?.value.toLowerCase() === 'use' && tokens[next + 1]?.value === '(') next = skipBracket(tokens, next + 1, PHP_BRACKETS);
  if (tokens[next]?.value === ':') {
    let end = next + 1;
    while (end < tokens.length && tokens[end].value !== '{' && tokens[end].value !== '=>' && tokens[end].value !== ';') end++;
    const returnType = sourceText(source, tokens.slice(next + 1, end));
    if (returnType) signature.returnType = returnType;
  }
  if (doc) {
    const cleaned = cleanDocComment(doc);
    if (cleaned) signature.doc = cleaned;
  }
  return signature;
}

function parseParameters(source: string, tokens: Token[]): ParameterInfo[] {
  const params: ParameterInfo[] = [];
  for (let part of splitTopLevel(tokens, ',', PHP_BRACKETS).filter((part) => part.length > 0)) {
    // Attributes and constructor-promotion modifiers say nothing about how the parameter is passed.
    while (part[0]?.value === '#[') part = part.slice(skipBracket(part, 0, PHP_BRACKETS));
    while (part.length > 0 && PARAMETER_MODIFIERS.has(part[0].value.toLowerCase())) part = part.slice(1);
    const at = part.findIndex((token) => token.type === 'variable');
    if (at < 0) continue;
    let typeEnd = at;
    let kind: ParameterInfo['kind'] = 'positional';
    if (part[typeEnd - 1]?.value === '...') {
      kind = 'var-positional';
      typeEnd--;
    }
    if (part[typeEnd - 1]?.value === '&') typeEnd--; // by reference: passed like any other argument
    const param: ParameterInfo = { name: part[at].value.slice(1), kind };
    const type = sourceText(source, part.slice(0, typeEnd));
    if (type) param.type = type;
    if (part[at + 1]?.value === '=') {
      const fallback = sourceText(source, part.slice(at + 2));
      if (fallback) param.default = fallback;
    }
    params.push(param);
  }
  return params;
}
