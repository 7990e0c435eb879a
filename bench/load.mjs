// Load benchmark: mixed calls issued at once over a pool of 2 (Python, Ruby, JavaScript, PHP and C; every
// 10th call raises, every 50th spins into a 1 s timeout), against the same calls issued one at a time on
// the same executor, measured in the same run. Correctness under load is tested in
// test/reliability/load.test.ts; this only measures.
//
// Usage: npm run bench:load [-- --calls=200]
import { SandboxExecutor } from '../dist/index.js';

const callsArg = process.argv.find((a) => a.startsWith('--calls='));
const TOTAL = callsArg ? Number(callsArg.slice('--calls='.length)) : 200;

const PROGRAMS = {
  python: {
    code: 'def double(n):\n    print("n=%d" % n)\n    return n * 2\n\ndef fail(n):\n    raise ValueError("bad %d" % n)\n\ndef spin(n):\n    while True:\n        pass\n',
    double: 'double',
  },
  ruby: {
    code: 'def double(n)\n  puts "n=#{n}"\n  n * 2\nend\n\ndef fail(n)\n  raise ArgumentError, "bad #{n}"\nend\n\ndef spin(n)\n  loop {}\nend\n',
    double: 'double',
  },
  javascript: {
    code: 'function double(n) {\n  console.log("n=" + n);\n  return n * 2;\n}\n\nfunction fail(n) {\n  throw new RangeError("bad " + n);\n}\n\nfunction spin(n) {\n  for (;;) {}\n}\n',
    double: 'double',
  },
  php: {
    code: '<?php\nfunction double($n) {\n  echo "n=$n\\n";\n  return $n * 2;\n}\n\nfunction fail($n) {\n  throw new InvalidArgumentException("bad $n");\n}\n\nfunction spin($n) {\n  while (true) {}\n}\n',
    double: 'double',
  },
  c: {
    code:
      '#include <sandbox.h>\n#include <stdio.h>\n\nint double_it(int n) {\n  printf("n=%d\\n", n);\n  return n * 2;\n}\n\n' +
      'void fail(int n) {\n  char message[32];\n  snprintf(message, sizeof message, "bad %d", n);\n  sandbox_raise("ValueError", message);\n}\n\n' +
      'void spin(int n) {\n  volatile int x = n;\n  for (;;) x++;\n}\n',
    double: 'double_it',
  },
};
const languages = Object.keys(PROGRAMS);

const requests = Array.from({ length: TOTAL }, (_, i) => {
  const language = languages[i % languages.length];
  const kind = i % 50 === 7 ? 'timeout' : i % 10 === 3 ? 'error' : 'success';
  const functionName = kind === 'timeout' ? 'spin' : kind === 'error' ? 'fail' : PROGRAMS[language].double;
  return { language, code: PROGRAMS[language].code, functionName, args: [i], timeoutMs: kind === 'timeout' ? 1_000 : 60_000 };
});

const mib = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
const heapBefore = process.memoryUsage().heapUsed;
const executor = new SandboxExecutor({ poolSize: 2, maxQueue: TOTAL });
await executor.warmup(languages);

let started = performance.now();
const results = await Promise.all(requests.map((request) => executor.invoke(request)));
const concurrent = TOTAL / ((performance.now() - started) / 1000);
const statuses = {};
for (const result of results) statuses[result.status] = (statuses[result.status] ?? 0) + 1;

started = performance.now();
for (const request of requests) await executor.invoke(request);
const sequential = TOTAL / ((performance.now() - started) / 1000);

await executor.close();
const heapAfter = process.memoryUsage().heapUsed;

console.log(`\n## Mixed load, ${TOTAL} calls (${languages.join(', ')}), pool of 2 (higher is better)\n`);
console.log('| issued | calls/s | vs one at a time |');
console.log('|---|---:|---:|');
console.log(`| all at once | ${concurrent.toFixed(1)} | ${(concurrent / sequential).toFixed(2)}× |`);
console.log(`| one at a time | ${sequential.toFixed(1)} | 1× |`);
console.log(`\nstatuses: ${JSON.stringify(statuses)}; host heap ${mib(heapBefore)} before, ${mib(heapAfter)} after close (Node ${process.version})`);
