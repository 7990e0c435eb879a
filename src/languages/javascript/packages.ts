/**
 * JavaScript packages: ES-module packages from a `node_modules`-style folder, or one package's folder.
 *
 * QuickJS opens an imported module by the path it is given, so bare specifiers (`date-fns`,
 * `date-fns/addDays`) are resolved here, on the host, as Node would resolve them for `import` (the
 * package's `exports`, then `module`, then `main`), and rewritten to absolute paths in the packages' files
 * (once per executor) and in the user's code (per program). Lines never move. A package that is CommonJS
 * only, or an import whose package is not given, is refused with PackageError before anything runs, when
 * the user's code reaches it.
 */
import { builtinModules } from 'node:module';
import { init, parse } from 'es-module-lexer';
import { PackageError } from '../../errors.js';
import type { PackageFile } from '../../packages/host-package.js';
import { notAPackage } from '../../packages/layouts.js';
import type { ArrangedLayer, PackageSupport, PlacedPackage } from '../../packages/package-support.js';

const ACCEPTS = "a node_modules folder or one package's folder (with its package.json), of ES-module packages";
/** Export conditions, in the order they are tried: QuickJS runs ES modules, and is not Node. */
const CONDITIONS = ['quickjs', 'import', 'module', 'default'];
/** Modules QuickJS itself provides: left as they are. */
const BUILT_IN = new Set(['std', 'os', '_encoding', ...builtinModules]);
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** One package found in the folders given. */
interface NpmPackage {
  name: string;
  /** Absolute sandbox path of its folder. */
  dir: string;
  manifest: PackageManifest;
  hostPath: string;
}

interface PackageManifest {
  name?: string;
  type?: string;
  main?: string;
  module?: string;
  exports?: unknown;
}

/** What goes wrong when a file is imported. */
interface Problem {
  packageName: string;
  hostPath: string;
  message: string;
}

/** How the packages of a request resolve (`PlanPackages.meta` of JavaScript). */
export interface JavaScriptPackages {
  /** Resolves a bare specifier of the user's code to an absolute path, or says what is wrong. */
  resolve(specifier: string): { path: string } | { problem: Problem } | undefined;
  /** Modules each module file imports (absolute paths), to find what a program reaches. */
  imports: Map<string, string[]>;
  /** Files that cannot be imported, and why. */
  problems: Map<string, Problem>;
}

export const javascriptPackages: PackageSupport<JavaScriptPackages> = {
  accepts: ACCEPTS,
  // Type declarations, maps, docs and CommonJS builds are not modules QuickJS imports.
  include: (path) => /\.(m?js|json)$/.test(path) && !path.split('/').includes('.bin'),
  async arrange(placed) {
    await init;
    const files = new Map<string, { layer: ArrangedLayer; file: PackageFile }>();
    const packages = new Map<string, NpmPackage>();
    const layers = placed.map((pkg) => placeLayer(pkg, packages, files));
    const imports = new Map<string, string[]>();
    const problems = new Map<string, Problem>();
    const resolver = new Resolver(packages, files);
    for (const [path, entry] of files) {
      if (!/\.m?js$/.test(path)) continue;
      const owner = resolver.ownerOf(path);
      if (!owner) continue;
      const text = decoder.decode(entry.file.data);
      const lexed = lex(text);
      if (!lexed || !resolver.isModule(path, owner, lexed.hasModuleSyntax)) {
        problems.set(path, commonJsProblem(owner, path));
        continue;
      }
      const rewritten = rewriteSpecifiers(text, lexed.imports, (specifier) => resolver.resolveFrom(specifier, path, owner));
      imports.set(path, rewritten.targets);
      if (rewritten.problem) problems.set(path, rewritten.problem);
      if (rewritten.text !== text) entry.file.data = encoder.encode(rewritten.text);
    }
    const meta: JavaScriptPackages = {
      resolve: (specifier) => resolver.resolveBare(specifier, undefined),
      imports,
      problems,
    };
    return { layers, searchPaths: [], meta };
  },
};

