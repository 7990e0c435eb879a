/**
 * Code that ends its own process, in every language: exit(0), exit(1) and the like. The call must end
 * with a clear status and error, keep what was printed, and leave the executor working.
 *
 * Where the language turns exit into an exception (Python, Ruby, PHP), the call ends with status `error`
 * and that exception's type; where it ends the process (JavaScript, C, C++), with status `crash`, type
 * `ProcessExit` and the exit code.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { SandboxExecutor, SUPPORTED_LANGUAGES, type Language } from '../../src/index.js';

const executor = new SandboxExecutor({ poolSize: 2 });
afterAll(() => executor.close());

interface ExitCase {
  code: string;
  status: 'error' | 'crash';
  type: string;
  exitCode?: number;
}

const CASES: Record<Language, ExitCase[]> = {
  python: [
    { code: 'import sys\ndef f():\n    print("bye")\n    sys.exit(1)\n', status: 'error', type: 'SystemExit' },
    { code: 'def f():\n    print("bye")\n    exit(0)\n', status: 'error', type: 'SystemExit' },
    { code: 'import os\ndef f():\n    print("bye", flush=True)\n    os._exit(3)\n', status: 'crash', type: 'ProcessExit', exitCode: 3 },
  ],
  ruby: [
    { code: 'def f\n  puts "bye"\n  exit 1\nend\n', status: 'error', type: 'SystemExit' },
    { code: 'def f\n  puts "bye"\n  $stdout.flush\n  exit!(0)\nend\n', status: 'crash', type: 'ProcessExit', exitCode: 0 },
  ],
  javascript: [
    {
      code: 'import * as std from "std";\nexport function f() {\n  console.log("bye");\n  std.exit(1);\n}\n',
      status: 'crash',
      type: 'ProcessExit',
      exitCode: 1,
    },
  ],
  php: [
    { code: '<?php\nfunction f() {\n  echo "bye\\n";\n  exit(1);\n}\n', status: 'error', type: 'Exit' },
    { code: '<?php\nfunction f() {\n  die("bye\\n");\n}\n', status: 'error', type: 'Exit' },
  ],
  c: [
    { code: '#include <stdio.h>\n#include <stdlib.h>\nvoid f(void) {\n  puts("bye");\n  exit(1);\n}\n', status: 'crash', type: 'ProcessExit', exitCode: 1 },
    { code: '#include <stdio.h>\n#include <stdlib.h>\nvoid f(void) {\n  puts("bye");\n  exit(0);\n}\n', status: 'crash', type: 'ProcessExit', exitCode: 0 },
  ],
  cpp: [
    { code: '#include <cstdio>\n#include <cstdlib>\nvoid f() {\n  std::puts("bye");\n  std::exit(2);\n}\n', status: 'crash', type: 'ProcessExit', exitCode: 2 },
  ],
  // SQL has no statement that ends the process (nor prints).
  sql: [],
};

describe.each(SUPPORTED_LANGUAGES.filter((language) => CASES[language].length > 0).map((language) => [language]))('%s', (language) => {
  it.each(CASES[language].map((c, i) => [i, c] as const))('exit case %i', async (_i, exit) => {
    const r = await executor.invoke({ language, code: exit.code, functionName: 'f' });
    expect(r.status).toBe(exit.status);
    expect(r.error?.type).toBe(exit.type);
    expect(r.stdout).toBe('bye\n');
    if (exit.exitCode !== undefined) expect(r.exitCode).toBe(exit.exitCode);
  });

  it('the executor still answers afterwards', async () => {
    const r = await executor.invoke({ language, code: CASES[language][0]!.code, functionName: 'f' });
    expect(r.status).toBe(CASES[language][0]!.status);
  });
});
