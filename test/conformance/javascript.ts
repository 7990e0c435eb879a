import type { ConformanceColumn } from './column.js';
import { wireValue } from './wire-arbitrary.js';

export const column: ConformanceColumn = {
  language: 'javascript',
  add: 'function add(a, b) {\n  return a + b;\n}\n',
  // Keyword arguments arrive as the trailing options object.
  greet: 'function greet(name, { greeting = "Hello" } = {}) {\n  return `${greeting}, ${name}!`;\n}\n',
  total: 'const total = (...numbers) => numbers.reduce((sum, n) => sum + n, 0);\n',
  echo: 'export function echo(value) {\n  return value;\n}\n',
  checkNull: 'function check_null(value) {\n  return value === null;\n}\n',
  fail: { code: '// line 1\n\nfunction fail() {\n  throw new RangeError("boom");\n}\n', type: 'RangeError', line: 4 },
  syntaxError: { code: 'function ok() {\n  return 1;\n}\nconst broken = ;\n', type: 'SyntaxError', line: 4 },
  chatty: 'function chatty() {\n  console.log("hello stdout");\n  console.error("hello stderr");\n  return 42;\n}\n',
  spin: 'function spin() {\n  for (;;) {}\n}\n',
  // QuickJS starts in "/" and cannot change directory (no os.chdir): paths name the working directory.
  writeFile:
    'import * as std from "std";\n\nfunction write_file(name, text) {\n  const file = std.open("/workspace/" + name, "w");\n  file.puts(text);\n  file.close();\n  return true;\n}\n',
  counter: 'let count = 0;\n\nfunction inc() {\n  count += 1;\n  return count;\n}\n',
  entropy: 'function entropy() {\n  return [Math.random(), Date.now() / 1000];\n}\n',
  bigIntegers: true,
  sessionMode: 'persistent',
  // A script with `import` (std, for standard input) runs as an ES module, which has no completion value.
  script: {
    value: 'const x = 6;\nx * 7;\n',
    chatty: 'console.log("hello stdout");\nconsole.error("hello stderr");\n42;\n',
    syntaxError: { code: 'const x = 1;\nconst y = ;\n', type: 'SyntaxError', line: 2 },
    runtimeError: { code: '// line 1\n\nfunction fail() {\n  throw new RangeError("boom");\n}\n\nfail();\n', type: 'RangeError', line: 4 },
    exit: 'console.log("bye");\nexit(3);\n',
    envAndArgv: 'import * as std from "std";\nconsole.log(std.getenv("GREETING") + ":" + scriptArgs.slice(1).join(","));\n',
    // std.getenviron() of this QuickJS build corrupts its heap: the global env object lists the environment.
    envNames: 'console.log(Object.keys(env).sort().join(","));\n',
    readEnv: 'import * as std from "std";\n\nexport function read_env(name) {\n  return std.getenv(name) ?? null;\n}\n',
    stdin: 'import * as std from "std";\nstd.out.puts(std.in.readAsString().toUpperCase());\n',
    interactive: 'import * as std from "std";\nstd.out.puts("Name? ");\nstd.out.flush();\nconst name = std.in.getline();\nconsole.log(`Hello, ${name}!`);\n',
    context: ['var total = 1;', 'total += 2;', 'total'],
    spin: 'for (;;) {}\n',
  },
  roundTrip: { arbitrary: wireValue, code: 'function echo(value) {\n  return value;\n}\n', functionName: 'echo', runs: 60 },
  // JavaScript has one number type: an integer is a bigint, or a number that is a safe integer.
  wireVectors: {
    kindOf:
      'export function wire_kind(value) {\n' +
      '  if (value === null) return "null";\n' +
      '  if (typeof value === "bigint" || (Number.isSafeInteger(value) && !Object.is(value, -0))) return "integer";\n' +
      '  if (typeof value === "number") return "float";\n' +
      '  if (value instanceof Uint8Array) return "bytes";\n' +
      '  if (Array.isArray(value)) return "list";\n' +
      '  return typeof value === "object" ? "map" : typeof value;\n' +
      '}\n',
  },
};
