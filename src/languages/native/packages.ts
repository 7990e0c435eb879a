/**
 * C and C++ packages: folders of headers (each on the include path, `-I`; its `include/` too when it has
 * one) and source files compiled into the program with the user's code. Their contents are part of the
 * program's cache key.
 */
import { createHash } from 'node:crypto';
import { notAPackage } from '../../packages/layouts.js';
import type { PackageSupport } from '../../packages/package-support.js';
import type { JobFile } from '../../runtime/worker-protocol.js';

const HEADER = /\.(h|hh|hpp|hxx|inc|ipp|tpp)$/i;
const SOURCE = /\.(c|cc|cpp|cxx)$/i;
const ACCEPTS = 'a folder of headers (for -I), or a .c/.cpp source file to compile in';

/** What a native program's build needs of its packages (`PlanPackages.meta` of C and C++). */
export interface NativePackages {
  /** Every file, at its absolute path in the build's filesystem. */
  files: JobFile[];
  /** Folders for `-I`, in order. */
  includeDirs: string[];
  /** Source files compiled into the program, absolute paths. */
  sources: string[];
  /** Digest of all of it, for the program's cache key. */
  key: string;
}

export const nativePackages: PackageSupport<NativePackages> = {
  accepts: ACCEPTS,
  include: (path) => HEADER.test(path),
  arrange(packages) {
    const files: JobFile[] = [];
    const includeDirs: string[] = [];
    const sources: string[] = [];
    const hash = createHash('sha256');
    for (const pkg of packages) {
      if (pkg.kind === 'file') {
        if (!SOURCE.test(pkg.name) && !HEADER.test(pkg.name)) throw notAPackage(pkg, 'C or C++', ACCEPTS);
        const path = `${pkg.root}/${pkg.name}`;
        if (SOURCE.test(pkg.name)) sources.push(path);
        else includeDirs.push(pkg.root);
        files.push({ path, data: pkg.files[0]!.data });
      } else {
        includeDirs.push(pkg.root);
        if (pkg.dirs.includes('include')) includeDirs.push(`${pkg.root}/include`);
        for (const file of pkg.files) files.push({ path: `${pkg.root}/${file.path}`, data: file.data });
      }
    }
    for (const file of files) hash.update(`\0${file.path}\0`).update(file.data);
    const meta: NativePackages = { files, includeDirs, sources, key: hash.digest('hex') };
    // The build reads the files from the compiler's own filesystem: no layer is mounted into the program.
    return { layers: [], searchPaths: includeDirs, meta };
  },
};
