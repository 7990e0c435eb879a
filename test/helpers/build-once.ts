import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Builds the package (dist/) so that tests can start the compiled worker script.
 * SANDBOX_TEST_SKIP_BUILD=1 skips it when dist/ is known to be current (several test runs at once).
 */
export default function buildOnce(): void {
  if (process.env.SANDBOX_TEST_SKIP_BUILD === '1') return;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, [fileURLToPath(new URL('../../node_modules/tsup/dist/cli-default.js', import.meta.url))], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}
