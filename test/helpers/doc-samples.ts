/**
 * Finds the runnable samples of the documentation (see CONTRIBUTING.md, "Samples in the docs"):
 *
 * - a fenced block whose info string is `ts run` or `js run` is a complete program, run as an ES module
 *   that imports `sandbox-executor` (TypeScript samples are also type-checked with `tsc --strict`);
 * - the next fenced block, when its info string is `text output`, is what the program must print;
 * - every other block is illustrative and not run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** One runnable sample. */
export interface DocSample {
  /** Where it is: `docs/sessions.md:19` (the line of the opening fence). */
  location: string;
  language: 'ts' | 'js';
  code: string;
  /** What the program must print (trailing whitespace ignored), when the doc says. */
  output: string | undefined;
}

const FENCE = /^(`{3,})\s*(.*)$/;

/** The runnable samples of one Markdown text. */
export function extractSamples(markdown: string, file: string): DocSample[] {
  const blocks: { info: string; line: number; body: string }[] = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = FENCE.exec(lines[i]!);
    if (!open) continue;
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !(lines[j]!.startsWith(open[1]!) && lines[j]!.trim() === open[1])) body.push(lines[j++]!);
    if (j >= lines.length) throw new Error(`${file}:${i + 1}: fenced block never closed`);
    blocks.push({ info: open[2]!.trim(), line: i + 1, body: `${body.join('\n')}\n` });
    i = j;
  }
  const samples: DocSample[] = [];
  blocks.forEach((block, index) => {
    const [language, ...flags] = block.info.split(/\s+/);
    if (!flags.includes('run')) return;
    if (language !== 'ts' && language !== 'js') throw new Error(`${file}:${block.line}: only ts and js blocks can be marked run`);
    const next = blocks[index + 1];
    samples.push({ location: `${file}:${block.line}`, language, code: block.body, output: next?.info === 'text output' ? next.body : undefined });
  });
  return samples;
}

/** README.md and every page under docs/ except the generated API reference, relative to `root`. */
export function documentationFiles(root: string): string[] {
  const files = ['README.md'];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (path !== join('docs', 'api')) visit(path);
      } else if (entry.name.endsWith('.md')) files.push(relative(root, join(root, path)));
    }
  };
  visit('docs');
  return files.sort();
}

/** Every runnable sample of the documentation. */
export function documentationSamples(root: string): DocSample[] {
  return documentationFiles(root).flatMap((file) => extractSamples(readFileSync(join(root, file), 'utf8'), file));
}
