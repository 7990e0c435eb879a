/**
 * `npm run demo` is half of the README's quick start: it must call something in every language and
 * print each outcome. Runs the demo's source as the script does (through tsx), on the built package.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { SUPPORTED_LANGUAGES } from '../../src/index.js';

const run = promisify(execFile);

it('the demo calls a function in every supported language, runs a script, and reports each outcome', async () => {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'src/demo.ts'], { timeout: 240_000, maxBuffer: 4 * 1024 * 1024 });
  const rows = stdout.split('\n').filter((line) => /^[a-z]+ {2,}/.test(line));
  const languages = new Set(rows.map((line) => line.split(/\s+/)[0]));
  for (const language of SUPPORTED_LANGUAGES) expect(languages, language).toContain(language);
  expect(stdout).toMatch(/add\(1, 2\)\s+3\s/);
  expect(stdout).toMatch(/divide\(1, 0\)\s+error: ZeroDivisionError: division by zero \(line \d+\)/);
  expect(stdout).toMatch(/total\(player='ada'\)\s+15\s/);
  expect(stdout).toMatch(/script, argv \[ '--fast' \]\s+285\s/);
  expect(stdout).toContain("hello from a script, argv: ['--fast']");
}, 300_000);
