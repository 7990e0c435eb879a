import { defineConfig } from 'tsup';

export default defineConfig([
  {
    // The library, for both module systems. `shims` provides import.meta.url in the CJS build, which is
    // how the package finds its templates and worker script at run time.
    entry: { index: 'src/index.ts', server: 'src/server/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    sourcemap: true,
    clean: true,
    shims: true,
    target: 'node20',
    platform: 'node',
  },
  {
    // The worker thread script (ESM only: it imports the ESM-only @runno/wasi), the demo and the command.
    entry: { worker: 'src/runtime/worker/worker-main.ts', demo: 'src/demo.ts', cli: 'src/cli/bin.ts' },
    format: ['esm'],
    sourcemap: true,
    target: 'node20',
    platform: 'node',
  },
]);
