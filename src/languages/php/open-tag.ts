/**
 * User code may be written with or without PHP's opening tag. The file the interpreter runs always starts
 * in PHP mode, with every line where the user wrote it, so error lines match the user's code.
 */

const BYTE_ORDER_MARK = '\uFEFF';
const LEADING_OPEN_TAG = /^(\s*)<\?php(?=\s|$)/i;

/**
 * The code as the interpreter should see it:
 * - without `<?php` at the start: `<?php ` is added on line 1 (so `function f() {}` alone works);
 * - with `<?php` after blank lines: the tag moves to line 1 and the blank lines follow it, so they are
 *   not printed as text when the file loads;
 * - a `#!` line 1 (a script's shebang) becomes blank first; a byte order mark is dropped.
 */
export function withOpenTag(code: string): string {
  let text = code.startsWith(BYTE_ORDER_MARK) ? code.slice(1) : code;
  if (text.startsWith('#!')) {
    const end = text.search(/\r\n|\n|\r/);
    text = end < 0 ? '' : text.slice(end);
  }
  const tag = LEADING_OPEN_TAG.exec(text);
  if (tag) return `<?php${tag[1]}${text.slice(tag[0].length)}`;
  return `<?php ${text}`;
}
