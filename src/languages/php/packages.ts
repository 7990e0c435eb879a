/**
 * PHP packages: a Composer `vendor/` folder (`require 'vendor/autoload.php'` works), or any folder or
 * `.php` file to include. Each is mounted under its own name in a folder that goes on include_path, so
 * that `require 'vendor/autoload.php'`, `require 'Parsedown/autoload.php'` (Debian's /usr/share/php
 * layout) or `require 'helpers.php'` find it, and the autoloaders' `__DIR__` paths stay right.
 */
import { notAPackage, placeUnder } from '../../packages/layouts.js';
import type { PackageSupport } from '../../packages/package-support.js';

const ACCEPTS = 'a Composer vendor/ folder, a folder to put on include_path, or a .php file';

export const phpPackages: PackageSupport = {
  accepts: ACCEPTS,
  arrange(packages) {
    const layers = packages.map((pkg) => {
      if (pkg.kind === 'file' && !pkg.name.endsWith('.php')) throw notAPackage(pkg, 'PHP', ACCEPTS);
      return placeUnder(pkg, pkg.kind === 'file' ? '' : `${pkg.name}/`);
    });
    return { layers, searchPaths: packages.map((pkg) => pkg.root) };
  },
};
