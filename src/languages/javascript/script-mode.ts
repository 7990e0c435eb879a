/**
 * How JavaScript code runs as a script: as a global script, whose completion value is its result (as
 * `eval` gives it), or as an ES module, which has none, when the code needs one: `import` or `export`
 * declarations, or `await` outside any function.
 */
import { tokenize, type Token } from './tokenizer.js';

/** Keywords whose parenthesized part is followed by a block that is not a function body. */
const CONTROL = new Set(['if', 'for', 'while', 'switch', 'catch', 'with']);
const CLOSERS: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };

/**
 * Whether `code` must run as an ES module. Tolerant, never throws: an `await` in the body of a concise
 * async arrow function (`async () => await x`, without braces) counts as a top-level one, which only makes
 * the script a module (it then has no completion value).
 */
export function needsModule(code: string): boolean {
  let tokens: Token[];
  try {
    tokens = tokenize(code).tokens;
  } catch {
    return false;
  }
  // The brackets open at each token; `inFunction` when it or one around it is a function's body.
  const open: { closer: string; inFunction: boolean; at: number }[] = [];
  let lastClosedParen = -1;
  for (let i = 0; i < tokens.length; i++) {
    const { value, type } = tokens[i];
    const inFunction = open.length > 0 && open[open.length - 1].inFunction;
    if (type === 'punct' && value in CLOSERS) {
      const body = value === '{' && opensFunctionBody(tokens, i, lastClosedParen);
      open.push({ closer: CLOSERS[value], inFunction: inFunction || body, at: i });
      continue;
    }
    if (type === 'punct' && open.length > 0 && value === open[open.length - 1].closer) {
      const closed = open.pop()!;
      if (value === ')') lastClosedParen = closed.at;
      continue;
    }
    if (type !== 'name') continue;
    const next = tokens[i + 1]?.value;
    if (open.length === 0 && (value === 'export' || (value === 'import' && next !== '(' && next !== '.'))) return true;
    if (value === 'await' && !inFunction && tokens[i - 1]?.value !== '.') return true;
  }
  return false;
}

/** Whether the `{` at `i` opens a function's body: after `=>`, or after the parameters of a function or method. */
function opensFunctionBody(tokens: readonly Token[], i: number, lastClosedParen: number): boolean {
  const previous = tokens[i - 1];
  if (!previous) return false;
  if (previous.value === '=>') return true;
  if (previous.value !== ')' || lastClosedParen < 0) return false;
  const before = tokens[lastClosedParen - 1];
  if (!before) return false;
  if (before.value === '*') return true;
  return before.type === 'name' && !CONTROL.has(before.value);
}
