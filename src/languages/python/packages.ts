/**
 * Python packages: a site-packages folder (what `pip install --target DIR` makes), a package folder (with
 * `__init__.py`), a single module (`six.py`) or a pure-Python wheel, each a read-only layer on sys.path.
 */
import { hasTopFile, notAPackage, placeUnder } from '../../packages/layouts.js';
import type { PackageSupport } from '../../packages/package-support.js';
import { unpackWheel } from '../../packages/wheel.js';

const ACCEPTS = 'a site-packages folder, a package folder (with __init__.py), a .py file or a pure-Python .whl';

export const pythonPackages: PackageSupport = {
  accepts: ACCEPTS,
  // Byte code compiled for the host's Python would be stale or of another version: the sandbox compiles its own.
  include: (path) => !path.endsWith('.pyc') && !path.includes('__pycache__/'),
  arrange(packages) {
    const layers = packages.map((pkg) => {
      if (pkg.kind === 'file') {
        if (pkg.name.endsWith('.whl'))
          return { hostPath: pkg.hostPath, root: pkg.root, files: unpackWheel(pkg.hostPath, pkg.files[0]!.data, pkg.files[0]!.mtimeMs), dirs: [] };
        if (pkg.name.endsWith('.py')) return placeUnder(pkg, '');
        throw notAPackage(pkg, 'Python', ACCEPTS);
      }
      // A package folder keeps its name (import dateutil); a site-packages folder is the search path itself.
      return placeUnder(pkg, hasTopFile(pkg, (name) => name === '__init__.py') ? `${pkg.name}/` : '');
    });
    return { layers, searchPaths: packages.map((pkg) => pkg.root) };
  },
};
