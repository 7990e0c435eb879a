/**
 * The packages of one executor: each read once from the host (keyed by its path and its files' sizes and
 * times, so a changed package is read again), laid out once per language and set of packages, and kept
 * in memory as read-only layers in shared memory, which every call and every worker uses without a copy.
 */
import { createHash } from 'node:crypto';
import { PackageError } from '../errors.js';
import type { PlanLayer } from '../runtime/program.js';
import { readPackage, scanPackage, type HostPackage, type PackageScan } from './host-package.js';
import { PACKAGES_ROOT, type PackageSupport, type PlacedPackage, type PlanPackages } from './package-support.js';

/** How far loading packages got (the `loading-packages` phase's progress). */
export interface PackageProgress {
  filesDone: number;
  filesTotal: number;
  bytesDone: number;
  bytesTotal: number;
}

/** What the store needs of a language. */
export interface PackageLanguage {
  id: string;
  displayName: string;
  packages?: PackageSupport;
}

interface ReadPackage extends HostPackage {
  /** SHA-256 of the package's paths and contents. */
  digest: string;
}

/** Files between two progress reports while reading (each file would be too many events for a big package). */
const PROGRESS_EVERY_FILES = 64;

export class PackageStore {
  private readonly read = new Map<string, Promise<ReadPackage>>();
  private readonly arranged = new Map<string, PlanPackages>();

  /**
   * The layers of `sources` for `language`, read and laid out (or found in memory).
   *
   * @param onProgress called when reading starts, as it goes and when it ends, only when something is read
   * @throws PackageError for a package that cannot be used
   */
  async load(language: PackageLanguage, sources: readonly string[], onProgress?: (progress: PackageProgress) => void): Promise<PlanPackages | undefined> {
    if (sources.length === 0) return undefined;
    const support = language.packages;
    if (!support) throw new PackageError(sources[0]!, `${language.displayName} takes no packages.`);
    const scans = await Promise.all(sources.map((source) => scanPackage(source, support.include ? (path) => support.include!(path) : undefined)));
    const setKey = `${language.id}\0${scans.map((scan) => scan.key).join('\0')}`;
    const known = this.arranged.get(setKey);
    if (known) return known;

    const unread = scans.filter((scan) => !this.read.has(scan.key));
    const progress: PackageProgress = {
      filesDone: 0,
      filesTotal: unread.reduce((sum, scan) => sum + scan.entries.length, 0),
      bytesDone: 0,
      bytesTotal: unread.reduce((sum, scan) => sum + scan.bytes, 0),
    };
    const report = progress.filesTotal > 0 ? onProgress : undefined;
    report?.({ ...progress });
    const packages = await Promise.all(
      scans.map((scan) =>
        this.readOnce(scan, (bytes) => {
          progress.filesDone++;
          progress.bytesDone += bytes;
          if (progress.filesDone % PROGRESS_EVERY_FILES === 0) report?.({ ...progress });
        }),
      ),
    );
    if (report && progress.filesDone % PROGRESS_EVERY_FILES !== 0) report({ ...progress });

    const placed: PlacedPackage[] = packages.map((pkg) => ({ ...pkg, root: `${PACKAGES_ROOT}/${language.id}/${pkg.digest.slice(0, 16)}` }));
    const arrangement = await support.arrange(placed);
    const layers = arrangement.layers.map((layer) => sharedLayer(layer.root, layer.files, layer.dirs));
    const result: PlanPackages = {
      layers,
      searchPaths: arrangement.searchPaths,
      meta: arrangement.meta,
      bytes: layers.reduce((sum, layer) => sum + layer.files.reduce((n, file) => n + file.data.byteLength, 0), 0),
    };
    this.arranged.set(setKey, result);
    return result;
  }

  private readOnce(scan: PackageScan, onFile: (bytes: number) => void): Promise<ReadPackage> {
    let pending = this.read.get(scan.key);
    if (!pending) {
      pending = readPackage(scan, onFile).then((pkg) => ({ ...pkg, digest: digestOf(pkg) }));
      this.read.set(scan.key, pending);
      // A failure is not kept: the next call reads the package again (it may have been fixed).
      pending.catch(() => this.read.delete(scan.key));
    }
    return pending;
  }
}

function digestOf(pkg: HostPackage): string {
  const hash = createHash('sha256').update(pkg.kind).update(pkg.name);
  for (const file of pkg.files) hash.update(`\0${file.path}\0${file.data.byteLength}\0`).update(file.data);
  return hash.digest('hex');
}

/** A layer whose files' bytes live in one SharedArrayBuffer: posted to workers, they are shared, not copied. */
function sharedLayer(root: string, files: readonly { path: string; data: Uint8Array; mtimeMs?: number }[], dirs: string[]): PlanLayer {
  const total = files.reduce((sum, file) => sum + file.data.byteLength, 0);
  const memory = new SharedArrayBuffer(Math.max(total, 1));
  const hash = createHash('sha256').update(root);
  let offset = 0;
  const shared = files.map((file) => {
    const data = new Uint8Array(memory, offset, file.data.byteLength);
    data.set(file.data);
    offset += file.data.byteLength;
    hash.update(`\0${file.path}\0${file.data.byteLength}\0`).update(file.data);
    return { path: file.path, data, mtimeMs: file.mtimeMs };
  });
  for (const dir of dirs) hash.update(`\0dir\0${dir}`);
  return { id: hash.digest('hex').slice(0, 32), path: root, files: shared, dirs };
}
