// Benchmark: a one-line snippet per language, run as a script with executor.run() (a fresh interpreter
// each time, from the prestarted ones) and in a context (one live interpreter, a turn per snippet), both
// measured in the same run; the table gives medians and the ratio context/run (the machine is noisy:
// compare ratios rather than absolute times).
//
// Usage: npm run build && node bench/snippets.mjs [--quick] [--only=python,ruby]
import { SandboxExecutor } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : undefined;
const N = { run: quick ? 10 : 60, context: quick ? 50 : 300, warmup: 3 };

/** The snippet of each language: a one-line expression whose value is 2 (C and C++ have no contexts). */
const LANGUAGES = [
  { language: 'python', snippet: '1 + 1' },
  { language: 'ruby', snippet: '1 + 1' },
  { language: 'javascript', snippet: '1 + 1' },
  { language: 'php', snippet: 'return 1 + 1;' },
  { language: 'sql', snippet: 'SELECT 1 + 1;' },
  { language: 'c', snippet: 'int main(void) { return 0; }', noContext: true },
  { language: 'cpp', snippet: 'int main() { return 0; }', noContext: true },
].filter((l) => !only || only.has(l.language));

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Times `count` runs of `fn` one after another (after a few unmeasured ones), in ms. */
async function sample(count, fn) {
  for (let i = 0; i < N.warmup; i++) await fn();
  const times = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return times;
}

const check = (result, language, how) => {
  if (result.status !== 'success') throw new Error(`${language} ${how}: ${result.status} ${result.error?.message}`);
};

const executor = new SandboxExecutor({ poolSize: 2 });
const rows = [];
try {
  for (const { language, snippet, noContext } of LANGUAGES) {
    await executor.warmup([language]);
    const run = await sample(N.run, async () => check(await executor.run({ language, code: snippet }), language, 'run()'));
    let context;
    if (!noContext) {
      const ctx = await executor.createContext({ language, idleTimeoutMs: 0 });
      try {
        context = await sample(N.context, async () => check(await ctx.run(snippet), language, 'context'));
      } finally {
        await ctx.close();
      }
    }
    const row = { language, run: median(run), context: context && median(context) };
    rows.push(row);
    process.stderr.write(`${language}: run() ${row.run.toFixed(2)} ms, context ${row.context?.toFixed(2) ?? '-'} ms\n`);
  }
} finally {
  await executor.close();
}

console.log(`One-line snippet, median of ${N.run} run() and ${N.context} context runs (ms), ${new Date().toISOString().slice(0, 10)}:\n`);
console.log('| language | `run()` | context | context / `run()` |');
console.log('|---|---:|---:|---:|');
for (const { language, run, context } of rows) {
  console.log(
    `| ${language} | ${run.toFixed(2)} | ${context === undefined ? '—' : context.toFixed(2)} | ${context === undefined ? '— (no contexts)' : (context / run).toFixed(3)} |`,
  );
}
