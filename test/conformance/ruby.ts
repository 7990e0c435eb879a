import type { ConformanceColumn } from './column.js';
import { wireValue } from './wire-arbitrary.js';

export const column: ConformanceColumn = {
  language: 'ruby',
  add: 'def add(a, b)\n  a + b\nend\n',
  // Ruby keyword arguments are the natural home of a named, optional argument.
  greet: 'def greet(name, greeting: "Hello")\n  "#{greeting}, #{name}!"\nend\n',
  total: 'def total(*numbers)\n  numbers.sum\nend\n',
  echo: 'def echo(value)\n  value\nend\n',
  checkNull: 'def check_null(value)\n  value.nil?\nend\n',
  fail: { code: '# line 1\n\ndef fail\n  raise ArgumentError, "boom"\nend\n', type: 'ArgumentError', line: 4 },
  syntaxError: { code: 'def ok\n  1\nend\n\ndef broken\n  x = (1 + )\nend\n', type: 'SyntaxError', line: 6 },
  chatty: 'def chatty\n  puts "hello stdout"\n  $stderr.puts "hello stderr"\n  42\nend\n',
  spin: 'def spin\n  loop {}\nend\n',
  writeFile: 'def write_file(name, text)\n  File.write(name, text)\n  true\nend\n',
  counter: '$count = 0\n\ndef inc\n  $count += 1\nend\n',
  entropy: 'def entropy\n  [rand, Time.now.to_f]\nend\n',
  bigIntegers: true,
  sessionMode: 'persistent',
  script: {
    value: 'x = 6\nx * 7\n',
    chatty: 'puts "hello stdout"\n$stderr.puts "hello stderr"\n42\n',
    syntaxError: { code: 'x = 1\ny = (x + )\n', type: 'SyntaxError', line: 2 },
    runtimeError: { code: '# line 1\n\ndef fail\n  raise ArgumentError, "boom"\nend\n\nfail\n', type: 'ArgumentError', line: 4 },
    exit: 'puts "bye"\nexit 3\n',
    envAndArgv: 'puts "#{ENV["GREETING"]}:#{ARGV.join(",")}"\n',
    envNames: 'puts ENV.keys.sort.join(",")\n',
    readEnv: 'def read_env(name)\n  ENV[name]\nend\n',
    // `gets` alone would read the files named by ARGV (ARGF), as Ruby's does.
    stdin: 'print $stdin.read.upcase\n',
    interactive: 'print "Name? "\nname = $stdin.gets.chomp\nputs "Hello, #{name}!"\n',
    context: ['total = 1', 'total += 2', 'total'],
    spin: 'loop {}\n',
  },
  roundTrip: { arbitrary: wireValue, code: 'def echo(value)\n  value\nend\n', functionName: 'echo', runs: 40 },
  wireVectors: {
    kindOf:
      'def wire_kind(value)\n' +
      '  case value\n' +
      '  when nil then "null"\n' +
      '  when true, false then "boolean"\n' +
      '  when Integer then "integer"\n' +
      '  when Float then "float"\n' +
      '  when String then value.encoding == Encoding::BINARY ? "bytes" : "string"\n' +
      '  when Array then "list"\n' +
      '  when Hash then "map"\n' +
      '  else value.class.name\n' +
      '  end\n' +
      'end\n',
  },
};
