/**
 * Packages as read-only layers: a call cannot change them (each language's write, delete and rename fail
 * inside the sandbox, and the next call sees the package as it was), they are read once per executor and
 * again only when they change on disk, shared by calls instead of copied into each call's filesystem,
 * counted in usage, and their loading is reported as the `loading-packages` phase.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxExecutor, type ExecutionPhaseEvent } from '../../src/index.js';

const dateFns = fileURLToPath(new URL('../../node_modules/date-fns', import.meta.url));
const executor = new SandboxExecutor({ poolSize: 2 });
const temporary: string[] = [];
afterAll(async () => {
  await executor.close();
  for (const dir of temporary) await rm(dir, { recursive: true, force: true });
});

/** A package of one file per language, in a fresh folder, and code that tries to change it in three ways. */
const ATTACKS = {
  python: {
    files: { '__init__.py': 'VALUE = "original"\n' },
    read: '__init__.py',
    code: `
import os, victim
def attack():
    path = victim.__file__
    outcomes = []
    for name, act in [("write", lambda: open(path, "w").write("hacked")), ("append", lambda: open(path, "a").write("x")),
                      ("delete", lambda: os.remove(path)), ("rename", lambda: os.rename(path, "/tmp/moved.py")),
                      ("create", lambda: open(os.path.join(os.path.dirname(path), "new.py"), "w").write("x"))]:
        try:
            act()
            outcomes.append(name + ": done")
        except OSError as error:
            outcomes.append(name + ": " + os.strerror(error.errno))
    return [outcomes, open(path).read()]
`,
    call: 'attack',
  },
  ruby: {
    files: { 'lib/victim.rb': 'VALUE = "original"\n' },
    read: 'lib/victim.rb',
    code: `
require "victim"
def attack
  path = $LOADED_FEATURES.find { |f| f.end_with?("/victim.rb") }
  outcomes = [["write", -> { File.write(path, "hacked") }], ["append", -> { File.open(path, "a") { |f| f.write("x") } }],
              ["delete", -> { File.delete(path) }], ["rename", -> { File.rename(path, "/tmp/moved.rb") }],
              ["create", -> { File.write(File.join(File.dirname(path), "new.rb"), "x") }]].map do |name, act|
    begin
      act.call
      "#{name}: done"
    rescue SystemCallError => e
      "#{name}: #{e.message.split(" @").first}"
    end
  end
  [outcomes, File.read(path)]
end
`,
    call: 'attack',
  },
  php: {
    files: { 'victim.php': '<?php\nconst VICTIM_VALUE = "original";\n' },
    read: 'victim.php',
    code: `<?php
require 'victim/victim.php';
function attack() {
    $path = stream_resolve_include_path('victim/victim.php');
    $outcomes = [];
    foreach (['write' => fn() => file_put_contents($path, 'hacked'), 'append' => fn() => file_put_contents($path, 'x', FILE_APPEND),
              'delete' => fn() => unlink($path), 'rename' => fn() => rename($path, '/tmp/moved.php'),
              'create' => fn() => file_put_contents(dirname($path) . '/new.php', 'x')] as $name => $act) {
        $outcomes[] = $name . ': ' . (@$act() === false ? 'refused' : 'done');
    }
    return [$outcomes, file_get_contents($path)];
}
`,
    call: 'attack',
  },
  javascript: {
    files: { 'package.json': '{ "name": "victim", "type": "module", "exports": "./index.js" }', 'index.js': 'export const VALUE = "original";\n' },
    read: 'index.js',
    code: `
import * as std from "std";
import { VALUE } from "victim";
// QuickJS finds the package's folder the way the proxy was given it: through the rewritten import.
export function attack() {
  const code = std.loadFile("/sandbox/user_code.js");
  const start = code.indexOf('"/packages/') + 1;
  const path = code.slice(start, code.indexOf('"', start));
  const dir = path.slice(0, path.lastIndexOf("/"));
  const outcomes = [];
  for (const [name, target, mode] of [["write", path, "w"], ["append", path, "a"], ["update", path, "r+"], ["create", dir + "/new.js", "w"]]) {
    const error = {};
    outcomes.push(name + ": " + (std.open(target, mode, error) === null ? std.strerror(error.errno) : "done"));
  }
  return [outcomes, std.loadFile(path), VALUE];
}
`,
    call: 'attack',
  },
} as const;

