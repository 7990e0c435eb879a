/**
 * Real third-party packages the package tests import, per language: npm devDependencies for JavaScript,
 * Debian's pure-language library packages for Python, Ruby and PHP (installed by .ci/run), each used by a
 * function that needs two of them. Also used by bench/templates.mjs and the docs' samples.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const nodeModules = fileURLToPath(new URL('../../node_modules/', import.meta.url));

/** One language's real packages and code that uses them. */
export interface RealPackages {
  language: 'python' | 'ruby' | 'javascript' | 'php';
  /** The Debian or npm packages they come from, for messages. */
  source: string;
  packages: string[];
  /** The imports alone (a template's setup). */
  imports: string;
  /** Code defining `render(date, text)`: a date library and a text library at work. */
  code: string;
  /** What `render('2024-05-01', 'Hi *there*')` returns. */
  expected: unknown[];
}

export const REAL_PACKAGES: RealPackages[] = [
  {
    language: 'python',
    source: 'Debian python3-dateutil (with python3-six), python3-markdown',
    packages: ['/usr/lib/python3/dist-packages/dateutil', '/usr/lib/python3/dist-packages/six.py', '/usr/lib/python3/dist-packages/markdown'],
    imports: 'import dateutil.parser, dateutil.relativedelta, markdown\n',
    code: [
      'import dateutil.parser, dateutil.relativedelta, markdown',
      '',
      'def render(date, text):',
      '    due = dateutil.parser.parse(date) + dateutil.relativedelta.relativedelta(months=+1, days=-1)',
      '    return [due.date().isoformat(), markdown.markdown(text)]',
      '',
    ].join('\n'),
    expected: ['2024-05-31', '<p>Hi <em>there</em></p>'],
  },
  {
    language: 'ruby',
    source: 'Debian ruby-rainbow, ruby-mustache',
    packages: ['/usr/share/rubygems-integration/all/gems/rainbow-3.1.1', '/usr/lib/ruby/vendor_ruby/mustache.rb', '/usr/lib/ruby/vendor_ruby/mustache'],
    imports: 'require "rainbow"\nrequire "mustache"\n',
    code: [
      'require "date"',
      'require "rainbow"',
      'require "mustache"',
      '',
      'def render(date, text)',
      '  due = Date.parse(date).next_month - 1',
      '  [Mustache.render("{{due}}", due: due.iso8601), Rainbow(text).red.to_s]',
      'end',
      '',
    ].join('\n'),
    expected: ['2024-05-31', '\u001b[31mHi *there*\u001b[0m'],
  },
  {
    language: 'javascript',
    source: 'npm date-fns, yaml',
    packages: [`${nodeModules}date-fns`, `${nodeModules}yaml`],
    imports: 'import "date-fns";\nimport "yaml";\n',
    code: [
      'import { addDays, addMonths, format, parseISO } from "date-fns";',
      'import YAML from "yaml";',
      '',
      'export function render(date, text) {',
      '  const due = addDays(addMonths(parseISO(date), 1), -1);',
      '  return [format(due, "yyyy-MM-dd"), YAML.stringify({ text }).trim()];',
      '}',
      '',
    ].join('\n'),
    expected: ['2024-05-31', 'text: Hi *there*'],
  },
  {
    language: 'php',
    source: 'Debian php-parsedown, php-symfony-yaml',
    packages: ['/usr/share/php/Parsedown', '/usr/share/php/Symfony'],
    imports:
      "<?php\nrequire_once 'Parsedown/autoload.php';\nrequire_once 'Symfony/Component/Yaml/autoload.php';\nclass_exists(Parsedown::class);\nclass_exists(Symfony\\Component\\Yaml\\Yaml::class);\n",
    code: [
      '<?php',
      "require_once 'Parsedown/autoload.php';",
      "require_once 'Symfony/Component/Yaml/autoload.php';",
      'use Symfony\\Component\\Yaml\\Yaml;',
      '',
      'function render($date, $text) {',
      "    $due = (new DateTimeImmutable($date))->modify('+1 month -1 day');",
      "    $yaml = Yaml::dump(['due' => $due->format('Y-m-d')]);",
      "    return [Yaml::parse($yaml)['due'], (new Parsedown())->line($text)];",
      '}',
      '',
    ].join('\n'),
    expected: ['2024-05-31', 'Hi <em>there</em>'],
  },
];

/** The real packages that are missing on this machine (paths), for a skip message. */
export function missingPackages(entry: RealPackages): string[] {
  return entry.packages.filter((path) => !existsSync(path));
}
