import fc from 'fast-check';
import type { ConformanceColumn } from './column.js';
import { wireValues } from './wire-arbitrary.js';

export const column: ConformanceColumn = {
  language: 'php',
  add: '<?php\nfunction add($a, $b) {\n    return $a + $b;\n}\n',
  greet: '<?php\nfunction greet(string $name, string $greeting = "Hello"): string {\n    return "$greeting, $name!";\n}\n',
  total: '<?php\nfunction total(...$numbers) {\n    return array_sum($numbers);\n}\n',
  // `echo` is a reserved word in PHP, so it cannot name a function: a closure in a global variable is
  // callable by the variable's name.
  echo: '<?php\n$echo = fn($value) => $value;\n',
  checkNull: '<?php\nfunction check_null($value) {\n    return $value === null;\n}\n',
  fail: { code: '<?php\n// line 2\n\nfunction fail() {\n    throw new InvalidArgumentException("boom");\n}\n', type: 'InvalidArgumentException', line: 5 },
  syntaxError: { code: '<?php\nfunction ok() {\n    return 1;\n}\n\nfunction broken( {\n}\n', type: 'ParseError', line: 6 },
  chatty: '<?php\nfunction chatty() {\n    echo "hello stdout\\n";\n    fwrite(STDERR, "hello stderr\\n");\n    return 42;\n}\n',
  spin: '<?php\nfunction spin() {\n    while (true) {\n    }\n}\n',
  writeFile: '<?php\nfunction write_file(string $name, string $text): bool {\n    file_put_contents($name, $text);\n    return true;\n}\n',
  counter: '<?php\n$count = 0;\n\nfunction inc() {\n    global $count;\n    return ++$count;\n}\n',
  entropy: '<?php\nfunction entropy() {\n    return [mt_rand() / (mt_getrandmax() + 1), microtime(true)];\n}\n',
  // PHP integers are 32-bit in this build, and it has neither GMP nor BCMath.
  bigIntegers: false,
  sessionMode: 'persistent',
  script: {
    value: '<?php\n$x = 6;\nreturn $x * 7;\n',
    chatty: '<?php\necho "hello stdout\\n";\nfwrite(STDERR, "hello stderr\\n");\nreturn 42;\n',
    syntaxError: { code: '<?php\n$x = 1;\n$y = ;\n', type: 'ParseError', line: 3 },
    runtimeError: {
      code: '<?php\n// line 2\n\nfunction fail() {\n    throw new InvalidArgumentException("boom");\n}\n\nfail();\n',
      type: 'InvalidArgumentException',
      line: 5,
    },
    exit: '<?php\necho "bye\\n";\nexit(3);\n',
    envAndArgv: '<?php\necho getenv("GREETING"), ":", implode(",", array_slice($argv, 1)), "\\n";\n',
    envNames: '<?php\n$names = array_keys($_ENV);\nsort($names);\necho implode(",", $names), "\\n";\n',
    readEnv: '<?php\nfunction read_env(string $name): ?string {\n    $value = getenv($name);\n    return $value === false ? null : $value;\n}\n',
    stdin: '<?php\necho strtoupper(stream_get_contents(STDIN));\n',
    interactive: '<?php\necho "Name? ";\n$name = trim(fgets(STDIN));\necho "Hello, $name!\\n";\n',
    context: ['$total = 1;', '$total += 2;', 'return $total;'],
    spin: 'while (true) {\n}\n',
  },
  // 32-bit integers (larger ones travel as exact floats), no big integers, and an empty object comes back
  // as an empty array (PHP has one array type).
  roundTrip: {
    arbitrary: wireValues({ bigints: false, bytes: false, key: fc.string().filter((k) => !/^(0|-?[1-9]\d*)$/.test(k)), minKeys: 1 }),
    code: '<?php\nfunction echo_value($value) {\n  return $value;\n}\n',
    functionName: 'echo_value',
    runs: 30,
  },
  wireVectors: {
    kindOf:
      '<?php\nfunction wire_kind($value) {\n' +
      '    if ($value === null) return "null";\n' +
      '    if (is_bool($value)) return "boolean";\n' +
      '    if (is_int($value)) return "integer";\n' +
      '    if (is_float($value)) return "float";\n' +
      '    if (is_string($value)) return "string";\n' +
      '    if (is_array($value)) return array_is_list($value) ? "list" : "map";\n' +
      '    return gettype($value);\n' +
      '}\n',
    skip: {
      'largest safe integer': 'PHP integers are 32-bit in this build: larger ones are floats',
      'smallest safe integer': 'PHP integers are 32-bit in this build: larger ones are floats',
      'big integer': 'PHP has no big integers in this build (neither GMP nor BCMath)',
      'negative big integer': 'PHP has no big integers in this build (neither GMP nor BCMath)',
      'nested objects and tags': 'it holds a big integer, which PHP cannot hold',
      bytes: 'PHP strings are bytes: valid UTF-8 bytes come back as text',
      'empty bytes': 'PHP strings are bytes: valid UTF-8 bytes come back as text',
      'escaped object holding a tag': 'PHP strings are bytes: valid UTF-8 bytes come back as text',
      'object with numeric keys': 'PHP arrays turn numeric string keys into integers: the object comes back as a list',
      'empty object': 'PHP has one array type: an empty object comes back as an empty list',
    },
  },
};