describe('a call cannot modify a package', () => {
  for (const language of ['python', 'ruby', 'php', 'javascript'] as const) {
    it(`${language}: writing, appending, deleting, renaming and creating in a package fail, and the next call sees it unchanged`, async () => {
      const attack = ATTACKS[language];
      const dir = await mkdtemp(join(tmpdir(), `sandbox-victim-${language}-`));
      temporary.push(dir);
      const folder = join(dir, 'victim');
      for (const [path, text] of Object.entries(attack.files)) {
        await mkdir(join(folder, path, '..'), { recursive: true });
        await writeFile(join(folder, path), text);
      }
      const content = (attack.files as Record<string, string>)[attack.read];
      const request = { language, code: attack.code, functionName: attack.call, packages: [folder] };
      for (let round = 0; round < 2; round++) {
        const r = await executor.invoke<[string[], string]>(request);
        expect(r.error).toBeUndefined();
        const [outcomes, after] = r.result!;
        expect(outcomes).toHaveLength(language === 'javascript' ? 4 : 5);
        for (const outcome of outcomes) expect(outcome).not.toMatch(/done$/);
        // The guest sees EROFS where its language reports the errno (PHP's functions return false).
        if (language !== 'php') expect(outcomes.filter((o) => /read-only file system/i.test(o)).length).toBeGreaterThanOrEqual(3);
        expect(after).toBe(content);
      }
    });
  }
});

describe('packages are read once and shared', () => {
  it('reports loading-packages with files and bytes the first time, and nothing once the packages are in memory', async () => {
    const fresh = new SandboxExecutor({ poolSize: 1 });
    try {
      const request = {
        language: 'javascript' as const,
        code: 'import { addDays, formatISO } from "date-fns";\nexport function next(d) { return formatISO(addDays(new Date(d), 1), { representation: "date" }); }\n',
        functionName: 'next',
        args: ['2024-02-28T12:00:00'],
        packages: [dateFns],
      };
      const first: ExecutionPhaseEvent[] = [];
      const r = await fresh.invoke({ ...request, onPhase: (event) => first.push(event) });
      expect(r.result).toBe('2024-02-29');
      const loading = first.filter((event) => event.phase === 'loading-packages');
      expect(loading[0]?.state).toBe('start');
      expect(loading.at(-1)?.state).toBe('end');
      const last = loading.filter((event) => event.state === 'progress').at(-1)!.progress!;
      expect(last.filesTotal).toBeGreaterThan(100);
      expect(last.filesDone).toBe(last.filesTotal);
      expect(last.bytesDone).toBe(last.bytesTotal);
      const second: ExecutionPhaseEvent[] = [];
      await fresh.invoke({ ...request, onPhase: (event) => second.push(event) });
      expect(second.map((event) => event.phase)).not.toContain('loading-packages');
    } finally {
      await fresh.close();
    }
  });

  it("does not copy packages into a call's filesystem: megabytes of packages fit a call whose files may hold 1 MiB", async () => {
    const small = new SandboxExecutor({ poolSize: 1, maxFsBytes: 1024 * 1024 });
    try {
      const r = await small.invoke({
        language: 'javascript',
        code: 'import { format } from "date-fns";\nexport function f() { return format(new Date(2024, 4, 1), "yyyy-MM-dd"); }\n',
        functionName: 'f',
        packages: [dateFns],
      });
      expect(r.error).toBeUndefined();
      expect(r.result).toBe('2024-05-01');
      expect(r.usage.packageBytes).toBeGreaterThan(4 * 1024 * 1024);
    } finally {
      await small.close();
    }
  });

  it('reads a package again when it changes on disk', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sandbox-changing-'));
    temporary.push(dir);
    await mkdir(join(dir, 'changing'));
    await writeFile(join(dir, 'changing', '__init__.py'), 'VALUE = "one"\n');
    const request = {
      language: 'python' as const,
      code: 'import changing\ndef value():\n    return changing.VALUE\n',
      functionName: 'value',
      packages: [join(dir, 'changing')],
    };
    expect((await executor.invoke(request)).result).toBe('one');
    await writeFile(join(dir, 'changing', '__init__.py'), 'VALUE = "two!"\n');
    expect((await executor.invoke(request)).result).toBe('two!');
  });
});
