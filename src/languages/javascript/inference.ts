/**
 * Signature inference for JavaScript: finds the top-level functions of user code, which is an ES module
 * (`function`, `async function`, generators, and `const`/`let`/`var` bound to an arrow function or a
 * function expression, exported or not) with their parameters, defaults and JSDoc. Functions nested in
 * other functions, blocks, classes or object literals are not candidates.
 *
 * A trailing object destructuring parameter (`function greet(name, { greeting = "Hello" } = {})`) is
 * where keyword arguments go: its properties are reported as keyword-only parameters.
 */
import type { FunctionSignature, ParameterInfo } from '../signature.js';
import { cleanDocComment } from '../doc-comments.js';
import { bracketsBalanced, findTopLevel, isOpener, skipBracket, splitTopLevel } from '../tokens.js';
import { tokenize, type Comment, type Token } from './tokenizer.js';

/** A top-level function, and whether the module already exports it under its own name. */
export interface JavaScriptFunction {
  signature: FunctionSignature;
  /** The function's binding is exported as its own name (`export function f`, `export { f }`). */
  exported: boolean;
}

/** What the proxy needs to know about a module besides its signatures. */
export interface JavaScriptModuleInfo {
  /** Top-level functions in order of definition; a later definition replaces an earlier one. */
  functions: JavaScriptFunction[];
  /** Every name the module exports (`default` included), so that added exports never clash. */
  exportedNames: Set<string>;
  /**
   * Whether every bracket, string, template and comment is closed. When not, the code cannot load
   * anyway, and nothing may be appended to it: the appended line would change the error.
   */
  complete: boolean;
}

/** Tokens after which a line break cannot end a statement (the expression goes on). */
const CONTINUING_PUNCTUATION =
  /^(?:[=+\-*/%&|^!~?:<>.,]|[=!<>]=|===|!==|&&|\|\||\?\?|\*\*|<<|>>|>>>|=>|\?\.|\.\.\.|[+\-*/%&|^]=|\*\*=|<<=|>>=|>>>=|&&=|\|\|=|\?\?=)$/;

/** Finds the callable top-level functions of JavaScript `source`, in order of definition. Never throws. */
export function inferJavaScriptSignatures(source: string): FunctionSignature[] {
  return analyzeJavaScriptModule(source).functions.map((f) => f.signature);
}

/** Finds the top-level functions of `source` and the names it exports. Never throws. */
export function analyzeJavaScriptModule(source: string): JavaScriptModuleInfo {
  try {
    return new ModuleScanner(source).run();
  } catch {
    // A bug in the scanner must never make a request fail: without signatures, the call reports that
    // the function was not found.
    return { functions: [], exportedNames: new Set(), complete: false };
  }
}

class ModuleScanner {
  private readonly tokens: Token[];
  private readonly comments: Comment[];
  private readonly unterminated: boolean;
  private readonly found = new Map<string, JavaScriptFunction>();
  private readonly exportedNames = new Set<string>();
  /** Names exported through `export { a, b as c }` clauses, resolved once the whole module is seen. */
  private readonly exportedLocals = new Set<string>();

  constructor(private readonly source: string) {
    const { tokens, comments, unterminated } = tokenize(source);
    this.tokens = tokens;
    this.comments = comments;
    this.unterminated = unterminated;
  }

  run(): JavaScriptModuleInfo {
    const tokens = this.tokens;
    let i = 0;
    while (i < tokens.length) {
      i = this.atStatementStart(i) ? this.statement(i) : this.skipToken(i);
    }
    for (const fn of this.found.values()) {
      if (this.exportedLocals.has(fn.signature.name)) fn.exported = true;
    }
    return { functions: [...this.found.values()], exportedNames: this.exportedNames, complete: !this.unterminated && bracketsBalanced(this.tokens) };
  }

  /** Whether the token at `i` (at depth 0) can begin a statement. */
  private atStatementStart(i: number): boolean {
    if (i === 0) return true;
    const previous = this.tokens[i - 1];
    if (previous.value === ';' || previous.value === '}') return true;
    return this.tokens[i].newlineBefore && !this.continuesExpression(previous);
  }

