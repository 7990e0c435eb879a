/**
 * What the browser tests share: the system's Chromium (driven by playwright-core), a `sandbox-executor
 * serve` started on 127.0.0.1 with port 0, and pages that record what would make a test lie (script errors,
 * Content-Security-Policy violations).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';

// Functions handed to page.evaluate run in the page; these tests are compiled without the DOM's types.
declare const document: any;
declare const window: any;

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Chromium's executable: `CHROMIUM_PATH`, else Debian's `chromium` (or `chromium-browser`) on the PATH. */
export function findChromium(): string | undefined {
  const given = process.env.CHROMIUM_PATH;
  if (given) return existsSync(given) ? given : undefined;
  for (const name of ['chromium', 'chromium-browser']) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (found) return found;
  }
  return undefined;
}

export const CHROMIUM = findChromium();
export const SKIP_REASON = 'no Chromium: install the Debian package chromium (apt-get install chromium) or set CHROMIUM_PATH';

export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import('playwright-core');
  // --no-sandbox: CI runs as root, where Chromium's own sandbox cannot start.
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

export interface ServeProcess {
  /** The playground's address, as `serve` printed it. */
  url: string;
  /** The API's base address. */
  api: string;
  stop(): Promise<void>;
}

/** Starts `sandbox-executor serve --port 0` from dist/ and resolves once it prints where it listens. */
export function startServe(args: string[] = [], env: Record<string, string> = {}): Promise<ServeProcess> {
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'serve', '--port', '0', ...args], {
    cwd: ROOT,
    env: { ...process.env, SANDBOX_EXECUTOR_TOKEN: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let stdout = '';
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening: ${stderr}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const api = /listening on (\S+)/.exec(stdout)?.[1];
      const url = /playground: (\S+)/.exec(stdout)?.[1];
      if (api && url)
        resolve({
          url,
          api,
          stop: async () => {
            child.kill('SIGTERM');
            await exited;
          },
        });
    });
  });
}

/**
 * How long a step may wait before the test gives up: a safety net, not a measure (loading the C toolchain
 * takes seconds, more on a loaded machine). Below the tests' own time limit, so that the failure names the
 * step.
 */
export const PAGE_WAIT_MS = 100_000;

/** The time limit of a browser test: a first call in a language loads its runtime. */
export const BROWSER_TEST_TIMEOUT_MS = 150_000;

/** What went wrong in a page that the test did not ask for. */
export interface PageProblems {
  errors: string[];
  cspViolations: string[];
}

/** A fresh page (its own context: storage, cookies) that records script errors and CSP violations. */
export async function openPage(browser: Browser, url: string, viewport = { width: 1280, height: 900 }): Promise<{ page: Page; problems: PageProblems }> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  page.setDefaultTimeout(PAGE_WAIT_MS);
  const problems: PageProblems = { errors: [], cspViolations: [] };
  page.on('pageerror', (error) => problems.errors.push(error.message));
  await page.exposeFunction('__reportCspViolation', (text: string) => problems.cspViolations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event: any) => {
      window.__reportCspViolation(`${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  await page.goto(url);
  await page.waitForSelector('html[data-ready="true"] .cm-content');
  return { page, problems };
}

/** The statuses a run ends with. */
const FINAL = ['success', 'error', 'timeout', 'crash', 'cancelled', 'failed', 'invalid'];

/** Waits until the run shown ends and returns its status, with the error pane's text. */
export async function waitForEnd(page: Page): Promise<{ status: string; error: string }> {
  await page.waitForSelector(FINAL.map((status) => `#status[data-status="${status}"]`).join(', '));
  const status = (await page.getAttribute('#status', 'data-status')) ?? '';
  const error = (await page.isVisible('#error')) ? ((await page.textContent('#error')) ?? '') : '';
  return { status, error };
}

/** Replaces the editor's code as a user would: select all, then type (as one input, without auto-indent). */
export async function typeCode(page: Page, code: string): Promise<void> {
  await page.click('.cm-content');
  await page.keyboard.press('ControlOrMeta+a');
  await page.keyboard.press('Delete');
  await page.keyboard.insertText(code);
}

/** The page's state as a link would carry it. */
export function link(base: string, state: Record<string, string>, query = ''): string {
  return `${base}${query}#${new URLSearchParams(state).toString()}`;
}

const SHOTS = join(ROOT, 'test-results', 'browser');

export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}
