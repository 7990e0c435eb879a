import type { ConformanceColumn } from './column.js';
import { wireValue } from './wire-arbitrary.js';

export const column: ConformanceColumn = {
  language: 'python',
  add: 'def add(a, b):\n    return a + b\n',
  greet: 'def greet(name, greeting="Hello"):\n    return f"{greeting}, {name}!"\n',
  total: 'def total(*numbers):\n    return sum(numbers)\n',
  echo: 'def echo(value):\n    return value\n',
  checkNull: 'def check_null(value):\n    return value is None\n',
  fail: { code: '# line 1\n\ndef fail():\n    raise ValueError("boom")\n', type: 'ValueError', line: 4 },
  syntaxError: { code: 'def ok():\n    return 1\n\ndef broken(:\n    pass\n', type: 'SyntaxError', line: 4 },
  chatty: 'import sys\n\ndef chatty():\n    print("hello stdout")\n    print("hello stderr", file=sys.stderr)\n    return 42\n',
  spin: 'def spin():\n    while True:\n        pass\n',
  writeFile: 'def write_file(name, text):\n    with open(name, "w") as f:\n        f.write(text)\n    return True\n',
  counter: 'count = 0\n\ndef inc():\n    global count\n    count += 1\n    return count\n',
  entropy: 'import random, time\n\ndef entropy():\n    return [random.random(), time.time()]\n',
  bigIntegers: true,
  sessionMode: 'persistent',
  script: {
    value: 'x = 6\nx * 7\n',
    chatty: 'import sys\nprint("hello stdout")\nprint("hello stderr", file=sys.stderr)\n42\n',
    syntaxError: { code: 'x = 1\nprint(x\n', type: 'SyntaxError', line: 2 },
    runtimeError: { code: '# line 1\n\ndef fail():\n    raise ValueError("boom")\n\nfail()\n', type: 'ValueError', line: 4 },
    exit: 'import sys\nprint("bye")\nsys.exit(3)\n',
    envAndArgv: 'import os, sys\nprint(os.environ["GREETING"] + ":" + ",".join(sys.argv[1:]))\n',
    envNames: 'import os\nprint(",".join(sorted(os.environ)))\n',
    readEnv: 'import os\n\ndef read_env(name):\n    return os.environ.get(name)\n',
    stdin: 'import sys\nsys.stdout.write(sys.stdin.read().upper())\n',
    interactive: 'name = input("Name? ")\nprint(f"Hello, {name}!")\n',
    context: ['total = 1', 'total += 2', 'total'],
    spin: 'while True:\n    pass\n',
  },
  roundTrip: { arbitrary: wireValue, code: 'def echo(value):\n    return value\n', functionName: 'echo', runs: 60 },
  wireVectors: {
    kindOf:
      'def wire_kind(value):\n' +
      '    for kind, types in (("null", type(None)), ("boolean", bool), ("integer", int), ("float", float), ("string", str), ("bytes", bytes), ("list", list), ("map", dict)):\n' +
      '        if isinstance(value, types):\n' +
      '            return kind\n' +
      '    return type(value).__name__\n',
  },
};