  private continuesExpression(previous: Token): boolean {
    if (previous.type === 'punct') return CONTINUING_PUNCTUATION.test(previous.value) || isOpener(previous.value);
    return (
      previous.type === 'name' &&
      ['new', 'typeof', 'void', 'delete', 'await', 'yield', 'in', 'of', 'instanceof', 'extends', 'return', 'throw'].includes(previous.value)
    );
  }

  /** Index after the token at `i`, skipping whole bracketed groups. */
  private skipToken(i: number): number {
    return isOpener(this.tokens[i].value) ? skipBracket(this.tokens, i) : i + 1;
  }

  /** Index of the bracket closing the one at `open` (or the last token when it is never closed). */
  private matching(open: number): number {
    return skipBracket(this.tokens, open) - 1;
  }

  private value(i: number): string | undefined {
    return this.tokens[i]?.value;
  }

  private isName(i: number): boolean {
    return this.tokens[i]?.type === 'name';
  }

  /** Reads one statement starting at `i`; returns where scanning goes on. */
  private statement(start: number): number {
    let i = start;
    let exported = false;
    if (this.value(i) === 'export' && this.isName(i)) {
      exported = true;
      i++;
      const next = this.value(i);
      if (next === '{') return this.exportClause(i);
      if (next === '*') return this.exportStar(i);
      if (next === 'default') {
        this.exportedNames.add('default');
        i++;
        // `export default function name() {}` binds `name` locally, but exports it as `default`.
        exported = false;
        if (!this.isFunctionStart(i)) return i;
      }
    }
    if (this.isFunctionStart(i)) return this.functionDeclaration(start, i, exported);
    const keyword = this.value(i);
    if ((keyword === 'const' || keyword === 'let' || keyword === 'var') && this.isName(i)) {
      return this.variableDeclaration(start, i + 1, exported);
    }
    if (exported && keyword === 'class' && this.isName(i + 1)) this.exportedNames.add(this.value(i + 1)!);
    return i === start ? this.skipToken(i) : i;
  }

  /** `function`, `async function` (on one line), with or without `*`. */
  private isFunctionStart(i: number): boolean {
    if (this.value(i) === 'function') return true;
    return this.value(i) === 'async' && this.value(i + 1) === 'function' && !this.tokens[i + 1].newlineBefore;
  }

  private functionDeclaration(start: number, at: number, exported: boolean): number {
    let i = at;
    const isAsync = this.value(i) === 'async';
    if (isAsync) i++;
    i++; // function
    const isGenerator = this.value(i) === '*';
    if (isGenerator) i++;
    if (!this.isName(i) || this.value(i + 1) !== '(') return i;
    const name = this.value(i)!;
    const open = i + 1;
    const close = this.matching(open);
    this.record(name, start, open, close, isAsync, exported);
    // Skip the body.
    return this.value(close + 1) === '{' ? this.matching(close + 1) + 1 : close + 1;
  }

  /** `const a = …, b = …`: records the declarators bound to a function literal. */
  private variableDeclaration(start: number, at: number, exported: boolean): number {
    let i = at;
    let declaratorStart = start;
    const tokens = this.tokens;
    for (;;) {
      if (this.isName(i) && this.value(i + 1) === '=') {
        const name = this.value(i)!;
        if (exported) this.exportedNames.add(name);
        this.functionLiteral(name, declaratorStart, i + 2, exported);
        i += 2;
      } else if (exported && this.isName(i)) {
        this.exportedNames.add(this.value(i)!);
      }
      // Move to the next top-level `,` (another declarator) or the end of the statement.
      while (i < tokens.length) {
        const token = tokens[i];
        if (token.value === ';' && token.type === 'punct') return i + 1;
        if (token.value === ',' && token.type === 'punct') break;
        if (token.newlineBefore && i > at && this.endsDeclaration(i)) return i;
        i = this.skipToken(i);
      }
      if (i >= tokens.length) return i;
      i++; // ,
      declaratorStart = i;
    }
  }

  /** Whether a line break before token `i` ends a declaration (ASI) rather than continuing it. */
  private endsDeclaration(i: number): boolean {
    const token = this.tokens[i];
    if (this.continuesExpression(this.tokens[i - 1])) return false;
    if (token.type === 'name') return true;
    return !(token.type === 'punct' && (CONTINUING_PUNCTUATION.test(token.value) || token.value === '(' || token.value === '['));
  }