/** Places a package (or a node_modules folder of them) at `<root>/node_modules/…`, indexing what it holds. */
function placeLayer(pkg: PlacedPackage, packages: Map<string, NpmPackage>, files: Map<string, { layer: ArrangedLayer; file: PackageFile }>): ArrangedLayer {
  if (pkg.kind !== 'folder') throw notAPackage(pkg, 'JavaScript', ACCEPTS);
  const manifestOf = (path: string): PackageManifest | undefined => {
    const file = pkg.files.find((f) => f.path === path);
    if (!file) return undefined;
    try {
      return JSON.parse(decoder.decode(file.data)) as PackageManifest;
    } catch {
      throw new PackageError(pkg.hostPath, `${pkg.hostPath}: ${path} is not valid JSON.`, { file: path });
    }
  };
  const single = manifestOf('package.json');
  let prefix: string;
  if (single) {
    const name = single.name ?? pkg.name;
    prefix = `node_modules/${name}/`;
    packages.set(name, { name, dir: `${pkg.root}/node_modules/${name}`, manifest: single, hostPath: pkg.hostPath });
  } else {
    prefix = 'node_modules/';
    const tops = pkg.dirs.filter((dir) => (dir.startsWith('@') ? dir.split('/').length === 2 : !dir.includes('/')));
    for (const dir of tops) {
      const manifest = manifestOf(`${dir}/package.json`);
      if (!manifest) continue;
      const name = manifest.name ?? dir;
      if (!packages.has(name)) packages.set(name, { name, dir: `${pkg.root}/node_modules/${dir}`, manifest, hostPath: `${pkg.hostPath}/${dir}` });
    }
    if (packages.size === 0) throw notAPackage(pkg, 'JavaScript', ACCEPTS);
  }
  const layer: ArrangedLayer = {
    hostPath: pkg.hostPath,
    root: pkg.root,
    files: pkg.files.map((file) => ({ ...file, path: `${prefix}${file.path}` })),
    dirs: [
      ...prefix
        .slice(0, -1)
        .split('/')
        .map((_, i, parts) => parts.slice(0, i + 1).join('/')),
      ...pkg.dirs.map((dir) => `${prefix}${dir}`),
    ],
  };
  for (const file of layer.files) files.set(`${pkg.root}/${file.path}`, { layer, file });
  return layer;
}

type Resolution = { path: string } | { problem: Problem } | undefined;

class Resolver {
  constructor(
    private readonly packages: Map<string, NpmPackage>,
    private readonly files: Map<string, unknown>,
  ) {}

  /** The package a file belongs to (the deepest package folder that holds it). */
  ownerOf(path: string): NpmPackage | undefined {
    let best: NpmPackage | undefined;
    for (const pkg of this.packages.values()) if (path.startsWith(`${pkg.dir}/`) && (!best || pkg.dir.length > best.dir.length)) best = pkg;
    return best;
  }

  /** Whether a file is an ES module: `.mjs`, a package of `"type": "module"`, or module syntax in it. */
  isModule(path: string, owner: NpmPackage, hasModuleSyntax: boolean): boolean {
    if (path.endsWith('.mjs')) return true;
    return owner.manifest.type === 'module' || hasModuleSyntax;
  }

  /** Where `specifier`, imported by the file `from` of package `owner`, leads. */
  resolveFrom(specifier: string, from: string, owner: NpmPackage): Resolution {
    if (specifier.startsWith('./') || specifier.startsWith('../')) {
      const path = this.probe(joinPath(from.slice(0, from.lastIndexOf('/')), specifier));
      if (path) return { path };
      return {
        problem: {
          packageName: owner.name,
          hostPath: owner.hostPath,
          message: `${relativeTo(owner, from)} imports ${specifier}, which the package does not hold`,
        },
      };
    }
    if (specifier.startsWith('/')) return { path: specifier };
    return this.resolveBare(specifier, owner);
  }

  /** A bare specifier (`name`, `name/sub`, `@scope/name/sub`); undefined for QuickJS's own modules. */
  resolveBare(specifier: string, importer: NpmPackage | undefined): Resolution {
    const parts = specifier.split('/');
    const nameLength = specifier.startsWith('@') ? 2 : 1;
    const name = parts.slice(0, nameLength).join('/');
    const subpath = parts.length > nameLength ? `./${parts.slice(nameLength).join('/')}` : '.';
    const pkg = this.packages.get(name);
    if (!pkg) {
      if (BUILT_IN.has(specifier) || specifier.startsWith('node:')) return undefined;
      const who = importer ? `package ${importer.name} imports ${specifier}` : `the code imports ${specifier}`;
      return {
        problem: {
          packageName: name,
          hostPath: importer?.hostPath ?? name,
          message: `${who}, but no package named ${name} is among the packages given: add its folder to packages (a missing dependency)`,
        },
      };
    }
    const target = this.entry(pkg, subpath);
    if (!target)
      return {
        problem: {
          packageName: pkg.name,
          hostPath: pkg.hostPath,
          message: `package ${pkg.name} has no module for ${specifier} (see its exports, module and main fields)`,
        },
      };
    return { path: target };
  }

  /** The file of `subpath` of a package, by its exports, or module/main and the folder's own files. */
  private entry(pkg: NpmPackage, subpath: string): string | undefined {
    const { exports } = pkg.manifest;
    if (exports !== undefined && exports !== null) {
      const map: Record<string, unknown> =
        typeof exports === 'string' || Array.isArray(exports) || !Object.keys(exports as object).some((key) => key.startsWith('.'))
          ? { '.': exports }
          : (exports as Record<string, unknown>);
      let target: string | undefined;
      if (subpath in map) target = conditionTarget(map[subpath]);
      else {
        for (const [key, value] of Object.entries(map)) {
          const star = key.indexOf('*');
          if (star < 0) continue;
          const [before, after] = [key.slice(0, star), key.slice(star + 1)];
          if (subpath.startsWith(before) && subpath.endsWith(after) && subpath.length >= key.length - 1) {
            const match = subpath.slice(before.length, subpath.length - after.length);
            target = conditionTarget(value)?.replaceAll('*', match);
            break;
          }
        }
      }
      return target ? this.probe(joinPath(pkg.dir, target), true) : undefined;
    }
    if (subpath === '.') {
      for (const field of [pkg.manifest.module, pkg.manifest.main, 'index.js']) {
        if (!field) continue;
        const path = this.probe(joinPath(pkg.dir, field));
        if (path) return path;
      }
      return undefined;
    }
    return this.probe(joinPath(pkg.dir, subpath));
  }

