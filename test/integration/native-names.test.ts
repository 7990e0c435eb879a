/**
 * C and C++: the generated dispatcher shares a translation unit with the user's code, so none of its
 * names may hide or clash with the user's, and a compile error never points outside the user's code.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxExecutor } from '../../src/index.js';

const executor = new SandboxExecutor({ poolSize: 1 });
afterAll(() => executor.close());

/** Functions and parameters named like the locals and parameters a dispatcher would use. */
const C_NAMES = `
int count(int names) { return names + 1; }
int args(int kwargs) { return kwargs * 2; }
int t(int v0) { return v0 - 1; }
const int *r(const int *a0) { return a0; }
int name(int s0, int p0) { return s0 * p0; }
`;

describe('C/C++ dispatcher names', () => {
  it('a C++ function named count with a default argument (docs/languages/cpp.md)', async () => {
    const code = `
#include <map>
#include <string>
#include <vector>

std::map<std::string, int> count(const std::vector<std::string> &words, int start = 0) {
  std::map<std::string, int> counts;
  for (const auto &word : words) counts[word] = counts.count(word) ? counts[word] + 1 : start + 1;
  return counts;
}
`;
    expect(await executor.call({ language: 'cpp', code, functionName: 'count', args: [['a', 'b', 'a']] })).toEqual({ a: 2, b: 1 });
    expect(await executor.call({ language: 'cpp', code, functionName: 'count', args: [['a']], kwargs: { start: 10 } })).toEqual({ a: 11 });
  });

  it.each(['c', 'cpp'] as const)('%s functions and parameters named like generated locals', async (language) => {
    const call = (functionName: string, args: unknown[]) => executor.call({ language, code: C_NAMES, functionName, args });
    expect(await call('count', [1])).toBe(2);
    expect(await call('args', [4])).toBe(8);
    expect(await call('t', [3])).toBe(2);
    expect(await call('r', [7])).toBe(7);
    expect(await call('r', [null])).toBeNull();
    expect(await call('name', [3, 4])).toBe(12);
  });

  it('a compile error that clang reports after the user code still points inside it', async () => {
    // The user's code declares a name the runtime reserves; clang reports the clash in the runtime header.
    const code = 'int add(int a, int b) {\n  return a + b;\n}\nint sbx_dispatch = 1;\n';
    const r = await executor.invoke({ language: 'c', code, functionName: 'add', args: [1, 2] });
    expect(r.status).toBe('error');
    expect(r.error?.type).toBe('CompileError');
    expect(r.error?.line).toBeGreaterThanOrEqual(1);
    expect(r.error?.line).toBeLessThanOrEqual(4);
  });
});
