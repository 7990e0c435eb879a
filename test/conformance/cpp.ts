import fc from 'fast-check';
import type { ConformanceColumn } from './column.js';

export const column: ConformanceColumn = {
  language: 'cpp',
  add: 'double add(double a, double b) {\n  return a + b;\n}\n',
  greet:
    '#include <string>\n\nstd::string greet(const std::string &name, const std::string &greeting = "Hello") {\n  return greeting + ", " + name + "!";\n}\n',
  total: 'double total() {\n  return 0;\n}\n',
  // sandbox_json (sandbox.h) carries any value as JSON text, for mixed data no C++ type describes.
  echo: '#include <sandbox.h>\n\nsandbox_json echo(sandbox_json value) {\n  return value;\n}\n',
  // std::optional is C++'s nullable value: null arrives as std::nullopt.
  checkNull: '#include <optional>\n\nbool check_null(std::optional<double> value) {\n  return !value.has_value();\n}\n',
  // Built without exceptions (the toolchain has none): a failed assert() refuses a bad argument.
  fail: { code: '// line 1\n#include <cassert>\n\nvoid fail() {\n  assert(!"boom");\n}\n', type: 'AssertionError', line: 5 },
  syntaxError: { code: 'int ok() {\n  return 1;\n}\n\nint broken() {\n  return 1 +;\n}\n', type: 'CompileError', line: 6 },
  chatty: '#include <iostream>\n\nint chatty() {\n  std::cout << "hello stdout" << std::endl;\n  std::cerr << "hello stderr" << std::endl;\n  return 42;\n}\n',
  // volatile: an empty infinite loop may be removed by the optimizer in C++.
  spin: 'void spin() {\n  volatile unsigned long n = 0;\n  for (;;) n++;\n}\n',
  writeFile:
    '#include <fstream>\n#include <string>\n\nbool write_file(const std::string &name, const std::string &text) {\n' +
    '  std::ofstream file(name);\n  file << text;\n  file.close();\n  return !file.fail();\n}\n',
  counter: 'static int count = 0;\n\nint inc() {\n  return ++count;\n}\n',
  entropy:
    '#include <ctime>\n#include <unistd.h>\n#include <vector>\n\nstd::vector<double> entropy() {\n  unsigned int bits = 0;\n' +
    '  getentropy(&bits, sizeof bits);\n  timespec now;\n  clock_gettime(CLOCK_REALTIME, &now);\n' +
    '  return {bits / 4294967296.0, now.tv_sec + now.tv_nsec / 1e9};\n}\n',
  bigIntegers: false,
  skip: { variadics: 'C++ has no variadic functions whose arguments a call could count' },
  sessionMode: 'persistent',
  roundTrip: {
    arbitrary: fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0')),
    code: '#include <string>\nstd::string echo(std::string value) {\n  return value;\n}\n',
    functionName: 'echo',
    runs: 30,
  },
  // sandbox_json (sandbox.h) takes and returns any value as JSON text: C++ cannot tell its kinds apart.
  wireVectors: {},
};
