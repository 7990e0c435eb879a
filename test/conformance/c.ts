import fc from 'fast-check';
import type { ConformanceColumn } from './column.js';

export const column: ConformanceColumn = {
  language: 'c',
  add: 'double add(double a, double b) {\n  return a + b;\n}\n',
  // C has no default arguments; the keyword call passes both parameters.
  greet:
    '#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\n' +
    'char *greet(const char *name, const char *greeting) {\n' +
    '  size_t size = strlen(name) + strlen(greeting) + 4;\n' +
    '  char *text = malloc(size);\n' +
    '  snprintf(text, size, "%s, %s!", greeting, name);\n' +
    '  return text;\n}\n',
  total: 'double total(void) {\n  return 0;\n}\n',
  // sandbox_json (sandbox.h) carries any value as JSON text: C's way to take and return mixed data.
  echo: '#include <sandbox.h>\n\nsandbox_json echo(sandbox_json value) {\n  return value;\n}\n',
  // A pointer to a number is C's nullable number: null arrives as NULL, 0 as a pointer to 0.
  checkNull: '#include <stdbool.h>\n#include <stddef.h>\n\nbool check_null(const double *value) {\n  return value == NULL;\n}\n',
  // C has no exceptions: a failed assert() is the usual way to refuse a bad argument.
  fail: { code: '/* line 1 */\n#include <assert.h>\n\nvoid fail(void) {\n  assert(!"boom");\n}\n', type: 'AssertionError', line: 5 },
  syntaxError: { code: 'int ok(void) {\n  return 1;\n}\n\nint broken(void) {\n  return 1 +;\n}\n', type: 'CompileError', line: 6 },
  chatty: '#include <stdio.h>\n\nint chatty(void) {\n  printf("hello stdout\\n");\n  fprintf(stderr, "hello stderr\\n");\n  return 42;\n}\n',
  // volatile: the loop must not be optimized away.
  spin: 'void spin(void) {\n  volatile unsigned long n = 0;\n  for (;;) n++;\n}\n',
  writeFile:
    '#include <stdbool.h>\n#include <stdio.h>\n\nbool write_file(const char *name, const char *text) {\n' +
    '  FILE *file = fopen(name, "w");\n  if (!file) return false;\n  fputs(text, file);\n  return fclose(file) == 0;\n}\n',
  counter: 'static int count = 0;\n\nint inc(void) {\n  return ++count;\n}\n',
  entropy:
    '#include <sandbox.h>\n#include <stdio.h>\n#include <time.h>\n#include <unistd.h>\n\nsandbox_json entropy(void) {\n' +
    '  static char text[64];\n  unsigned int bits = 0;\n  struct timespec now;\n  getentropy(&bits, sizeof bits);\n' +
    '  clock_gettime(CLOCK_REALTIME, &now);\n' +
    '  snprintf(text, sizeof text, "[%.17g, %.17g]", bits / 4294967296.0, now.tv_sec + now.tv_nsec / 1e9);\n  return text;\n}\n',
  bigIntegers: false,
  skip: {
    defaults: 'C has no default arguments',
    variadics: 'C has no variadic functions whose arguments a call could count',
    'script: last expression value': 'a C program has no value: main() returns its exit code',
    'script: runtime error with traceback': 'C has no exceptions: a failing program aborts (a crash) or returns a code',
    'context: keeps a variable across three snippets': 'C has no interpreter to keep state between snippets (createContext refuses it)',
    'context: a timeout ends it cleanly': 'C has no interpreter to keep state between snippets (createContext refuses it)',
  },
  sessionMode: 'persistent',
  // A C script is the user's own program: main() runs with argv and stdin, its return value is the exit code.
  script: {
    chatty: '#include <stdio.h>\n\nint main(void) {\n  printf("hello stdout\\n");\n  fprintf(stderr, "hello stderr\\n");\n  return 0;\n}\n',
    syntaxError: { code: 'int main(void) {\n  int x = 1;\n  return x +;\n}\n', type: 'CompileError', line: 3 },
    exit: '#include <stdio.h>\n\nint main(void) {\n  printf("bye\\n");\n  return 3;\n}\n',
    envAndArgv:
      '#include <stdio.h>\n#include <stdlib.h>\n\nint main(int argc, char **argv) {\n  printf("%s:", getenv("GREETING"));\n' +
      '  for (int i = 1; i < argc; i++) printf("%s%s", i > 1 ? "," : "", argv[i]);\n  printf("\\n");\n  return 0;\n}\n',
    envNames:
      '#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n\nextern char **environ;\n\n' +
      'static int compare(const void *a, const void *b) {\n  return strcmp(*(char *const *)a, *(char *const *)b);\n}\n\n' +
      'int main(void) {\n  char *names[64];\n  int count = 0;\n  for (char **entry = environ; *entry && count < 64; entry++) {\n' +
      '    names[count] = strdup(*entry);\n    names[count][strcspn(names[count], "=")] = 0;\n    count++;\n  }\n' +
      '  qsort(names, count, sizeof names[0], compare);\n  for (int i = 0; i < count; i++) printf("%s%s", i ? "," : "", names[i]);\n  printf("\\n");\n  return 0;\n}\n',
    extraEnv: ['PWD'],
    readEnv: '#include <stdlib.h>\n\nconst char *read_env(const char *name) {\n  return getenv(name);\n}\n',
    stdin: '#include <ctype.h>\n#include <stdio.h>\n\nint main(void) {\n  int c;\n  while ((c = getchar()) != EOF) putchar(toupper(c));\n  return 0;\n}\n',
    interactive:
      '#include <stdio.h>\n#include <string.h>\n\nint main(void) {\n  char name[64];\n  printf("Name? ");\n  fflush(stdout);\n' +
      '  if (!fgets(name, sizeof name, stdin)) return 1;\n  name[strcspn(name, "\\n")] = 0;\n  printf("Hello, %s!\\n", name);\n  return 0;\n}\n',
  },
  roundTrip: {
    arbitrary: fc.option(
      fc.string({ unit: 'grapheme' }).filter((s) => !s.includes('\0')),
      { nil: null },
    ),
    code: 'const char* echo(const char* value) {\n  return value;\n}\n',
    functionName: 'echo',
    runs: 30,
  },
  // sandbox_json (sandbox.h) takes and returns any value as JSON text: C cannot tell its kinds apart.
  wireVectors: {},
};
