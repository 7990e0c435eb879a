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
  skip: {
    variadics: 'C++ has no variadic functions whose arguments a call could count',
    'script: last expression value': 'a C++ program has no value: main() returns its exit code',
    'script: runtime error with traceback': 'exceptions are disabled in this toolchain: a failing program aborts (a crash) or returns a code',
    'context: keeps a variable across three snippets': 'C++ has no interpreter to keep state between snippets (createContext refuses it)',
    'context: a timeout ends it cleanly': 'C++ has no interpreter to keep state between snippets (createContext refuses it)',
  },
  sessionMode: 'persistent',
  // A C++ script is the user's own program: main() runs with argv and stdin, its return value is the exit code.
  script: {
    chatty: '#include <iostream>\n\nint main() {\n  std::cout << "hello stdout" << std::endl;\n  std::cerr << "hello stderr" << std::endl;\n  return 0;\n}\n',
    syntaxError: { code: 'int main() {\n  int x = 1;\n  return x +;\n}\n', type: 'CompileError', line: 3 },
    exit: '#include <cstdio>\n\nint main() {\n  std::printf("bye\\n");\n  return 3;\n}\n',
    envAndArgv:
      '#include <cstdlib>\n#include <iostream>\n\nint main(int argc, char **argv) {\n  std::cout << std::getenv("GREETING") << ":";\n' +
      '  for (int i = 1; i < argc; i++) std::cout << (i > 1 ? "," : "") << argv[i];\n  std::cout << std::endl;\n  return 0;\n}\n',
    envNames:
      '#include <algorithm>\n#include <cstdio>\n#include <string>\n#include <vector>\n\nextern "C" char **environ;\n\n' +
      'int main() {\n  std::vector<std::string> names;\n  for (char **entry = environ; *entry; entry++) {\n    std::string text(*entry);\n' +
      "    names.push_back(text.substr(0, text.find('=')));\n  }\n  std::sort(names.begin(), names.end());\n" +
      '  for (size_t i = 0; i < names.size(); i++) std::printf("%s%s", i ? "," : "", names[i].c_str());\n  std::printf("\\n");\n  return 0;\n}\n',
    extraEnv: ['PWD'],
    readEnv: '#include <cstdlib>\n\nconst char *read_env(const char *name) {\n  return std::getenv(name);\n}\n',
    stdin:
      '#include <cctype>\n#include <cstdio>\n\nint main() {\n  int c;\n  while ((c = std::getchar()) != EOF) std::putchar(std::toupper(c));\n  return 0;\n}\n',
    interactive:
      '#include <iostream>\n#include <string>\n\nint main() {\n  std::cout << "Name? " << std::flush;\n  std::string name;\n' +
      '  if (!std::getline(std::cin, name)) return 1;\n  std::cout << "Hello, " << name << "!" << std::endl;\n  return 0;\n}\n',
  },
  roundTrip: {
    arbitrary: fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0')),
    code: '#include <string>\nstd::string echo(std::string value) {\n  return value;\n}\n',
    functionName: 'echo',
    runs: 30,
  },
  // sandbox_json (sandbox.h) takes and returns any value as JSON text: C++ cannot tell its kinds apart.
  wireVectors: {},
};
