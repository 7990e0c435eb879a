/**
 * What the languages' package layouts share: a package placed in its layer as it is (a site-packages
 * folder, a gem) or under its own name (a Python package folder, a PHP include folder, a single file).
 */
import { PackageError } from '../errors.js';
import type { ArrangedLayer, PlacedPackage } from './package-support.js';

/** The package's files in its layer, under `prefix` (`''`: at the layer's root; `dateutil/`: in a folder of that name). */
export function placeUnder(pkg: PlacedPackage, prefix: string): ArrangedLayer {
  const dirs = pkg.dirs.map((dir) => `${prefix}${dir}`);
  if (prefix) dirs.unshift(prefix.slice(0, -1));
  return { hostPath: pkg.hostPath, root: pkg.root, files: pkg.files.map((file) => ({ ...file, path: `${prefix}${file.path}` })), dirs };
}

/** Whether a folder package has a file at its top level matching `test`. */
export function hasTopFile(pkg: PlacedPackage, test: (name: string) => boolean): boolean {
  return pkg.kind === 'folder' && pkg.files.some((file) => !file.path.includes('/') && test(file.path));
}

/** The error for a package a language cannot read as any of the kinds it accepts. */
export function notAPackage(pkg: PlacedPackage, language: string, accepts: string): PackageError {
  return new PackageError(pkg.hostPath, `${pkg.hostPath} is not a ${language} package: give ${accepts}.`);
}
