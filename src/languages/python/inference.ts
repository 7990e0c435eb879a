/**
 * Signature inference for Python: finds the module-level functions of user code (`def`, `async def`,
 * decorated or not, also inside module-level `if`/`try` blocks, and `name = lambda …`) with their
 * parameters, defaults, annotations and docstrings. Methods and nested functions are not candidates.
 */
import type { FunctionSignature, ParameterInfo } from '../signature.js';
import { docText } from '../doc-comments.js';
import { findTopLevel, skipBracket, sourceText, splitTopLevel } from '../tokens.js';
import { tokenizeLogicalLines, type LogicalLine, type Token } from './tokenizer.js';

interface Block {
  indent: number;
  /** Blocks whose body cannot hold module-level functions. */
  scoping: boolean;
}

/** Finds the callable module-level functions of Python `source`, in order of definition. */
export function inferPythonSignatures(source: string): FunctionSignature[] {
  const lines = tokenizeLogicalLines(source);
  const found = new Map<string, FunctionSignature>();
  const blocks: Block[] = [];

  for (let index = 0; index < lines.length; index++) {
    const line = lines[index];
    while (blocks.length > 0 && blocks[blocks.length - 1].indent >= line.indent) blocks.pop();
    const insideScope = blocks.some((block) => block.scoping);
    const tokens = line.tokens;
    const first = tokens[0];

    const isDef = first.value === 'def' || (first.value === 'async' && tokens[1]?.value === 'def');
    const isClass = first.value === 'class';
    if (!insideScope && isDef) {
      const signature = parseDef(source, line, lines[index + 1]);
      // A later definition with the same name replaces the earlier one, as at run time.
      if (signature) {
        found.delete(signature.name);
        found.set(signature.name, signature);
      }
    } else if (!insideScope && first.type === 'name' && tokens[1]?.value === '=' && tokens[2]?.value === 'lambda') {
      const signature = parseLambda(source, line);
      if (signature) {
        found.delete(signature.name);
        found.set(signature.name, signature);
      }
    }

    if (opensBlock(tokens)) blocks.push({ indent: line.indent, scoping: isDef || isClass });
  }
  return [...found.values()];
}

/** A compound statement whose body is on the following lines (ends with `:`). */
function opensBlock(tokens: Token[]): boolean {
  return tokens[tokens.length - 1]?.value === ':';
}

function parseDef(source: string, line: LogicalLine, next: LogicalLine | undefined): FunctionSignature | undefined {
  const tokens = line.tokens;
  let i = tokens[0].value === 'async' ? 2 : 1;
  const isAsync = tokens[0].value === 'async';
  const name = tokens[i];
  if (!name || name.type !== 'name') return undefined;
  i++;
  if (tokens[i]?.value === '[') i = skipBracket(tokens, i); // PEP 695 type parameters
  if (tokens[i]?.value !== '(') return undefined;
  const close = skipBracket(tokens, i) - 1;
  const params = parseParameters(source, tokens.slice(i + 1, close), ',');
  let j = close + 1;
  let returnType: string | undefined;
  if (tokens[j]?.value === '->') {
    const colon = findTopLevelFrom(tokens, j + 1, ':');
    returnType = sourceText(source, tokens.slice(j + 1, colon));
    j = colon;
  }
  const signature: FunctionSignature = { name: name.value, params, line: line.line };
  if (isAsync) signature.isAsync = true;
  if (returnType) signature.returnType = returnType;
  // Docstring: the first statement of the body, on the same line (`def f(): "doc"`) or the next one.
  const inline = tokens.slice(j + 1);
  const docToken = inline.length > 0 ? inline[0] : next && next.indent > line.indent ? next.tokens[0] : undefined;
  const docLine = inline.length > 0 ? inline : next?.tokens;
  if (docToken?.type === 'string' && docLine?.every((t) => t.type === 'string')) {
    const doc = docLine.map((t) => stringValue(t.value)).join('');
    if (doc.trim()) signature.doc = cleanDoc(doc);
  }
  return signature;
}

function parseLambda(source: string, line: LogicalLine): FunctionSignature | undefined {
  const tokens = line.tokens;
  const colon = findTopLevelFrom(tokens, 3, ':');
  if (colon >= tokens.length) return undefined;
  return { name: tokens[0].value, params: parseParameters(source, tokens.slice(3, colon), ','), line: line.line };
}

function parseParameters(source: string, tokens: Token[], separator: string): ParameterInfo[] {
  const params: ParameterInfo[] = [];
  let keywordOnly = false;
  for (const part of splitTopLevel(tokens, separator)) {
    if (part.length === 0) continue;
    const head = part[0].value;
    if (head === '/') {
      for (const param of params) if (param.kind === 'positional') param.kind = 'positional-only';
      continue;
    }
    if (head === '*' && part.length === 1) {
      keywordOnly = true;
      continue;
    }
    let kind: ParameterInfo['kind'] = keywordOnly ? 'keyword-only' : 'positional';
    let at = 0;
    if (head === '*') {
      kind = 'var-positional';
      keywordOnly = true;
      at = 1;
    } else if (head === '**') {
      kind = 'var-keyword';
      at = 1;
    }
    const nameToken = part[at];
    if (!nameToken || nameToken.type !== 'name') continue;
    const param: ParameterInfo = { name: nameToken.value, kind };
    const equals = findTopLevelFrom(part, at + 1, '=');
    if (part[at + 1]?.value === ':') {
      const type = sourceText(source, part.slice(at + 2, equals));
      if (type) param.type = type;
    }
    if (equals < part.length) param.default = sourceText(source, part.slice(equals + 1));
    params.push(param);
  }
  return params;
}

/** Index of the first `value` token outside brackets from `from`, or `tokens.length`. */
function findTopLevelFrom(tokens: Token[], from: number, value: string): number {
  // `lambda` inside a default value has its own colon.
  const accepted = (i: number): boolean => value !== ':' || !tokens.slice(from, i).some((t) => t.value === 'lambda');
  return findTopLevel(tokens, value, { from, accepted });
}

/** The value of a string literal token (escapes resolved loosely; enough for docstrings). */
function stringValue(literal: string): string {
  const match = /^([rRbBuUfF]*)('''|"""|'|")([\s\S]*?)\2$/.exec(literal);
  if (!match) return '';
  const body = match[3];
  if (/r/i.test(match[1])) return body;
  return body.replace(/\\(n|t|\\|'|"|\n)/g, (_, c: string) => ({ n: '\n', t: '\t', '\\': '\\', "'": "'", '"': '"', '\n': '' })[c] ?? c);
}

/** A docstring's text, as `inspect.cleandoc` reads it (tabs are 8 columns). */
function cleanDoc(doc: string): string {
  return docText(doc.replace(/\t/g, '        ').split('\n'), { firstLineApart: true });
}
