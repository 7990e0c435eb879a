/**
 * Ruby packages: a gem's folder (its `lib/` goes on $LOAD_PATH, so `require 'name'` works), a folder of
 * several gems (each one's `lib/`), a single `.rb` file, or a library's folder of `.rb` files (mounted
 * under its own name, so that `require 'name/part'` works, as in Debian's /usr/lib/ruby/vendor_ruby).
 */
import { notAPackage, placeUnder } from '../../packages/layouts.js';
import type { PackageSupport } from '../../packages/package-support.js';

const ACCEPTS = "a gem's folder (with lib/), a folder of gems, a library's folder of .rb files or a .rb file";

export const rubyPackages: PackageSupport = {
  accepts: ACCEPTS,
  arrange(packages) {
    const searchPaths: string[] = [];
    const layers = packages.map((pkg) => {
      if (pkg.kind === 'file') {
        if (!pkg.name.endsWith('.rb')) throw notAPackage(pkg, 'Ruby', ACCEPTS);
        searchPaths.push(pkg.root);
        return placeUnder(pkg, '');
      }
      if (pkg.dirs.includes('lib')) {
        searchPaths.push(`${pkg.root}/lib`);
        return placeUnder(pkg, '');
      }
      // A folder of gems: every subfolder that has a lib/.
      const gems = pkg.dirs.filter((dir) => !dir.includes('/') && pkg.dirs.includes(`${dir}/lib`));
      if (gems.length > 0) {
        searchPaths.push(...gems.map((gem) => `${pkg.root}/${gem}/lib`));
        return placeUnder(pkg, '');
      }
      if (!pkg.files.some((file) => file.path.endsWith('.rb'))) throw notAPackage(pkg, 'Ruby', ACCEPTS);
      searchPaths.push(pkg.root);
      return placeUnder(pkg, `${pkg.name}/`);
    });
    return { layers, searchPaths };
  },
};
