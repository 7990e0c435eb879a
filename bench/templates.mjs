// Benchmark: what a template's setup saves. Per language, the median call that imports two real packages
// (those of test/helpers/real-packages.ts) three ways, measured in the same run:
//   plain     the request names its packages: a fresh interpreter per call, which imports them;
//   template  a template with the same packages and no setup: a prestarted interpreter, which imports them;
//   setup     a template whose setup imports them: the prestarted interpreter has imported them already.
// Each call waits for the pool's prestarted instances first (warmup), so every template call finds one.
// Ratios are against `plain` (the machine is noisy; compare within one run).
//
// Usage: npm run build && node bench/templates.mjs [--quick] [--only=python,php]
import { fileURLToPath } from 'node:url';
import { SandboxExecutor } from '../dist/index.js';

const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg ? new Set(onlyArg.slice('--only='.length).split(',')) : undefined;
const N = quick ? 5 : 15;
const nodeModules = fileURLToPath(new URL('../node_modules/', import.meta.url));

const LANGUAGES = [
  {
    language: 'python',
    packages: ['/usr/lib/python3/dist-packages/dateutil', '/usr/lib/python3/dist-packages/six.py', '/usr/lib/python3/dist-packages/markdown'],
    setup: 'import dateutil.parser, dateutil.relativedelta, markdown\n',
    code: 'import dateutil.parser, markdown\ndef render(date, text):\n    return [dateutil.parser.parse(date).date().isoformat(), markdown.markdown(text)]\n',
  },
  {
    language: 'ruby',
    packages: ['/usr/share/rubygems-integration/all/gems/rainbow-3.1.1', '/usr/lib/ruby/vendor_ruby/mustache.rb', '/usr/lib/ruby/vendor_ruby/mustache'],
    setup: 'require "rainbow"\nrequire "mustache"\n',
    code: 'require "rainbow"\nrequire "mustache"\ndef render(date, text)\n  [Mustache.render("{{d}}", d: date), Rainbow(text).red.to_s]\nend\n',
  },
  {
    language: 'javascript',
    packages: [`${nodeModules}date-fns`, `${nodeModules}yaml`],
    setup: 'import "date-fns";\nimport "yaml";\n',
    code: 'import { format, parseISO } from "date-fns";\nimport YAML from "yaml";\nexport function render(date, text) {\n  return [format(parseISO(date), "yyyy-MM-dd"), YAML.stringify({ text })];\n}\n',
  },
  {
    language: 'php',
    packages: ['/usr/share/php/Parsedown', '/usr/share/php/Symfony'],
    setup:
      "<?php\nrequire_once 'Parsedown/autoload.php';\nrequire_once 'Symfony/Component/Yaml/autoload.php';\nclass_exists(Parsedown::class);\nclass_exists(Symfony\\Component\\Yaml\\Yaml::class);\n",
    code:
      "<?php\nrequire_once 'Parsedown/autoload.php';\nrequire_once 'Symfony/Component/Yaml/autoload.php';\n" +
      "function render($date, $text) {\n    return [Symfony\\Component\\Yaml\\Yaml::dump(['d' => $date]), (new Parsedown())->line($text)];\n}\n",
  },
];

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};

async function measure(executor, language, request) {
  const times = [];
  for (let i = 0; i < N + 1; i++) {
    await executor.warmup([language]);
    const started = performance.now();
    const result = await executor.invoke(request);
    const elapsed = performance.now() - started;
    if (result.status !== 'success') throw new Error(`${language}: ${result.error?.type}: ${result.error?.message}`);
    // The first call reads the packages: not what is measured.
    if (i > 0) times.push(elapsed);
  }
  return median(times);
}

const rows = [];
for (const entry of LANGUAGES) {
  if (only && !only.has(entry.language)) continue;
  // One worker, no prestarted instances of the language itself: only the template's.
  const executor = new SandboxExecutor({ poolSize: 1, prestart: 0 });
  try {
    const call = { language: entry.language, code: entry.code, functionName: 'render', args: ['2024-05-01', 'Hi *there*'] };
    const plain = await measure(executor, entry.language, { ...call, packages: entry.packages });
    await executor.defineTemplate('bare', { language: entry.language, packages: entry.packages, prestart: 1 });
    const template = await measure(executor, entry.language, { ...call, template: 'bare' });
    await executor.defineTemplate('bare', { language: entry.language, packages: entry.packages, prestart: 0 });
    await executor.defineTemplate('ready', { language: entry.language, packages: entry.packages, setup: entry.setup, prestart: 1 });
    const setup = await measure(executor, entry.language, { ...call, template: 'ready' });
    rows.push({ language: entry.language, plain, template, setup });
  } finally {
    await executor.close();
  }
}

const ms = (value) => `${value.toFixed(1)} ms`;
console.log(`median of ${N} calls per cell (after one call that reads the packages)\n`);
console.log('| language | plain (packages) | template, no setup | template, setup imports | template / plain | setup / plain |');
console.log('|---|---|---|---|---|---|');
for (const row of rows) {
  console.log(
    `| ${row.language} | ${ms(row.plain)} | ${ms(row.template)} | ${ms(row.setup)} | ${(row.template / row.plain).toFixed(2)} | ${(row.setup / row.plain).toFixed(2)} |`,
  );
}
