import type fc from 'fast-check';
import type { Language } from '../../src/index.js';

/**
 * One language's column of the conformance table: the same scenarios written in that language.
 * Every snippet defines the named function(s) at the top level. Expected values live in the table, not here,
 * so that every language is held to the same behaviour.
 */
export interface ConformanceColumn {
  language: Language;
  /** `add(a, b)` returns `a + b`. */
  add: string;
  /**
   * `greet(name, greeting = "Hello")` returns `"<greeting>, <name>!"`. Called as `greet("Ada")` and with
   * the keyword argument `greeting: "Hey"` (in JavaScript, through a trailing destructured options object).
   */
  greet?: string;
  /** `total(...numbers)` returns the sum of any number of positional arguments. */
  total?: string;
  /** `echo(value)` returns its argument unchanged. */
  echo: string;
  /** `check_null(value)` returns true when the argument is the language's null (None, nil, null). */
  checkNull?: string;
  /** `fail()` raises/throws the language's usual error for a bad argument, with the message "boom". */
  fail?: { code: string; type: string; line: number };
  /** Code with a syntax error (it also defines a valid `ok()`, which is called). */
  syntaxError?: { code: string; type: string; line: number };
  /** `chatty()` writes "hello stdout" + newline to stdout and "hello stderr" + newline to stderr, returns 42. */
  chatty?: string;
  /** `spin()` loops forever. */
  spin?: string;
  /** `write_file(name, text)` writes `text` to the file `name` in the working directory and returns true. */
  writeFile?: string;
  /** `inc()` adds one to a module-level counter (starting at 0) and returns it. */
  counter?: string;
  /** `entropy()` returns `[r, t]`: a random float in [0, 1) and the current time in seconds since 1970. */
  entropy?: string;
  /** Whether the language has arbitrary-precision integers (JavaScript BigInt, Python int, Ruby Integer). */
  bigIntegers: boolean;
  /**
   * Scenarios the language cannot express, each with why: they are skipped for it, and their code may
   * be left out (C has no default arguments, no variadic functions with a count).
   */
  skip?: Readonly<Partial<Record<ConformanceScenario, string>>>;
  /** The mode sessions of this language run in. */
  sessionMode: 'persistent' | 'atomic';
  /** The scenarios of code run without naming a function: scripts (`run()`, `start()`) and contexts. */
  script: ScriptColumn;
  /**
   * What the language can hold faithfully, for the property test that sends random values through an
   * identity function (`test/reliability/properties.test.ts`): the values, the function, and how many runs.
   */
  roundTrip: { arbitrary: fc.Arbitrary<unknown>; code: string; functionName: string; runs: number };
  /**
   * How the language meets the wire vectors (test/fixtures/wire-vectors.json), which `echo` must give back
   * exactly: `kindOf`, code defining `wire_kind(value)`, which names the kind (`WireKind`) the proxy read a
   * value as (absent when the language cannot tell); `skip`, the vectors it cannot hold, each with why.
   */
  wireVectors: {
    kindOf?: string;
    skip?: Readonly<Record<string, string>>;
    /** The language's values are scalars: a list or an object of vectors cannot come back as one (SQL). */
    scalarsOnly?: boolean;
  };
}

/**
 * One language's scripts and snippets. Scenarios the language cannot express are skipped through the
 * column's `skip` (their code may then be left out).
 */
export interface ScriptColumn {
  /** A script whose last expression (PHP: final `return`) is `6 * 7`. */
  value?: string;
  /** Writes "hello stdout" + newline to stdout and "hello stderr" + newline to stderr; its value (if the language has one) is 42. */
  chatty: string;
  /** A script with a syntax error at `line`. */
  syntaxError: { code: string; type: string; line: number };
  /** A script whose function raises the language's usual error for a bad argument, message "boom", at `line`, and calls it. */
  runtimeError?: { code: string; type: string; line: number };
  /** Writes "bye" + newline, then exits with code 3. */
  exit: string;
  /** Writes the variable GREETING, ":", the arguments after the script's name joined with ",", and a newline. */
  envAndArgv: string;
  /** Writes the names of every environment variable it sees, sorted, joined with ",", and a newline. */
  envNames: string;
  /** Variables the language documents besides HOME and TMPDIR (C and C++: PWD, the working directory). */
  extraEnv?: readonly string[];
  /** Defines `read_env(name)`, which returns that environment variable's value (for calls and sessions). */
  readEnv: string;
  /** Writes its whole standard input upper-cased (ASCII), without adding anything. */
  stdin: string;
  /** Writes "Name? " (flushed, no newline), reads one line, then writes "Hello, <line>!" and a newline. */
  interactive: string;
  /** Three snippets of a context: the first sets `total` to 1, the second adds 2, the third's value is `total` (3). */
  context?: readonly [string, string, string];
  /** A snippet that loops forever. */
  spin?: string;
}

/** Scenarios of the table (each one an `it` of test/integration/conformance.test.ts); a column may skip any. */
export type ConformanceScenario =
  | 'add'
  | 'defaults'
  | 'kwargs'
  | 'variadics'
  | 'nested data'
  | 'unicode'
  | 'null'
  | 'big integers'
  | 'exception with line'
  | 'syntax error with line'
  | 'printing stays apart from the result'
  | 'function not found'
  | 'writes a file that syncs to a mounted folder'
  | 'sessions keep module state'
  | 'deterministic mode fixes the clock and random numbers'
  | 'timeout'
  | 'script: last expression value'
  | 'script: prints apart from the value'
  | 'script: syntax error with line'
  | 'script: runtime error with traceback'
  | 'script: exit(3) gives exit code 3'
  | 'script: env and argv visible'
  | 'script: nothing of the host environment leaks in'
  | 'env in calls and sessions'
  | 'script: stdin read'
  | 'script: interactive input answered while running'
  | 'context: keeps a variable across three snippets'
  | 'context: a timeout ends it cleanly';
