/**
 * C++ through the real toolchain. A C++ build takes about a second (the standard headers dominate), so
 * the tests share a few sources and most calls hit the compile cache.
 */
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { InvalidRequestError, SandboxExecutor } from '../../src/index.js';
import { ToolRunner } from '../../src/runtime/tool-runner.js';
import { rejection } from '../helpers/rejection.js';

const executor = new SandboxExecutor({ poolSize: 2 });
afterAll(() => executor.close());
afterEach(() => vi.restoreAllMocks());

const CONTAINERS = `#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

using namespace std;

std::vector<int> doubled(const std::vector<int> &xs) {
  std::vector<int> out;
  for (int x : xs) out.push_back(x * 2);
  return out;
}

map<string, vector<double>> regroup(const map<string, vector<double>> &groups) { return groups; }

std::unordered_map<std::string, int> count_words(std::vector<std::string> words) {
  std::unordered_map<std::string, int> counts;
  for (const auto &word : words) counts[word]++;
  return counts;
}

std::map<std::string, int> dollar_key() { return {{"$ref", 1}}; }

std::vector<std::vector<std::string>> nested(std::vector<std::vector<std::string>> rows) { return rows; }

std::optional<long long> maybe_twice(std::optional<long long> x) {
  if (!x) return std::nullopt;
  return *x * 2;
}

std::vector<bool> flags(std::vector<bool> values) { return values; }

std::string pad(const std::string &text, int width = 6, const std::string &edge = "|") {
  std::string out = text;
  while ((int)out.size() < width) out += '.';
  return edge + out + edge;
}

uint64_t next_u64(uint64_t x) { return x + 1; }

std::string binary() { return std::string("a\\0\\xff", 3); }

int main() { return 1; }
`;

const call = (code: string, functionName: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}) =>
  executor.invoke({ language: 'cpp', code, functionName, args, kwargs });

const value = async (functionName: string, args: unknown[] = [], kwargs: Record<string, unknown> = {}) => {
  const result = await call(CONTAINERS, functionName, args, kwargs);
  expect(result.status, JSON.stringify(result.error)).toBe('success');
  return result.result;
};

describe('C++ values', () => {
  it('passes and returns strings, vectors, maps and optionals, nested', async () => {
    expect(await value('doubled', [[1, 2, 3]])).toEqual([2, 4, 6]);
    expect(await value('doubled', [[]])).toEqual([]);
    expect(await value('regroup', [{ a: [1.5, -2], b: [] }])).toEqual({ a: [1.5, -2], b: [] });
    expect(await value('count_words', [['a', 'b', 'a']])).toEqual({ a: 2, b: 1 });
    expect(await value('dollar_key')).toEqual({ $ref: 1 });
    expect(await value('nested', [[['x', 'é'], [], ['🎉']]])).toEqual([['x', 'é'], [], ['🎉']]);
    expect(await value('maybe_twice', [21])).toBe(42);
    expect(await value('maybe_twice', [2n ** 60n])).toBe(2n ** 61n);
    expect(await value('maybe_twice', [null])).toBeNull();
    expect(await value('flags', [[true, false, true]])).toEqual([true, false, true]);
    expect(await value('next_u64', [2n ** 64n - 2n])).toBe(2n ** 64n - 1n);
    expect(await value('binary')).toEqual(new Uint8Array([0x61, 0x00, 0xff]));
  });

  it('applies default arguments, also for a parameter skipped by keyword arguments', async () => {
    expect(await value('pad', ['ab'])).toBe('|ab....|');
    expect(await value('pad', ['ab', 3])).toBe('|ab.|');
    expect(await value('pad', ['ab'], { edge: '#' })).toBe('#ab....#');
    expect(await value('pad', [], { text: 'a', width: 2, edge: '' })).toBe('a.');
  });

  it('names the path of a nested value that does not fit', async () => {
    const r = await call(CONTAINERS, 'regroup', [{ a: [1, 'two'] }]);
    expect(r.error).toMatchObject({ type: 'TypeError', message: `argument 'groups'["a"][1] of regroup(): expected a number, got a string` });
    const notArray = await call(CONTAINERS, 'doubled', [{ x: 1 }]);
    expect(notArray.error?.message).toContain('expected an array, got an object');
  });

  it('refuses an unsupported type before compiling', async () => {
    const runTool = vi.spyOn(ToolRunner.prototype, 'runTool');
    const code = '#include <set>\n\nint size(const std::set<int> &values) {\n  return values.size();\n}\n';
    const error = await rejection(call(code, 'size', [[1]]));
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect(error.message).toContain("Parameter 'values' of size() has the type 'const std::set<int>&'");
    expect(runTool).not.toHaveBeenCalled();
  });
});

describe('C++ builds and runs', () => {
  const RUNTIME = `#include <cassert>
#include <iostream>
#include <string>
#include <vector>

int chatty(int n) {
  for (int i = 0; i < n; i++) std::cout << "line " << i << '\\n';
  std::cerr << "to stderr" << std::endl;
  return n;
}

std::string read_line() {
  std::string line;
  std::getline(std::cin, line);
  return "got " + line;
}

int out_of_range(int i) {
  std::vector<int> values(2);
  return values.at(i);
}

int positive(int x) {
  assert(x > 0);
  return x;
}
`;

  it('keeps iostream output apart from the result, and stdin for the user code', async () => {
    const runTool = vi.spyOn(ToolRunner.prototype, 'runTool');
    const r = await call(RUNTIME, 'chatty', [2]);
    expect(r).toMatchObject({ status: 'success', result: 2, stdout: 'line 0\nline 1\n', stderr: 'to stderr\n' });
    const read = await executor.invoke({ language: 'cpp', code: RUNTIME, functionName: 'read_line', stdin: 'hello\nrest' });
    expect(read.result).toBe('got hello');
    // One build serves every function of the code.
    expect(runTool).toHaveBeenCalledTimes(2);
  });

  it('reports assert() with its line, and an aborting library call as a crash', async () => {
    const r = await call(RUNTIME, 'positive', [-1]);
    expect(r.error).toMatchObject({ type: 'AssertionError', line: 24 });
    expect(r.error?.message).toContain('x > 0');
    expect((await call(RUNTIME, 'out_of_range', [5])).status).toBe('crash');
  });

  it('reports exceptions as compile errors (the toolchain has none)', async () => {
    const r = await call('#include <stdexcept>\n\nint fail(int x) {\n  if (x < 0) throw std::invalid_argument("negative");\n  return x;\n}\n', 'fail', [1]);
    expect(r.status).toBe('error');
    expect(r.error).toMatchObject({ type: 'CompileError', line: 4 });
    expect(r.error?.message).toContain('exceptions');
  });
});
