// Benchmark: per-call latency of sandbox-executor against @runno/sandbox's runCode, measured in the same
// run and reported as ratios (the machine is noisy; absolute numbers vary between runs, ratios much less).
//
// Usage: npm run bench [-- --quick]
import { runCode } from '@runno/sandbox';
import { SandboxExecutor } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const OURS = quick ? 10 : 30;
const THEIRS = quick ? 3 : 8;

const PY_FUNCTION = 'def add(a, b):\n    return a + b\n';
const PY_SCRIPT = `${PY_FUNCTION}\nprint(add(1, 2))\n`;

function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p95: at(0.95), n: sorted.length };
}

async function time(fn, iterations) {
  const samples = [];
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await fn();
    samples.push(performance.now() - started);
  }
  return stats(samples);
}

const rows = [];
const fmt = (ms) => `${ms.toFixed(1)} ms`;

const executor = new SandboxExecutor();
// Pay module compilation and worker start-up before measuring, as a server would at boot.
await executor.invoke({ language: 'python', code: PY_FUNCTION, args: [1, 2] });
const ours = await time(async () => {
  const r = await executor.invoke({ language: 'python', code: PY_FUNCTION, functionName: 'add', args: [1, 2] });
  if (r.result !== 3) throw new Error(`unexpected result ${JSON.stringify(r)}`);
}, OURS);

const theirs = await time(async () => {
  const r = await runCode('python', PY_SCRIPT);
  if (r.resultType !== 'complete' || r.stdout.trim() !== '3') throw new Error(`unexpected runCode result ${JSON.stringify(r)}`);
}, THEIRS);

rows.push({ scenario: 'python add(1, 2), sequential', ours, theirs });
await executor.close();

console.log('\nPer-call latency (lower is better); speed-up = runCode p50 / ours p50\n');
console.log('| scenario | ours p50 | ours p95 | runCode p50 | runCode p95 | speed-up |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const { scenario, ours: o, theirs: t } of rows) {
  console.log(`| ${scenario} | ${fmt(o.p50)} | ${fmt(o.p95)} | ${fmt(t.p50)} | ${fmt(t.p95)} | ${(t.p50 / o.p50).toFixed(1)}× |`);
}
console.log(`\n(${OURS} calls of ours, ${THEIRS} of runCode; Node ${process.version})`);
