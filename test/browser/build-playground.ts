import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * Builds the playground into dist/playground/ (after test/helpers/build-once.ts, whose tsup run empties
 * dist/), so that servers created by the tests serve the page of the current sources.
 * SANDBOX_TEST_SKIP_BUILD=1 skips it, as it skips the package's build.
 */
export default function buildPlayground(): void {
  if (process.env.SANDBOX_TEST_SKIP_BUILD === '1') return;
  execFileSync(process.execPath, [fileURLToPath(new URL('../../playground/build.mjs', import.meta.url))], { stdio: ['ignore', 'ignore', 'inherit'] });
}
