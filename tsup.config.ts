import { defineConfig, type Options } from 'tsup';

/**
 * What ships in dist/: one copy of the code per module system.
 *
 * - ESM: the library (`index`), the HTTP adapter (`server`), the queue adapter (`queue`), the command
 *   (`cli`) and the worker thread script (`worker`) share chunks, so the error classes and the executor
 *   exist once for all of them.
 * - CJS: `index`, `server` and `queue` share one chunk too (tsup's code splitting for CJS), so an executor
 *   from `require('sandbox-executor')` and the adapter from `require('sandbox-executor/server')` agree on
 *   `instanceof`. The worker is ESM only: it runs in its own thread, whichever
 *   module system started it.
 *
 * `bullmq` and `ioredis` (optional peer dependencies of `queue`) stay external, loaded when a queue or worker
 * is created.
 *
 * `keepNames`: esbuild renames a class that refers to itself (`_FunctionNotFoundError`); error names are
 * part of the API (`error.name`, the CLI, HTTP bodies). No sourcemaps: they doubled the tarball.
 */
const shared: Options = {
  target: 'node20',
  platform: 'node',
  sourcemap: false,
  keepNames: true,
  splitting: true,
};

export default defineConfig([
  {
    ...shared,
    entry: {
      index: 'src/index.ts',
      server: 'src/server/index.ts',
      queue: 'src/queue/index.ts',
      cli: 'src/cli/bin.ts',
      worker: 'src/runtime/worker/worker-main.ts',
    },
    format: ['esm'],
    clean: true,
    dts: { entry: { index: 'src/index.ts', server: 'src/server/index.ts', queue: 'src/queue/index.ts' }, compilerOptions: { stripInternal: true } },
  },
  {
    ...shared,
    // `shims` provides import.meta.url in the CJS build, which is how the package finds its files.
    entry: { index: 'src/index.ts', server: 'src/server/index.ts', queue: 'src/queue/index.ts' },
    format: ['cjs'],
    shims: true,
    // The published declarations leave out @internal members (see test/types).
    dts: { compilerOptions: { stripInternal: true } },
  },
]);
