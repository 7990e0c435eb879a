/**
 * Real third-party packages, per language (test/helpers/real-packages.ts): two of them used by one
 * function, in a one-shot call, a session and a template whose setup imports them.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxExecutor } from '../../src/index.js';
import { missingPackages, REAL_PACKAGES } from '../helpers/real-packages.js';

const executor = new SandboxExecutor({ poolSize: 2 });
afterAll(() => executor.close());

for (const entry of REAL_PACKAGES) {
  const missing = missingPackages(entry);
  if (missing.length > 0) console.warn(`packages-real: ${entry.language} skipped, missing ${missing.join(', ')} (${entry.source}; .ci/run installs them)`);
  describe.skipIf(missing.length > 0)(`${entry.language}: ${entry.source}`, () => {
    const args = ['2024-05-01', 'Hi *there*'];

    it('imports them in a call', async () => {
      const r = await executor.invoke({ language: entry.language, code: entry.code, functionName: 'render', args, packages: entry.packages });
      expect(r.error).toBeUndefined();
      expect(r.result).toEqual(entry.expected);
      expect(r.usage.packageBytes).toBeGreaterThan(0);
    });

    it('imports them in a session, whose calls share the loaded module', async () => {
      const session = await executor.createSession({ language: entry.language, code: entry.code, packages: entry.packages });
      try {
        expect(await session.call('render', args)).toEqual(entry.expected);
        expect(await session.call('render', ['2024-01-15', 'Hi *there*'])).toEqual(['2024-02-14', entry.expected[1]]);
      } finally {
        await session.close();
      }
    });

    it('runs through a template whose setup imports them', async () => {
      const name = `real-${entry.language}`;
      const info = await executor.defineTemplate(name, { language: entry.language, packages: entry.packages, setup: entry.imports, prestart: 1 });
      expect(info).toMatchObject({ name, language: entry.language, packages: entry.packages, setup: entry.imports });
      expect(executor.templates().map((t) => t.name)).toContain(name);
      const r = await executor.invoke({ template: name, language: entry.language, code: entry.code, functionName: 'render', args });
      expect(r.error).toBeUndefined();
      expect(r.result).toEqual(entry.expected);
    });
  });
}
