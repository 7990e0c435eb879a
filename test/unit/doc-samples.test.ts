/**
 * How runnable samples are found in the documentation (the convention of CONTRIBUTING.md).
 */
import { describe, expect, it } from 'vitest';
import { documentationFiles, extractSamples } from '../helpers/doc-samples.js';
import { ROOT } from '../helpers/packed-package.js';

const page = [
  '# Page',
  '```ts run',
  "console.log('a');",
  '```',
  'It prints:',
  '```text output',
  'a',
  '```',
  '```ts',
  'executor.call(fragment);',
  '```',
  '````js run',
  'const fence = "```";',
  '````',
  '```sh',
  'npm test',
  '```',
].join('\n');

describe('documentation samples', () => {
  it('runs blocks marked run, with the output block that follows, and leaves the others', () => {
    expect(extractSamples(page, 'page.md')).toEqual([
      { location: 'page.md:2', language: 'ts', code: "console.log('a');\n", output: 'a\n' },
      { location: 'page.md:12', language: 'js', code: 'const fence = "```";\n', output: undefined },
    ]);
  });

  it('refuses a run block in a language it cannot run, and an unclosed block', () => {
    expect(() => extractSamples('```python run\nprint(1)\n```\n', 'p.md')).toThrow(/p.md:1: only ts and js/);
    expect(() => extractSamples('```ts run\nconsole.log(1)\n', 'p.md')).toThrow(/p.md:1: fenced block never closed/);
  });

  it('reads README.md and docs/, not the generated API reference', () => {
    const files = documentationFiles(ROOT);
    expect(files).toContain('README.md');
    expect(files).toContain('docs/languages/cpp.md');
    expect(files.filter((file) => file.startsWith('docs/api'))).toEqual([]);
  });
});
