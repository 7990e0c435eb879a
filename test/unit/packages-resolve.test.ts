/**
 * The host side of packages, without a sandbox: how JavaScript bare specifiers resolve (exports with
 * nested conditions and subpath patterns, module, main), how imports are rewritten without moving a
 * line, and the zip reader on a wheel.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { javascriptPackages, resolveUserImports, type JavaScriptPackages } from '../../src/languages/javascript/packages.js';
import { PackageError } from '../../src/errors.js';
import type { PlacedPackage } from '../../src/packages/package-support.js';
import { readZip } from '../../src/packages/zip-reader.js';

const encoder = new TextEncoder();

function folder(name: string, files: Record<string, string>): PlacedPackage {
  const dirs = new Set<string>();
  for (const path of Object.keys(files)) for (let at = path.indexOf('/'); at > 0; at = path.indexOf('/', at + 1)) dirs.add(path.slice(0, at));
  return {
    hostPath: `/host/${name}`,
    name,
    kind: 'folder',
    files: Object.entries(files).map(([path, text]) => ({ path, data: encoder.encode(text) })),
    dirs: [...dirs],
    root: `/packages/javascript/${name}`,
  };
}

async function arrange(...packages: PlacedPackage[]): Promise<JavaScriptPackages> {
  return (await javascriptPackages.arrange(packages)).meta!;
}

describe('JavaScript resolution', () => {
  it('follows exports with nested conditions and subpath patterns, then module and main', async () => {
    const meta = await arrange(
      folder('conditions', {
        'package.json': JSON.stringify({
          name: 'conditions',
          exports: { '.': { require: './index.cjs', import: { types: './x.d.ts', default: './esm/index.js' } }, './features/*': './esm/features/*.js' },
        }),
        'esm/index.js': 'export const a = 1;',
        'esm/features/one.js': 'export const one = 1;',
      }),
      folder('modulefield', {
        'package.json': JSON.stringify({ name: 'modulefield', main: 'main.cjs', module: 'lib/module.js' }),
        'lib/module.js': 'export default 2;',
      }),
      folder('mainfield', { 'package.json': JSON.stringify({ name: 'mainfield', type: 'module', main: 'lib/main.js' }), 'lib/main.js': 'export default 3;' }),
    );
    expect(meta.resolve('conditions')).toEqual({ path: '/packages/javascript/conditions/node_modules/conditions/esm/index.js' });
    expect(meta.resolve('conditions/features/one')).toEqual({ path: '/packages/javascript/conditions/node_modules/conditions/esm/features/one.js' });
    expect(meta.resolve('modulefield')).toEqual({ path: '/packages/javascript/modulefield/node_modules/modulefield/lib/module.js' });
    expect(meta.resolve('mainfield')).toEqual({ path: '/packages/javascript/mainfield/node_modules/mainfield/lib/main.js' });
    expect(meta.resolve('std')).toBeUndefined();
    expect(meta.resolve('conditions/hidden')).toHaveProperty('problem');
  });

  it("rewrites the user's bare imports, static and dynamic, without moving a line", async () => {
    const meta = await arrange(
      folder('dep', { 'package.json': JSON.stringify({ name: 'dep', type: 'module', exports: './index.js' }), 'index.js': 'export const x = 1;' }),
    );
    const code = 'import { x } from "dep";\nimport * as std from "std";\nimport local from "./local.js";\nconst later = () => import("dep");\n';
    const rewritten = resolveUserImports(code, meta);
    expect(rewritten.split('\n')).toHaveLength(code.split('\n').length);
    expect(rewritten).toContain('from "/packages/javascript/dep/node_modules/dep/index.js"');
    expect(rewritten).toContain('import("/packages/javascript/dep/node_modules/dep/index.js")');
    expect(rewritten).toContain('from "std"');
    expect(rewritten).toContain('from "./local.js"');
  });

  it("rewrites a package's own imports of its dependencies, and refuses what the code reaches that cannot load", async () => {
    const meta = await arrange(
      folder('app', {
        'package.json': JSON.stringify({ name: 'app', type: 'module', exports: './index.js' }),
        'index.js': 'import { y } from "lib";\nexport const x = y;',
      }),
      folder('lib', { 'package.json': JSON.stringify({ name: 'lib', main: 'index.js' }), 'index.js': 'exports.y = 1;' }),
    );
    expect(meta.imports.get('/packages/javascript/app/node_modules/app/index.js')).toEqual(['/packages/javascript/lib/node_modules/lib/index.js']);
    expect(() => resolveUserImports('import { x } from "app";', meta)).toThrow(PackageError);
    expect(() => resolveUserImports('import { x } from "app";', meta)).toThrow(/package lib is CommonJS/);
  });
});

describe('zip reader', () => {
  it('reads the files of a wheel', () => {
    const wheel = readFileSync(new URL('../fixtures/packages/python/greeting-1.0-py3-none-any.whl', import.meta.url));
    const entries = readZip(new Uint8Array(wheel));
    expect(entries.map((entry) => entry.name).sort()).toEqual([
      'greeting-1.0.dist-info/METADATA',
      'greeting-1.0.dist-info/RECORD',
      'greeting-1.0.dist-info/WHEEL',
      'greeting/__init__.py',
      'greeting/words.py',
    ]);
    expect(new TextDecoder().decode(entries.find((entry) => entry.name === 'greeting/words.py')!.data)).toBe('WORD = "Hello"\n');
    expect(() => readZip(new Uint8Array(wheel), 10)).toThrow(/more than 10 bytes/);
    expect(() => readZip(encoder.encode('not a zip'))).toThrow(/not a zip archive/);
  });
});
