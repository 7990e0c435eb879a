/**
 * `npm run demo`: calls a few functions in every supported language and prints each call, its result and
 * how long it took. Runs on embedded examples; needs nothing but the installed package.
 */
import { inspect } from 'node:util';
import { SandboxExecutor } from './index.js';
import type { ExecutionResult, LanguageInput } from './index.js';

interface DemoCall {
  language: LanguageInput;
  code: string;
  functionName: string;
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

const CALLS: DemoCall[] = [
  { language: 'python', code: PYTHON, functionName: 'add', args: [1, 2] },
  { language: 'python', code: PYTHON, functionName: 'greet', args: ['Ada'], kwargs: { punctuation: '!' } },
  { language: 'python', code: PYTHON, functionName: 'fib', args: [90] },
  { language: 'python', code: PYTHON, functionName: 'stats', args: [[3, 1, 4, 1, 5, 9, 2, 6]] },
  { language: 'python', code: PYTHON, functionName: 'divide', args: [1, 0] },
];

function show(value: unknown): string {
  return inspect(value, { depth: 4, breakLength: Infinity, compact: true, colors: false });
}

function describeCall(call: DemoCall): string {
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
  try {
    for (const call of CALLS) {
      const started = performance.now();
      const result = await executor.invoke(call);
      const ms = performance.now() - started;
      const note = rows.length === 1 ? ' (first call: loads the interpreter)' : '';
      rows.push([result.language, describeCall(call), describeOutcome(result), `${ms.toFixed(1)} ms${note}`]);
      if (result.stdout) rows.push(['', `  stdout: ${show(result.stdout)}`, '', '']);
    }
  } finally {
    await executor.close();
  }
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  for (const row of rows) console.log(row.map((cell, column) => cell.padEnd(widths[column])).join('  ').trimEnd());
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
