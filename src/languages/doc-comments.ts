/**
 * The text of documentation, as every language's inference reports it: comment markers removed, the
 * indentation its lines share removed, blank lines around it dropped.
 */

/**
 * The text of a doc comment: a block (`/** … *\/`, `/*! … *\/`, with the `*` that starts its lines) or
 * line comments (`//`, `///`, `//!`, `#`), one or several lines.
 */
export function cleanDocComment(comment: string | readonly string[]): string {
  const text = typeof comment === 'string' ? comment : comment.join('\n');
  if (/^\s*\/\*/.test(text)) {
    const body = text.replace(/^\s*\/\*+!?/, '').replace(/\*+\/\s*$/, '');
    return docText(body.split(/\r\n|\n|\r/).map((line) => line.replace(/^\s*\*(?!\/) ?/, '')));
  }
  return docText(text.split(/\r\n|\n|\r/).map((line) => line.replace(/^\s*(\/\/[/!]?|#)/, '')));
}

/**
 * Lines of documentation without the indentation they share and without the blank lines around them.
 *
 * @param options.firstLineApart the first line is trimmed on its own and takes no part in the shared
 *   indentation (a Python docstring starts right after its quotes, as `inspect.cleandoc` reads it)
 */
export function docText(lines: readonly string[], options: { firstLineApart?: boolean } = {}): string {
  const rest = options.firstLineApart ? lines.slice(1) : lines;
  const indented = rest.filter((line) => line.trim() !== '');
  const margin = indented.length > 0 ? Math.min(...indented.map((line) => line.length - line.trimStart().length)) : 0;
  const cleaned = rest.map((line) => line.slice(margin).trimEnd());
  if (options.firstLineApart && lines.length > 0) cleaned.unshift(lines[0].trim());
  while (cleaned.length > 0 && cleaned[cleaned.length - 1] === '') cleaned.pop();
  while (cleaned.length > 0 && cleaned[0] === '') cleaned.shift();
  return cleaned.join('\n');
}
