/**
 * `npm run demo`: calls a few functions in every supported language (and runs a script) and prints each
 * call, its result and how long it took. Runs on embedded examples; needs nothing but the installed package.
 */
import { inspect } from 'node:util';
import { SandboxExecutor } from './index.js';
import type { ExecutionResult, LanguageInput } from './index.js';

interface DemoCall {
  language: LanguageInput;
  code: string;
  /** The function to call; without one, the code runs as a script (`run()`). */
  functionName?: string;
  args?: unknown[];
  kwargs?: Record<string, unknown>;
}

const PYTHON = `
def add(a, b):
    return a + b

def greet(name, punctuation="."):
    print(f"greeting {name}")
    return f"Hello, {name}{punctuation}"

def fib(n):
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a

def stats(values):
    mean = sum(values) / len(values)
    return {"count": len(values), "mean": mean, "max": max(values)}

def divide(a, b):
    return a / b
`;

const RUBY = `
def greet(name, punctuation: ".")
  puts "greeting #{name}"
  "Hello, #{name}#{punctuation}"
end

def word_counts(text)
  text.downcase.scan(/\\w+/).tally.sort_by { |word, count| [-count, word] }.first(3).to_h
end
`;

const JAVASCRIPT = `
export function greet(name, { punctuation = "." } = {}) {
  console.log("greeting " + name);
  return "Hello, " + name + punctuation;
}

const factorial = (n) => (n <= 1n ? 1n : n * factorial(n - 1n));
`;

const PHP = `<?php
function greet(string $name, string $punctuation = "."): string {
    echo "greeting $name\n";
    return "Hello, $name$punctuation";
}

function stats(array $values): array {
    return ["count" => count($values), "mean" => array_sum($values) / count($values)];
}
`;

const C = `
#include <string.h>

/* The length of the longest run of one character. */
int longest_run(const char *text) {
    int best = 0, run = 0;
    for (size_t i = 0; text[i]; i++) {
        run = (i > 0 && text[i] == text[i - 1]) ? run + 1 : 1;
        if (run > best) best = run;
    }
    return best;
}
`;

const CPP = `
#include <map>
#include <string>
#include <vector>

std::map<std::string, int> histogram(const std::vector<std::string>& words, int min_count = 1) {
    std::map<std::string, int> counts;
    for (const auto& word : words) counts[word]++;
    for (auto it = counts.begin(); it != counts.end();) {
        if (it->second < min_count) it = counts.erase(it); else ++it;
    }
    return counts;
}
`;

const SQL = `
CREATE TABLE scores (player TEXT, points INTEGER);
INSERT INTO scores VALUES ('ada', 12), ('grace', 15), ('ada', 3);

-- name: total$
SELECT sum(points) FROM scores WHERE player = :player;
`;

const PYTHON_SCRIPT = `
import sys
print("hello from a script, argv:", sys.argv[1:])
sum(n * n for n in range(10))
`;

const CALLS: DemoCall[] = [
  { language: 'python', code: PYTHON, functionName: 'add', args: [1, 2] },
  { language: 'python', code: PYTHON, functionName: 'greet', args: ['Ada'], kwargs: { punctuation: '!' } },
  { language: 'python', code: PYTHON, functionName: 'fib', args: [90] },
  { language: 'python', code: PYTHON, functionName: 'stats', args: [[3, 1, 4, 1, 5, 9, 2, 6]] },
  { language: 'python', code: PYTHON, functionName: 'divide', args: [1, 0] },
  { language: 'ruby', code: RUBY, functionName: 'greet', args: ['Grace'], kwargs: { punctuation: '!' } },
  { language: 'ruby', code: RUBY, functionName: 'word_counts', args: ['the cat and the hat and the bat'] },
  { language: 'javascript', code: JAVASCRIPT, functionName: 'greet', args: ['Brendan'], kwargs: { punctuation: '!' } },
  { language: 'javascript', code: JAVASCRIPT, functionName: 'factorial', args: [25n] },
  { language: 'php', code: PHP, functionName: 'greet', args: ['Rasmus'], kwargs: { punctuation: '!' } },
  { language: 'php', code: PHP, functionName: 'stats', args: [[2, 4, 9]] },
  { language: 'c', code: C, functionName: 'longest_run', args: ['aabbbbcccdd'] },
  { language: 'c', code: C, functionName: 'longest_run', args: ['abc'] },
  { language: 'cpp', code: CPP, functionName: 'histogram', args: [['a', 'b', 'a', 'c', 'a', 'b']], kwargs: { min_count: 2 } },
  { language: 'sql', code: SQL, functionName: 'total', kwargs: { player: 'ada' } },
  { language: 'python', code: PYTHON_SCRIPT, args: ['--fast'] },
];

function show(value: unknown): string {
  return inspect(value, { depth: 4, breakLength: Infinity, compact: true, colors: false });
}

function describeCall(call: DemoCall): string {
  if (call.functionName === undefined) return `script, argv ${show(call.args ?? [])}`;
  const args = (call.args ?? []).map(show);
  const kwargs = Object.entries(call.kwargs ?? {}).map(([k, v]) => `${k}=${show(v)}`);
  return `${call.functionName}(${[...args, ...kwargs].join(', ')})`;
}

function describeOutcome(result: ExecutionResult): string {
  if (result.status === 'success') return show(result.result);
  const where = result.error?.line ? ` (line ${result.error.line})` : '';
  return `${result.status}: ${result.error?.type}: ${result.error?.message}${where}`;
}

async function main(): Promise<void> {
  const executor = new SandboxExecutor();
  console.log('Sandbox Executor demo: functions called inside a WebAssembly/WASI sandbox\n');
  const rows: string[][] = [['language', 'call', 'outcome', 'time']];
  const seen = new Set<string>();
  try {
    for (const call of CALLS) {
      const started = performance.now();
      const { language, code, functionName, args, kwargs } = call;
      const result =
        functionName === undefined
          ? await executor.run({ language, code, argv: (args ?? []).map(String) })
          : await executor.invoke({ language, code, functionName, args, kwargs });
      const ms = performance.now() - started;
      const first = !seen.has(result.language);
      seen.add(result.language);
      const note = !first
        ? ''
        : result.language === 'c' || result.language === 'cpp'
          ? ' (first call: loads clang, compiles)'
          : ' (first call: loads the interpreter)';
      rows.push([result.language, describeCall(call), describeOutcome(result), `${ms.toFixed(1)} ms${note}`]);
      if (result.stdout) rows.push(['', `  stdout: ${show(result.stdout)}`, '', '']);
    }
  } finally {
    await executor.close();
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows)
    console.log(
      row
        .map((cell, column) => cell.padEnd(widths[column]))
        .join('  ')
        .trimEnd(),
    );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