  /** An existing file at `path`, trying the endings Node's CommonJS and bundlers would (not for exports targets). */
  private probe(path: string, exact = false): string | undefined {
    const tries = exact ? [path] : [path, `${path}.js`, `${path}.mjs`, `${path}/index.js`, `${path}/index.mjs`];
    return tries.find((candidate) => this.files.has(candidate));
  }
}

/** The target of an exports entry under our conditions (nested condition objects, arrays of fallbacks). */
function conditionTarget(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    for (const item of value) {
      const target = conditionTarget(item);
      if (target) return target;
    }
    return undefined;
  }
  if (value && typeof value === 'object') {
    for (const [condition, target] of Object.entries(value)) {
      if (CONDITIONS.includes(condition)) {
        const found = conditionTarget(target);
        if (found) return found;
      }
    }
  }
  return undefined;
}

function commonJsProblem(owner: NpmPackage, path: string): Problem {
  return {
    packageName: owner.name,
    hostPath: owner.hostPath,
    message:
      `package ${owner.name} is CommonJS (${relativeTo(owner, path)} uses require/module.exports, not import/export), ` +
      `and QuickJS runs ES modules only: use a version of ${owner.name} that ships ES modules (an "exports" entry with an "import" condition, a "module" field, or "type": "module")`,
  };
}

function relativeTo(owner: NpmPackage, path: string): string {
  return path.startsWith(`${owner.dir}/`) ? path.slice(owner.dir.length + 1) : path;
}

function lex(text: string): { imports: readonly ImportRef[]; hasModuleSyntax: boolean } | undefined {
  try {
    const [imports, , , hasModuleSyntax] = parse(text);
    return { imports, hasModuleSyntax };
  } catch {
    return undefined;
  }
}

interface ImportRef {
  readonly n: string | undefined;
  readonly s: number;
  readonly e: number;
  readonly d: number;
}

/**
 * Replaces each import specifier that resolves elsewhere with its absolute path (string contents only:
 * no line moves). Returns the targets and the first problem met.
 */
export function rewriteSpecifiers(
  text: string,
  imports: readonly ImportRef[],
  resolve: (specifier: string) => Resolution,
): { text: string; targets: string[]; problem?: Problem } {
  const targets: string[] = [];
  let problem: Problem | undefined;
  let out = '';
  let at = 0;
  for (const ref of imports) {
    if (ref.n === undefined || ref.d === -2) continue;
    const resolved = resolve(ref.n);
    if (!resolved) continue;
    if ('problem' in resolved) {
      problem ??= resolved.problem;
      continue;
    }
    targets.push(resolved.path);
    if (resolved.path === ref.n) continue;
    // A static import's range is the string's contents; a dynamic one's is the whole literal.
    out += text.slice(at, ref.s) + (ref.d >= 0 ? JSON.stringify(resolved.path) : resolved.path);
    at = ref.e;
  }
  return { text: at === 0 ? text : out + text.slice(at), targets, problem };
}

/** The user's code with its bare imports resolved, or PackageError for what it reaches that cannot load. */
export function resolveUserImports(code: string, packages: JavaScriptPackages | undefined): string {
  if (!packages) return code;
  const lexed = lex(code);
  // Code that does not lex does not run either: its own syntax error says why.
  if (!lexed) return code;
  const rewritten = rewriteSpecifiers(code, lexed.imports, (specifier) =>
    specifier.startsWith('.') || specifier.startsWith('/') ? undefined : packages.resolve(specifier),
  );
  const fail = (problem: Problem): never => {
    throw new PackageError(problem.hostPath, `Package ${problem.packageName} cannot be imported: ${problem.message}.`);
  };
  if (rewritten.problem) fail(rewritten.problem);
  // Everything the code reaches must load: walk the imports of the packages' modules.
  const seen = new Set<string>();
  const queue = [...rewritten.targets];
  while (queue.length > 0) {
    const path = queue.pop()!;
    if (seen.has(path)) continue;
    seen.add(path);
    const problem = packages.problems.get(path);
    if (problem) fail(problem);
    queue.push(...(packages.imports.get(path) ?? []));
  }
  return rewritten.text;
}

function joinPath(base: string, relative: string): string {
  const out: string[] = [];
  for (const part of `${base}/${relative}`.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return `/${out.join('/')}`;
}
