// Benchmark: sandbox-executor against @runno/sandbox's runCode, both measured in the same run and reported
// as ratios (the machine is noisy; absolute numbers vary between runs, ratios much less).
//
// Usage: npm run bench [-- --quick] [-- --only=python,ruby]
import { runCode } from '@runno/sandbox';
import { SandboxExecutor } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : undefined;
const N = {
  ours: quick ? 10 : 30,
  theirs: quick ? 2 : 5,
  session: quick ? 300 : 2000,
  throughput: quick ? 16 : 40,
  theirsThroughput: quick ? 2 : 4,
  compile: quick ? 3 : 8,
};

/** One row per language: the same `add(1, 2)` as a function for us and as a program for runCode. */
const LANGUAGES = [
  {
    language: 'python',
    runtime: 'python',
    code: 'def add(a, b):\n    return a + b\n',
    script: 'def add(a, b):\n    return a + b\n\nprint(add(1, 2))\n',
  },
  {
    language: 'ruby',
    runtime: 'ruby',
    code: 'def add(a, b)\n  a + b\nend\n',
    script: 'def add(a, b)\n  a + b\nend\n\nputs add(1, 2)\n',
  },
  {
    language: 'javascript',
    runtime: 'quickjs',
    code: 'function add(a, b) {\n  return a + b;\n}\n',
    script: 'function add(a, b) {\n  return a + b;\n}\nconsole.log(add(1, 2));\n',
  },
  {
    language: 'php',
    runtime: 'php-cgi',
    code: '<?php\nfunction add($a, $b) {\n  return $a + $b;\n}\n',
    script: '<?php\nfunction add($a, $b) {\n  return $a + $b;\n}\necho add(1, 2), "\\n";\n',
  },
  {
    language: 'c',
    runtime: 'clang',
    compiled: true,
    code: 'int add(int a, int b) {\n  return a + b;\n}\n',
    script: '#include <stdio.h>\nint add(int a, int b) {\n  return a + b;\n}\nint main(void) {\n  printf("%d\\n", add(1, 2));\n  return 0;\n}\n',
  },
  {
    language: 'cpp',
    runtime: 'clangpp',
    compiled: true,
    code: 'int add(int a, int b) {\n  return a + b;\n}\n',
    script: '#include <iostream>\nint add(int a, int b) {\n  return a + b;\n}\nint main() {\n  std::cout << add(1, 2) << std::endl;\n  return 0;\n}\n',
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
    if (between) await between(i);
    const started = performance.now();
    await fn(i);
    samples.push(performance.now() - started);
  }
  return stats(samples);
}

function check(result) {
  if (result.status !== 'success' || Number(result.result) !== 3) throw new Error(`unexpected result ${JSON.stringify(result)}`);
}

async function theirsOnce(runtime, script) {
  const r = await runCode(runtime, script);
  // php-cgi prints CGI headers first: the answer is the last line.
  if (r.resultType !== 'complete' || r.stdout.trim().split(/\r?\n/).pop() !== '3')
    throw new Error(`unexpected runCode result (${runtime}) ${JSON.stringify(r)}`);
}

const ms = (v) => (v < 10 ? `${v.toFixed(2)} ms` : `${v.toFixed(1)} ms`);
const ratio = (slow, fast) => `${(slow / fast).toFixed(slow / fast < 10 ? 1 : 0)}×`;
const latencyRows = [];
const sessionRows = [];
const throughputRows = [];

for (const { language, runtime, code, script, compiled } of LANGUAGES) {
  const request = { language, code, functionName: 'add', args: [1, 2] };
  const theirs = await sample(N.theirs, () => theirsOnce(runtime, script));

  if (compiled) {
    // First call of new code (compile + link + run; clang/wasm-ld already loaded), then the same code again
    // (the compile cache skips clang).
    const executor = new SandboxExecutor({ prestart: 0 });
    await executor.warmup([language]);
    check(await executor.invoke(request));
    const first = await sample(N.compile, async (i) => check(await executor.invoke({ ...request, code: `${code}/* variant ${i} ${Date.now()} */\n` })));
    const repeat = await sample(N.ours, async () => check(await executor.invoke(request)));
    await executor.close();
    latencyRows.push([`${language}: first call of new code (compile + run)`, first, theirs]);
    latencyRows.push([`${language}: repeat call (compile cache)`, repeat, theirs]);
  } else {
    // A fresh interpreter per call, everything else cached (prestarted instances off).
    const cold = new SandboxExecutor({ prestart: 0 });
    await cold.warmup([language]);
    check(await cold.invoke(request));
    const coldStats = await sample(N.ours, async () => check(await cold.invoke(request)));
    await cold.close();

    // Prestarted instances on (the default): each call still gets its own fresh interpreter; between
    // calls the pool refills, as it does when calls are not back to back.
    const warm = new SandboxExecutor();
    await warm.warmup([language]);
    const warmStats = await sample(
      N.ours,
      async () => check(await warm.invoke(request)),
      () => warm.warmup([language]),
    );
    await warm.close();

    latencyRows.push([`${language}: fresh interpreter per call`, coldStats, theirs]);
    latencyRows.push([`${language}: prestarted instance per call`, warmStats, theirs]);
  }

  // A session: one live interpreter (or compiled program) serving every call.
  const executor = new SandboxExecutor({ poolSize: 1, prestart: 0 });
  const session = await executor.createSession({ language, code });
  check(await session.invoke({ functionName: 'add', args: [1, 2] }));
  const sessionStats = await sample(N.session, async () => check(await session.invoke({ functionName: 'add', args: [1, 2] })));
  const started = performance.now();
  for (let i = 0; i < N.session; i++) await session.call('add', [1, 2]);
  const perSecond = N.session / ((performance.now() - started) / 1000);
  await executor.close();
  const atomic = latencyRows.find(([name]) => name.startsWith(`${language}:`) && !name.includes('prestarted') && !name.includes('first call'))[1];
  sessionRows.push([language, session.mode, sessionStats, atomic, theirs, perSecond]);
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
if (sessionRows.length > 0) {
  console.log('\n## Sessions: add(1, 2) through one live interpreter (lower is better)\n');
  console.log('| language | mode | session p50 | session p95 | one-shot p50 | vs one-shot | runCode p50 | vs runCode | calls/s, one session |');
  console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [language, mode, session, atomic, theirs, perSecond] of sessionRows) {
    console.log(
      `| ${language} | ${mode} | ${ms(session.p50)} | ${ms(session.p95)} | ${ms(atomic.p50)} | ${ratio(atomic.p50, session.p50)} | ${ms(theirs.p50)} | ${ratio(theirs.p50, session.p50)} | ${perSecond.toFixed(0)} |`,
    );
  }
}
if (throughputRows.length > 0) {
  console.log('\n## Throughput, python add(1, 2), all calls issued at once (higher is better)\n');
  console.log('| workers | ours calls/s | runCode calls/s | ratio |');
  console.log('|---:|---:|---:|---:|');
  for (const [workers, ours, theirs] of throughputRows) console.log(`| ${workers} | ${ours.toFixed(1)} | ${theirs.toFixed(2)} | ${ratio(ours, theirs)} |`);
}
console.log(
  `\n(${N.ours} calls of ours per latency row, ${N.compile} first calls for compiled languages, ${N.theirs} of runCode; ` +
    `${N.session} session calls; ${N.throughput} calls per throughput row; Node ${process.version})`,
);
