import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Integration tests run the real WebAssembly runtimes in worker threads started from dist/worker.js,
    // so the package is built once before any test runs.
    globalSetup: ['test/helpers/build-once.ts'],
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Each integration file starts its own pool of sandbox workers; two files at a time fit two cores.
    maxWorkers: 2,
  },
});
