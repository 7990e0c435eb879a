/** The languages the playground offers, each with an example script and an example function. */

export type LanguageId = 'python' | 'ruby' | 'javascript' | 'php' | 'c' | 'cpp';
export type Mode = 'script' | 'function';

export interface LanguageInfo {
  id: LanguageId;
  label: string;
  examples: Record<Mode, string>;
}

export const LANGUAGES: readonly LanguageInfo[] = [
  {
    id: 'python',
    label: 'Python',
    examples: {
      script: `import time

for step in range(3):
    print(f"step {step}", flush=True)
    time.sleep(0.3)

name = input("Your name? ")
print(f"Hello, {name}!")
`,
      function: `def fibonacci(count: int, start: int = 0) -> list[int]:
    """The first numbers of the Fibonacci sequence."""
    numbers = [start, start + 1]
    while len(numbers) < count:
        numbers.append(numbers[-1] + numbers[-2])
    return numbers[:count]
`,
    },
  },
  {
    id: 'ruby',
    label: 'Ruby',
    examples: {
      script: `3.times do |step|
  puts "step #{step}"
  $stdout.flush
end
print "Your name? "
$stdout.flush
name = $stdin.gets.to_s.strip
puts "Hello, #{name}!"
`,
      function: `# Repeats a word.
# @param word [String]
# @param times [Integer]
# @return [String]
def repeat(word, times)
  ([word] * times).join(" ")
end
`,
    },
  },
  {
    id: 'javascript',
    label: 'JavaScript',
    examples: {
      script: `const squares = [1, 2, 3].map((n) => n * n);
console.log("squares", squares.join(", "));
squares.reduce((a, b) => a + b, 0);
`,
      function: `/**
 * Counts the words of a text.
 * @param {string} text
 * @param {boolean} ignoreCase
 */
function countWords(text, ignoreCase) {
  const counts = {};
  for (const word of text.split(/\\s+/).filter(Boolean)) {
    const key = ignoreCase ? word.toLowerCase() : word;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
`,
    },
  },
  {
    id: 'php',
    label: 'PHP',
    examples: {
      script: `<?php
$primes = array_filter(range(2, 30), function ($n) {
    for ($d = 2; $d * $d <= $n; $d++) if ($n % $d === 0) return false;
    return true;
});
echo implode(" ", $primes), "\\n";
return count($primes);
`,
      function: `<?php
function temperature(float $celsius, string $unit = "F"): array {
    $value = $unit === "K" ? $celsius + 273.15 : $celsius * 9 / 5 + 32;
    return ["value" => $value, "unit" => $unit];
}
`,
    },
  },
  {
    id: 'c',
    label: 'C',
    examples: {
      script: `#include <stdio.h>

int main(int argc, char **argv) {
  for (int i = 1; i <= 5; i++) printf("%d squared is %d\\n", i, i * i);
  return 0;
}
`,
      function: `int gcd(int a, int b) {
  while (b != 0) {
    int rest = a % b;
    a = b;
    b = rest;
  }
  return a;
}
`,
    },
  },
  {
    id: 'cpp',
    label: 'C++',
    examples: {
      script: `#include <cctype>
#include <iostream>
#include <string>

int main() {
  std::string line = "hello from C++";
  for (auto &c : line) c = std::toupper(c);
  std::cout << line << std::endl;
  return 0;
}
`,
      function: `#include <string>
#include <vector>

std::vector<std::string> split(const std::string &text, const std::string &separator) {
  std::vector<std::string> parts;
  size_t start = 0, end;
  while ((end = text.find(separator, start)) != std::string::npos) {
    parts.push_back(text.substr(start, end - start));
    start = end + separator.size();
  }
  parts.push_back(text.substr(start));
  return parts;
}
`,
    },
  },
];

export function languageInfo(id: string): LanguageInfo {
  return LANGUAGES.find((language) => language.id === id) ?? LANGUAGES[0];
}

/** Whether `code` is one of the examples as given (so that switching language or mode may replace it). */
export function isExample(code: string): boolean {
  return code.trim() === '' || LANGUAGES.some((language) => language.examples.script === code || language.examples.function === code);
}
