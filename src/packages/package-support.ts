/**
 * The contract between the packages stage and a language: which files of a package the language reads,
 * and how it lays a request's packages out in the sandbox (where each is mounted, what goes on the
 * interpreter's search path, what its plan needs to know to resolve imports).
 */
import type { PlanLayer } from '../runtime/program.js';
import type { HostPackage, PackageFile } from './host-package.js';

/** Where the packages of a language are mounted: `/packages/<language>/<digest>`. */
export const PACKAGES_ROOT = '/packages';

/** A package read from the host, and the folder of the sandbox it will be mounted at. */
export interface PlacedPackage extends HostPackage {
  /** Absolute sandbox path of the package's layer (`/packages/python/3f2a…`), stable for its contents. */
  root: string;
}

/** The files of one layer, as a language arranged them (paths relative to the layer's root). */
export interface ArrangedLayer {
  /** The package it holds. */
  hostPath: string;
  root: string;
  files: PackageFile[];
  dirs: string[];
}

/** How a language lays out the packages of one request. */
export interface ArrangedPackages<Meta = unknown> {
  layers: ArrangedLayer[];
  /** Absolute sandbox folders for the interpreter's search path (sys.path, $LOAD_PATH, include_path, -I), in order. */
  searchPaths: string[];
  /** What the language's plan needs besides (JavaScript: how bare specifiers resolve). */
  meta?: Meta;
}

/** A language's support of packages (`LanguageDefinition.packages`). */
export interface PackageSupport<Meta = unknown> {
  /** What a package is, for messages: `a site-packages folder, a package folder, a .py file or a .whl`. */
  accepts: string;
  /** Which files of a folder the language reads (by path relative to the package); default: all. */
  include?(path: string): boolean;
  /**
   * Lays out the packages of a request. A single file may be unpacked (a wheel). Throws PackageError for
   * a package the language cannot use (CommonJS only, a missing dependency found now).
   */
  arrange(packages: readonly PlacedPackage[]): ArrangedPackages<Meta> | Promise<ArrangedPackages<Meta>>;
}

/** What a plan receives about the request's packages (`PlanRequest.packages`). */
export interface PlanPackages<Meta = unknown> {
  /** Read-only layers to attach, their data in shared memory. */
  layers: PlanLayer[];
  searchPaths: string[];
  meta?: Meta;
  /** Bytes of all the layers' files. */
  bytes: number;
}
