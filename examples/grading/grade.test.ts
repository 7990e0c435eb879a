// A test harness that checks a student's Python solution against cases, the way a course grader would.
// Run with the project's tests (`npm test`) or alone: `npx vitest run examples/grading`.
import { readFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxExecutor } from 'sandbox-executor';

const executor = new SandboxExecutor({ poolSize: 2, timeoutMs: 2_000 });
afterAll(() => executor.close());

const solution = await readFile(new URL('./student_solution.py', import.meta.url), 'utf8');

const CASES: [input: string, expected: boolean][] = [
  ['racecar', true],
  ['A man, a plan, a canal: Panama', true],
  ['hello', false],
  ['', true],
  ['Was it a car or a cat I saw?', true],
];

describe("student's is_palindrome", () => {
  it.each(CASES)('%j → %s', async (input, expected) => {
    const result = await executor.invoke({ language: 'python', code: solution, functionName: 'is_palindrome', args: [input] });
    expect(result.status, result.error?.traceback).toBe('success');
    expect(result.result).toBe(expected);
  });

  it('does not print while checking', async () => {
    const result = await executor.invoke({ language: 'python', code: solution, functionName: 'is_palindrome', args: ['abba'] });
    expect(result.stdout).toBe('');
  });

  it('runs deterministically (same output twice)', async () => {
    const runs = await Promise.all(
      [1, 2].map(() => executor.invoke({ language: 'python', code: solution, functionName: 'is_palindrome', args: ['noon'], deterministic: { seed: 1 } })),
    );
    expect(runs[0]!.result).toEqual(runs[1]!.result);
  });
});