  /** The initializer at `i`, when it is an arrow function or a function expression. */
  private functionLiteral(name: string, start: number, at: number, exported: boolean): void {
    let i = at;
    let isAsync = false;
    // `async` is a modifier unless it is the arrow's own single parameter (`async => …`).
    if (this.value(i) === 'async' && this.value(i + 1) !== '=>' && !this.tokens[i + 1]?.newlineBefore) {
      isAsync = true;
      i++;
    }
    if (this.value(i) === 'function') {
      i++;
      if (this.value(i) === '*') i++;
      if (this.isName(i)) i++;
      if (this.value(i) !== '(') return;
      this.record(name, start, i, this.matching(i), isAsync, exported);
      return;
    }
    if (this.value(i) === '(') {
      const close = this.matching(i);
      if (this.value(close + 1) === '=>') this.record(name, start, i, close, isAsync, exported);
      return;
    }
    if (this.isName(i) && this.value(i + 1) === '=>') {
      const param = this.tokens[i];
      this.found.delete(name);
      this.found.set(name, {
        signature: this.signature(name, start, [{ name: param.value, kind: 'positional' }], isAsync),
        exported,
      });
    }
  }

  private record(name: string, start: number, open: number, close: number, isAsync: boolean, exported: boolean): void {
    const params = this.parameters(this.tokens.slice(open + 1, close));
    // A later definition with the same name replaces the earlier one, as at run time.
    this.found.delete(name);
    this.found.set(name, { signature: this.signature(name, start, params, isAsync), exported });
    if (exported) this.exportedNames.add(name);
  }

  private signature(name: string, start: number, params: ParameterInfo[], isAsync: boolean): FunctionSignature {
    const signature: FunctionSignature = { name, params, line: this.tokens[start].line };
    if (isAsync) signature.isAsync = true;
    const doc = this.docComment(start);
    if (doc) applyDoc(signature, doc);
    return signature;
  }

  private parameters(tokens: Token[]): ParameterInfo[] {
    const parts = splitTopLevel(tokens, ',').filter((part) => part.length > 0);
    const params: ParameterInfo[] = [];
    parts.forEach((part, index) => {
      const head = part[0];
      if (head.value === '...') {
        params.push({ name: this.text(part.slice(1)), kind: 'var-positional' });
        return;
      }
      const equals = findTopLevel(part, '=');
      const target = part.slice(0, equals);
      const param: ParameterInfo = { name: this.text(target), kind: 'positional' };
      if (equals < part.length) param.default = this.text(part.slice(equals + 1));
      if (head.value === '{' && index === parts.length - 1) {
        // The trailing options object: its properties are the keyword arguments.
        params.push(...this.optionProperties(target.slice(1, -1)));
        return;
      }
      params.push(param);
    });
    return params;
  }

  private optionProperties(tokens: Token[]): ParameterInfo[] {
    const params: ParameterInfo[] = [];
    for (const part of splitTopLevel(tokens, ',')) {
      if (part.length === 0) continue;
      if (part[0].value === '...') {
        params.push({ name: this.text(part.slice(1)), kind: 'var-keyword' });
        continue;
      }
      const colon = findTopLevel(part, ':');
      const key = part.slice(0, colon < part.length ? colon : findTopLevel(part, '='));
      const rest = colon < part.length ? part.slice(colon + 1) : part;
      let name: string;
      if (key.length === 1 && (key[0].type === 'name' || key[0].type === 'number')) name = key[0].value;
      else if (key.length === 1 && key[0].type === 'string') name = unquote(key[0].value);
      else {
        // A computed key (`[expr]: value`) can match any name.
        params.push({ name: this.text(key), kind: 'var-keyword' });
        continue;
      }
      const param: ParameterInfo = { name, kind: 'keyword-only' };
      const equals = findTopLevel(rest, '=');
      if (equals < rest.length) param.default = this.text(rest.slice(equals + 1));
      params.push(param);
    }
    return params;
  }

