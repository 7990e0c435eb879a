// Benchmark: sandbox-executor against @runno/sandbox's runCode, both measured in the same run and reported
// as ratios (the machine is noisy; absolute numbers vary between runs, ratios much less).
//
// Usage: npm run bench [-- --quick] [-- --only python,ruby]
import { runCode } from '@runno/sandbox';
import { SandboxExecutor } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : undefined;
const N = { ours: quick ? 10 : 30, theirs: quick ? 2 : 6, throughput: quick ? 16 : 40, theirsThroughput: quick ? 2 : 4 };

/** One row per language: the same `add(1, 2)` as a function for us and as a script for runCode. */
const LANGUAGES = [
  {
    language: 'python',
    runtime: 'python',
    code: 'def add(a, b):\n    return a + b\n',
    script: 'def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n',
  },
].filter((l) => !only || only.has(l.language));

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p95: at(0.95) };
}

async function sample(iterations, fn, between) {
  const samples = [];
  for (let i = 0; i < iterations; i++) {
    if (between) await between();
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return stats(samples);
}

function check(result) {
  if (result.status !== 'success' || Number(result.result) !== 3) throw new Error(`unexpected result ${JSON.stringify(result)}`);
}

async function theirsOnce(runtime, script) {
  const r = await runCode(runtime, script);
  if (r.resultType !== 'complete' || r.stdout.trim() !== '3') throw new Error(`unexpected runCode result ${JSON.stringify(r)}`);
}

const ms = (v) => `${v.toFixed(1)} ms`;
const ratio = (theirs, ours) => `${(theirs / ours).toFixed(1)}×`;
const latencyRows = [];
const throughputRows = [];

for (const { language, runtime, code, script } of LANGUAGES) {
  const request = { language, code, functionName: 'add', args: [1, 2] };
  const theirs = await sample(N.theirs, () => theirsOnce(runtime, script));

  // A fresh interpreter per call, everything else cached (pre-started instances off).
  const cold = new SandboxExecutor({ prewarm: 0 });
  await cold.warmup([language]);
  check(await cold.invoke(request));
  const coldStats = await sample(N.ours, async () => check(await cold.invoke(request)));
  await cold.close();

  // Pre-started instances on (the default): each call still gets its own fresh interpreter; between
  // calls the pool refills, as it does when calls are not back to back.
  const warm = new SandboxExecutor();
  await warm.warmup([language]);
  const warmStats = await sample(N.ours, async () => check(await warm.invoke(request)), () => warm.warmup([language]));
  await warm.close();

  latencyRows.push([`${language}: fresh interpreter per call`, coldStats, theirs]);
  latencyRows.push([`${language}: pre-started instance per call`, warmStats, theirs]);
}

if (!only || only.has('python')) {
  const { code, script } = LANGUAGES.find((l) => l.language === 'python') ?? {
    code: 'def add(a, b):\n    return a + b\n',
    script: 'def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n',
  };
  for (const workers of [1, 2]) {
    const executor = new SandboxExecutor({ poolSize: workers });
    await executor.warmup(['python']);
    let started = performance.now();
    await Promise.all(Array.from({ length: N.throughput }, () => executor.invoke({ language: 'python', code, args: [1, 2] }).then(check)));
    const ours = N.throughput / ((performance.now() - started) / 1000);
    await executor.close();

    started = performance.now();
    const total = N.theirsThroughput * workers;
    const lanes = Array.from({ length: workers }, async () => {
      for (let i = 0; i < N.theirsThroughput; i++) await theirsOnce('python', script);
    });
    await Promise.all(lanes);
    const theirs = total / ((performance.now() - started) / 1000);
    throughputRows.push([workers, ours, theirs]);
  }
}

console.log('\n## Latency per call, sequential (lower is better); speed-up = runCode p50 / ours p50\n');
console.log('| scenario | ours p50 | ours p95 | runCode p50 | runCode p95 | speed-up |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const [scenario, ours, theirs] of latencyRows) {
  console.log(`| ${scenario} | ${ms(ours.p50)} | ${ms(ours.p95)} | ${ms(theirs.p50)} | ${ms(theirs.p95)} | ${ratio(theirs.p50, ours.p50)} |`);
}
if (throughputRows.length > 0) {
  console.log('\n## Throughput, python add(1, 2), all calls issued at once (higher is better)\n');
  console.log('| workers | ours calls/s | runCode calls/s | ratio |');
  console.log('|---:|---:|---:|---:|');
  for (const [workers, ours, theirs] of throughputRows) console.log(`| ${workers} | ${ours.toFixed(1)} | ${theirs.toFixed(2)} | ${ratio(ours, theirs)} |`);
}
console.log(`\n(${N.ours} calls of ours per latency row, ${N.theirs} of runCode; ${N.throughput} calls per throughput row; Node ${process.version})`);
