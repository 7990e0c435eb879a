import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` runs in seconds and needs nothing built (`npm run test:unit`); `integration` runs the
 * real WebAssembly runtimes, the examples, the documentation's samples and the packed tarball. `npm test`
 * runs both.
 */
export default defineConfig({
  test: {
    // Each integration file starts its own pool of sandbox workers; two files at a time fit two cores.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: [
            'test/integration/**/*.test.ts',
            'test/reliability/**/*.test.ts',
            'test/docs/**/*.test.ts',
            'examples/**/*.test.ts',
            'test/browser/**/*.test.ts',
          ],
          // Worker threads start from dist/worker.js, so the package is built once before any test runs.
          // The playground's page is built after it (tsup empties dist/).
          globalSetup: ['test/helpers/build-once.ts', 'test/browser/build-playground.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
});