  /** `export { a, b as c }` and `export { x } from "m"`. */
  private exportClause(open: number): number {
    const close = this.matching(open);
    for (const part of splitTopLevel(this.tokens.slice(open + 1, close), ',')) {
      if (part.length === 0) continue;
      const local = part[0].type === 'string' ? unquote(part[0].value) : part[0].value;
      const exportedAs = part.length >= 3 && part[1].value === 'as' ? part[2] : part[0];
      this.exportedNames.add(exportedAs.type === 'string' ? unquote(exportedAs.value) : exportedAs.value);
      if (exportedAs === part[0] && this.value(close + 1) !== 'from') this.exportedLocals.add(local);
    }
    return close + 1;
  }

  /** `export * from "m"` exports nothing by a name of its own; `export * as ns from "m"` exports `ns`. */
  private exportStar(star: number): number {
    if (this.value(star + 1) === 'as' && this.tokens[star + 2]) {
      const alias = this.tokens[star + 2];
      this.exportedNames.add(alias.type === 'string' ? unquote(alias.value) : alias.value);
      return star + 3;
    }
    return star + 1;
  }

  /** The `/** … *\/` comment right before the statement at token `start`, if any. */
  private docComment(start: number): string | undefined {
    const statementStart = this.tokens[start].start;
    const previousEnd = start > 0 ? this.tokens[start - 1].end : 0;
    let doc: Comment | undefined;
    for (const comment of this.comments) {
      if (comment.start < previousEnd) continue;
      if (comment.end > statementStart) break;
      doc = comment;
    }
    if (!doc || !doc.text.startsWith('/**') || doc.text === '/**/') return undefined;
    // Only blank space between the comment and the statement.
    if (this.source.slice(doc.end, statementStart).trim() !== '') return undefined;
    return doc.text;
  }

  private text(tokens: Token[]): string {
    if (tokens.length === 0) return '';
    return this.source
      .slice(tokens[0].start, tokens[tokens.length - 1].end)
      .replace(/\s+/g, ' ')
      .trim();
  }
}

function unquote(literal: string): string {
  const body = literal.slice(1, literal.endsWith(literal[0]) && literal.length > 1 ? -1 : undefined);
  return body.replace(/\\(u\{[\da-fA-F]+\}|u[\da-fA-F]{4}|x[\da-fA-F]{2}|[\s\S])/g, (_, escape: string) => {
    if (escape[0] === 'u' || escape[0] === 'x') {
      const hex = escape[1] === '{' ? escape.slice(2, -1) : escape.slice(1);
      const code = parseInt(hex, 16);
      return code <= 0x10ffff ? String.fromCodePoint(code) : '';
    }
    return ({ n: '\n', t: '\t', r: '\r', b: '\b', f: '\f', v: '\v', '0': '\0', '\n': '' } as Record<string, string>)[escape] ?? escape;
  });
}

/**
 * Reads a JSDoc comment: its cleaned text becomes the doc, `@param {type} name` the parameter types
 * (`options.name` for a property of the options object), `@returns {type}` the return type.
 */
function applyDoc(signature: FunctionSignature, comment: string): void {
  const doc = cleanDocComment(comment);
  if (doc) signature.doc = doc;

  const tag = /@(param|arg|argument|returns?)\s*(\{)?/g;
  for (let match = tag.exec(doc); match; match = tag.exec(doc)) {
    let type: string | undefined;
    let after = tag.lastIndex;
    if (match[2]) {
      const end = closingBrace(doc, tag.lastIndex - 1);
      type = doc.slice(tag.lastIndex, end).replace(/\s+/g, ' ').trim();
      after = end + 1;
      tag.lastIndex = Math.min(after, doc.length);
    }
    if (!type) continue;
    if (match[1].startsWith('return')) {
      signature.returnType = type;
      continue;
    }
    const nameMatch = /^\s*\[?\s*([^\s=\]]+)/.exec(doc.slice(after));
    if (!nameMatch) continue;
    const path = nameMatch[1].split('.');
    const name = path[path.length - 1];
    const param = signature.params.find((p) => p.name === name && (path.length === 1 || p.kind === 'keyword-only' || p.kind === 'var-keyword'));
    if (param && param.type === undefined) param.type = type;
  }
}

/** Index of the `}` closing the `{` at `open` in `text` (or the end of the text). */
function closingBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    if (text[i] === '{') depth++;
    else if (text[i] === '}') {
      depth--;
      if (depth === 0) return i;
    }
  }
  return text.length;
}
