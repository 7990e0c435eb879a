import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { loadRuntimeAssets } from '../../src/runtime/runtime-assets.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** Runs a script in a fresh Node process and returns its stdout; the process must exit on its own. */
async function node(args: string[], script: string): Promise<string> {
  const { stdout } = await run(process.execPath, [...args, script], { cwd: root, timeout: 60_000 });
  return stdout.trim();
}

describe('packaging', () => {
  it('the ESM build works, and the process exits after close()', async () => {
    const out = await node(
      ['--input-type=module', '-e'],
      `import { SandboxExecutor, UserCodeError } from 'sandbox-executor';
       const ex = new SandboxExecutor({ poolSize: 1 });
       const v = await ex.call({ language: 'python', code: 'def add(a, b):\\n    return a + b\\n', args: [40, 2] });
       const e = await ex.call({ language: 'python', code: 'def f():\\n    raise KeyError(1)\\n' }).catch((e) => e);
       await ex.close();
       console.log(JSON.stringify([v, e instanceof UserCodeError, e.type]));`,
    );
    expect(JSON.parse(out)).toEqual([42, true, 'KeyError']);
  });

  it('the CommonJS build works, finds its templates and worker, and the process exits after close()', async () => {
    const out = await node(
      ['-e'],
      `const { SandboxExecutor, FunctionNotFoundError } = require('sandbox-executor');
       (async () => {
         const ex = new SandboxExecutor({ poolSize: 1 });
         const v = await ex.call({ language: 'python', code: 'def mul(a, b):\\n    return a * b\\n', args: [6, 7] });
         const e = await ex.call({ language: 'python', code: 'def mul(a, b):\\n    return a * b\\n', functionName: 'div' }).catch((e) => e);
         await ex.close();
         console.log(JSON.stringify([v, e instanceof FunctionNotFoundError]));
       })();`,
    );
    expect(JSON.parse(out)).toEqual([42, true]);
  });

  it('sandbox-executor/server resolves from both module systems', async () => {
    const esm = await node(['--input-type=module', '-e'], `import { createSandboxServer } from 'sandbox-executor/server'; console.log(typeof createSandboxServer);`);
    const cjs = await node(['-e'], `console.log(typeof require('sandbox-executor/server').createSandboxServer);`);
    expect([esm, cjs]).toEqual(['function', 'function']);
  });

  it('the package bin runs', async () => {
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8'));
    const { stdout } = await run(process.execPath, [join(root, pkg.bin['sandbox-executor']), '--help'], { cwd: root, timeout: 60_000 });
    expect(stdout).toContain('Usage: sandbox-executor <command>');
  });

  it('an executor that is never used does not keep the process alive', async () => {
    const out = await node(['--input-type=module', '-e'], `import { SandboxExecutor } from 'sandbox-executor'; new SandboxExecutor(); console.log('done');`);
    expect(out).toBe('done');
  });

  it('compiles each runtime module and extracts its base filesystem once per process', async () => {
    const first = await loadRuntimeAssets('python');
    const second = await loadRuntimeAssets('python');
    expect(second).toBe(first);
    expect(second.module).toBe(first.module);
  });
});
