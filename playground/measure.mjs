// Measures what the playground weighs and how soon it paints: starts `serve` from dist/ (run `npm run build`
// first), loads the page in headless Chromium with an empty cache several times, and prints the bytes of
// JavaScript and CSS sent (as sent, gzip, and decoded) and the paint times from the Performance API.
//   node playground/measure.mjs [loads]    (CHROMIUM_PATH picks the browser; default /usr/bin/chromium)
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const loads = Number(process.argv[2] ?? 7);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const server = spawn(process.execPath, [cli, 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let out = '';
  server.stdout.on('data', (chunk) => {
    out += chunk;
    const found = /playground: (\S+)/.exec(out);
    if (found) resolve(found[1]);
  });
  server.once('exit', (code) => reject(new Error(`serve exited with ${code}`)));
});

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] });
const samples = [];
let weight;
for (let i = 0; i < loads; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await page.waitForSelector('html[data-ready="true"] .cm-content');
  // The first grammar is loaded after the editor appears: wait for the highlighting too.
  await page.waitForSelector('.cm-editor[data-language]');
  const measured = await page.evaluate(() => {
    const paint = Object.fromEntries(performance.getEntriesByType('paint').map((entry) => [entry.name, entry.startTime]));
    const navigation = performance.getEntriesByType('navigation')[0];
    const resources = performance.getEntriesByType('resource').map((entry) => ({
      name: entry.name,
      transfer: entry.transferSize,
      encoded: entry.encodedBodySize,
      decoded: entry.decodedBodySize,
    }));
    return {
      firstPaint: paint['first-paint'],
      firstContentfulPaint: paint['first-contentful-paint'],
      domContentLoaded: navigation.domContentLoadedEventEnd,
      html: { transfer: navigation.transferSize, encoded: navigation.encodedBodySize, decoded: navigation.decodedBodySize },
      resources,
    };
  });
  samples.push(measured);
  weight ??= measured;
  await context.close();
}
await browser.close();
server.kill('SIGTERM');

const sum = (list, key) => list.reduce((total, entry) => total + entry[key], 0);
const js = weight.resources.filter((entry) => entry.name.endsWith('.js'));
const css = weight.resources.filter((entry) => entry.name.endsWith('.css'));
const median = (key) => {
  const values = samples.map((sample) => sample[key]).sort((a, b) => a - b);
  return values[Math.floor(values.length / 2)];
};
console.log(`page load (Python grammar), ${loads} loads with an empty cache`);
console.log(`| what | files | gzip (sent) | raw |`);
console.log(`|---|---|---|---|`);
console.log(`| JavaScript | ${js.length} | ${sum(js, 'encoded')} B | ${sum(js, 'decoded')} B |`);
console.log(`| CSS | ${css.length} | ${sum(css, 'encoded')} B | ${sum(css, 'decoded')} B |`);
console.log(`| HTML | 1 | ${weight.html.encoded} B | ${weight.html.decoded} B |`);
console.log(
  `first paint: median ${median('firstPaint').toFixed(0)} ms, first contentful paint ${median('firstContentfulPaint').toFixed(0)} ms, DOMContentLoaded ${median('domContentLoaded').toFixed(0)} ms`,
);
