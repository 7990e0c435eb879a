/**
 * The playground in a real browser: headless Chromium (the system's, driven by playwright-core) against
 * `sandbox-executor serve` on 127.0.0.1. Every step waits on the page (selectors, DOM changes), never on
 * time. Each test saves a screenshot under test-results/browser/, and fails on a script error or a
 * Content-Security-Policy violation in the page.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  BROWSER_TEST_TIMEOUT_MS,
  CHROMIUM,
  launchChromium,
  link,
  openPage,
  ROOT,
  PAGE_WAIT_MS,
  screenshot,
  SKIP_REASON,
  startServe,
  typeCode,
  waitForEnd,
  type PageProblems,
  type ServeProcess,
} from './browser.js';

// Functions handed to page.evaluate run in the page; these tests are compiled without the DOM's types.
declare const document: any;
declare const window: any;
declare const MutationObserver: any;
declare const sessionStorage: any;
declare const localStorage: any;
declare const location: any;

describe.skipIf(!CHROMIUM)(
  CHROMIUM ? 'the playground in Chromium' : `the playground in Chromium (skipped: ${SKIP_REASON})`,
  { timeout: BROWSER_TEST_TIMEOUT_MS },
  () => {
    let browser: Browser;
    let serve: ServeProcess;
    let problems: PageProblems | undefined;

    beforeAll(async () => {
      [browser, serve] = await Promise.all([launchChromium(), startServe()]);
    });
    afterAll(async () => {
      await browser?.close();
      await serve?.stop();
    });
    afterEach(() => {
      // Checked after each test so that a page that broke (or needed an inline style) fails the test it ran in.
      if (problems) expect({ errors: problems.errors, cspViolations: problems.cspViolations }).toEqual({ errors: [], cspViolations: [] });
      problems = undefined;
    });

    async function open(url: string, viewport?: { width: number; height: number }): Promise<Page> {
      const opened = await openPage(browser, url, viewport);
      problems = opened.problems;
      return opened.page;
    }

    it('1. shows the first line a Python script prints before the script ends', async () => {
      const page = await open(serve.url);
      await typeCode(page, 'import time\n\nfor n in (1, 2, 3):\n    print(f"line {n}", flush=True)\n    time.sleep(0.2)\n');
      // What the page showed at the moment the first line appeared, recorded by the page itself.
      await page.evaluate(() => {
        const output = document.getElementById('output')!;
        const observer = new MutationObserver(() => {
          if (!output.textContent!.includes('line 1')) return;
          observer.disconnect();
          document.body.dataset.firstLineSeen = JSON.stringify({ output: output.textContent, status: document.getElementById('status')!.dataset.status });
        });
        observer.observe(output, { childList: true, characterData: true, subtree: true });
      });
      await page.click('#run');
      expect(await waitForEnd(page)).toEqual({ status: 'success', error: '' });
      const seen = JSON.parse((await page.getAttribute('body', 'data-first-line-seen')) ?? 'null') as { output: string; status: string };
      expect(seen.status).toBe('running');
      expect(seen.output).not.toContain('line 3');
      expect(await page.textContent('#output')).toBe('line 1\nline 2\nline 3\n');
      expect(await page.textContent('#transport')).toContain('WebSocket');
      await screenshot(page, '1-live-output');
    });

    it('2. calls a Ruby function through the argument form generated from describe, checking the values first', async () => {
      const code = '# @param word [String]\n# @param times [Integer]\ndef repeat(word, times)\n  ([word] * times).join(" ")\nend\n';
      const page = await open(link(serve.url, { lang: 'ruby', mode: 'function', code }));
      await page.waitForSelector('#arg-times[type="number"]');
      expect(await page.textContent('#function')).toContain('repeat(word, times)');
      await page.fill('#arg-word', 'ho');
      await page.fill('#arg-times', '2.5');
      const requests: string[] = [];
      page.on('request', (request) => requests.push(request.url()));
      page.on('websocket', (socket) => socket.on('framesent', (frame) => requests.push(String(frame.payload))));
      await page.click('#run');
      // Refused in the page, before anything is sent.
      await page.waitForSelector('#status[data-status="invalid"]');
      expect(await page.textContent('#arg-times-error')).toBe('Enter a whole number.');
      expect(await page.getAttribute('#arg-times', 'aria-invalid')).toBe('true');
      expect(requests.filter((r) => r.includes('execute') || r.includes('/exec'))).toEqual([]);
      await page.fill('#arg-times', '3');
      await page.click('#run');
      expect(await waitForEnd(page)).toEqual({ status: 'success', error: '' });
      expect(JSON.parse((await page.textContent('#result')) ?? '')).toBe('ho ho ho');
      await screenshot(page, '2-ruby-function');
    });

    it('3. marks the line of a JavaScript syntax error in the editor', async () => {
      const page = await open(serve.url);
      await page.selectOption('#language', 'javascript');
      await typeCode(page, 'const a = 1;\nconst b = 2;\nconst c = ;\nconsole.log(a + b);\n');
      await page.keyboard.press('ControlOrMeta+Enter');
      const end = await waitForEnd(page);
      expect(end.status).toBe('error');
      expect(end.error).toContain('SyntaxError');
      expect(end.error).toContain('line 3');
      const marked = page.locator('.cm-line.cm-error-line');
      await expect.poll(() => marked.count()).toBe(1);
      expect(await marked.textContent()).toBe('const c = ;');
      await screenshot(page, '3-syntax-error');
      // Editing the code clears the mark: it no longer says where the error is.
      await page.keyboard.insertText(' ');
      await expect.poll(() => marked.count()).toBe(0);
    });

    it('4. Stop ends an infinite loop, and the page runs the next program', async () => {
      const page = await open(serve.url);
      await typeCode(page, 'print("spinning", flush=True)\nwhile True:\n    pass\n');
      await page.click('#run');
      await page.waitForSelector('#output:has-text("spinning")');
      expect(await page.getAttribute('#status', 'data-status')).toBe('running');
      await page.click('#stop');
      const end = await waitForEnd(page);
      expect(end.status).toBe('cancelled');
      expect(await page.isDisabled('#run')).toBe(false);
      expect(await page.isDisabled('#stop')).toBe(true);
      await screenshot(page, '4-stopped');
      await typeCode(page, 'print("again")\n');
      // The keyboard too: Ctrl/Cmd+Enter runs.
      await page.keyboard.press('ControlOrMeta+Enter');
      expect(await waitForEnd(page)).toEqual({ status: 'success', error: '' });
      expect(await page.textContent('#output')).toBe('again\n');
    });

    it('4b. Escape stops a run too', async () => {
      const page = await open(serve.url);
      await typeCode(page, 'print("spinning", flush=True)\nwhile True:\n    pass\n');
      await page.keyboard.press('ControlOrMeta+Enter');
      await page.waitForSelector('#output:has-text("spinning")');
      await page.keyboard.press('Escape');
      expect((await waitForEnd(page)).status).toBe('cancelled');
    });

    it('5. answers an input() prompt through the input box while the script waits', async () => {
      const page = await open(serve.url);
      await typeCode(page, 'name = input("Name? ")\nprint(f"Hello, {name}!")\n');
      await page.click('#run');
      await page.waitForSelector('#output:has-text("Name? ")');
      await page.waitForSelector('#stdin-form:not([hidden])');
      await page.fill('#stdin', 'Ada');
      await page.press('#stdin', 'Enter');
      expect(await waitForEnd(page)).toEqual({ status: 'success', error: '' });
      expect(await page.textContent('#output .stdout:last-child')).toBe('Hello, Ada!\n');
      expect(await page.textContent('#output .stdin')).toBe('Ada\n');
      expect(await page.isHidden('#stdin-form')).toBe(true);
      await screenshot(page, '5-stdin');
    });

    it('6. compiles and calls a C function, showing the compile phase and the usage', async () => {
      const code = 'int gcd(int a, int b) {\n  while (b != 0) {\n    int rest = a % b;\n    a = b;\n    b = rest;\n  }\n  return a;\n}\n';
      const page = await open(link(serve.url, { lang: 'c', mode: 'function', code, args: JSON.stringify({ a: '12', b: '18' }) }));
      // The arguments came from the link.
      await page.waitForSelector('#arg-b');
      expect(await page.inputValue('#arg-a')).toBe('12');
      await page.click('#run');
      expect(await waitForEnd(page)).toEqual({ status: 'success', error: '' });
      expect(await page.textContent('#result')).toBe('6');
      const compiling = page.locator('#phases li[data-phase="compiling"]');
      expect(await compiling.getAttribute('data-state')).toBe('end');
      expect(await compiling.textContent()).toMatch(/^compiling \d+(\.\d+)? (ms|s)$/);
      expect(await page.getAttribute('#phases li[data-phase="running"]', 'data-state')).toBe('end');
      expect(await page.textContent('#usage')).toMatch(/Wall time.*Peak memory.*MiB/);
      await screenshot(page, '6-c-function');
    });

    it('7. gives a file to the code, and shows the file it creates, viewable and downloadable', async () => {
      const page = await open(serve.url);
      await page.click('#input-files summary');
      await page.click('#add-file');
      await page.fill('.file-name', 'data.txt');
      await page.fill('.file-content', 'hello from the page');
      await typeCode(page, 'text = open("data.txt").read()\nopen("out.txt", "w").write(text.upper())\nprint("written")\n');
      await page.click('#run');
      expect(await waitForEnd(page)).toEqual({ status: 'success', error: '' });
      const created = page.locator('#change-list li[data-path="/workspace/out.txt"]');
      expect(await created.getAttribute('data-change')).toBe('created');
      await created.getByRole('button', { name: 'View /workspace/out.txt' }).click();
      expect(await page.textContent('#file-view')).toBe('HELLO FROM THE PAGE');
      const [download] = await Promise.all([page.waitForEvent('download'), created.getByRole('link', { name: 'Download /workspace/out.txt' }).click()]);
      expect(download.suggestedFilename()).toBe('out.txt');
      expect(await readFile(await download.path(), 'utf8')).toBe('HELLO FROM THE PAGE');
      await screenshot(page, '7-files');
    });

    it('8. asks for the token when the server needs one, runs nothing without it, and keeps it for the tab only', async () => {
      const guarded = await startServe([], { SANDBOX_EXECUTOR_TOKEN: 'tab-secret' });
      try {
        const sent: string[] = [];
        const context = await browser.newContext();
        const page = await context.newPage();
        page.setDefaultTimeout(PAGE_WAIT_MS);
        page.on('request', (request) => sent.push(`${request.method()} ${new URL(request.url()).pathname}`));
        page.on('websocket', (socket) => sent.push(`WS ${new URL(socket.url()).pathname}`));
        await page.goto(guarded.url);
        await page.waitForSelector('#token-dialog[open]');
        await screenshot(page, '8-token-prompt');
        // Neither the keyboard nor the Run button runs anything behind the prompt.
        await page.keyboard.press('ControlOrMeta+Enter');
        await page.evaluate(() => document.getElementById('run')!.click());
        await page.fill('#token', 'wrong');
        await page.press('#token', 'Enter');
        await page.waitForSelector('#token-error:not([hidden])');
        expect(await page.isVisible('#token-dialog[open]')).toBe(true);
        expect(sent.filter((line) => /exec|\/ws|describe/.test(line))).toEqual([]);
        expect(await page.getAttribute('#status', 'data-status')).toBe('idle');

        await page.fill('#token', 'tab-secret');
        await page.press('#token', 'Enter');
        await page.waitForSelector('#token-dialog:not([open])', { state: 'attached' });
        await typeCode(page, 'print("with the token")\n');
        await page.click('#run');
        expect(await waitForEnd(page)).toEqual({ status: 'success', error: '' });
        expect(await page.textContent('#output')).toBe('with the token\n');
        // The WebSocket took the token too (as a subprotocol entry: browsers cannot set its headers).
        expect(await page.textContent('#transport')).toContain('WebSocket');
        // In this tab's session storage; nowhere a link or another tab would carry it.
        expect(
          await page.evaluate(() => [sessionStorage.getItem('sandbox-executor-token'), localStorage.length, location.href.includes('tab-secret')]),
        ).toEqual(['tab-secret', 0, false]);
        await context.close();
      } finally {
        await guarded.stop();
      }
    });

    it("offers the operator's templates of the language, and runs code that imports a template's package", async () => {
      const dir = await mkdtemp(join(tmpdir(), 'playground-templates-'));
      const wheel = join(ROOT, 'test', 'fixtures', 'packages', 'python', 'greeting-1.0-py3-none-any.whl');
      await writeFile(join(dir, 'templates.json'), JSON.stringify({ greeter: { language: 'python', packages: [wheel], setup: 'import greeting\n' } }));
      const served = await startServe(['--templates', join(dir, 'templates.json')]);
      try {
        const page = await open(served.url);
        await page.waitForSelector('#template-field:not([hidden])');
        expect(await page.textContent('#template')).toContain('greeter');
        await typeCode(page, 'import greeting\nprint(greeting.greet("page"))\n');
        // Without the template, the package is not there.
        await page.click('#run');
        expect((await waitForEnd(page)).status).toBe('error');
        expect(await page.textContent('#error')).toContain('greeting');
        await page.selectOption('#template', 'greeter');
        await page.click('#run');
        expect(await waitForEnd(page)).toEqual({ status: 'success', error: '' });
        expect(await page.textContent('#output')).toBe('Hello, page!\n');
        // Another language has no template to offer.
        await page.selectOption('#language', 'ruby');
        expect(await page.isHidden('#template-field')).toBe(true);
        await screenshot(page, '9-template');
      } finally {
        await served.stop();
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('follows a run over Server-Sent Events when the WebSocket is not used', async () => {
      const page = await open(
        link(serve.url, { lang: 'python', mode: 'script', code: 'print("one", flush=True)\nprint("two", flush=True)\n' }, '?transport=sse'),
      );
      await page.click('#run');
      expect(await waitForEnd(page)).toEqual({ status: 'success', error: '' });
      expect(await page.textContent('#output')).toBe('one\ntwo\n');
      expect(await page.textContent('#transport')).toContain('Server-Sent Events');
      expect(await page.textContent('#phases')).toContain('running');
    });

    it('keeps the language, code and arguments in the link, which reproduces them', async () => {
      const page = await open(serve.url);
      await page.selectOption('#language', 'php');
      await page.check('input[name="mode"][value="function"]');
      await page.waitForSelector('#arg-celsius');
      await page.fill('#arg-celsius', '100');
      await page.click('#share');
      const shared = page.url();
      expect(shared).toContain('lang=php');
      const again = await open(shared);
      await again.waitForSelector('#arg-celsius');
      expect(await again.inputValue('#language')).toBe('php');
      expect(await again.isChecked('input[name="mode"][value="function"]')).toBe(true);
      expect(await again.inputValue('#arg-celsius')).toBe('100');
      expect(await again.textContent('.cm-content')).toContain('function temperature');
      await again.click('#run');
      expect(await waitForEnd(again)).toEqual({ status: 'success', error: '' });
      expect(JSON.parse((await again.textContent('#result')) ?? '')).toEqual({ value: 212, unit: 'F' });
    });

    it('fits a narrow screen without scrolling sideways, and every control has a name', async () => {
      const page = await open(serve.url, { width: 390, height: 844 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      const unnamed = await page.evaluate(() =>
        [...document.querySelectorAll('button, select, input, textarea, [contenteditable="true"]')]
          .concat([...document.getElementById('editor')!.shadowRoot!.querySelectorAll('[contenteditable="true"]')])
          .filter((control) => {
            const element = control;
            const labelled =
              element.labels?.length || element.getAttribute('aria-label') || element.getAttribute('aria-labelledby') || element.textContent?.trim();
            return !labelled && element.type !== 'hidden';
          })
          .map((control) => control.outerHTML.slice(0, 80)),
      );
      expect(unnamed).toEqual([]);
      await typeCode(page, 'print("narrow")\n');
      await page.click('#run');
      expect((await waitForEnd(page)).status).toMatch(/success|error/);
      await screenshot(page, 'narrow-screen');
    });
  },
);
