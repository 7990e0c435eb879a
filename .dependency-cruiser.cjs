/**
 * The layers of src/, from the top (entry points) down. A module may import its own layer and the layers
 * below it, never one above: `npm run lint` (part of `npm test`) fails on an upward import, a cycle, or a
 * language folder that reaches into another. See CONTRIBUTING.md, "Layers".
 */
const LAYERS = [
  { name: 'cli', path: '^src/(cli/|demo\\.ts$)' },
  { name: 'entry points', path: '^src/(index\\.ts$|server/|queue/)' },
  { name: 'executor', path: '^src/executor\\.ts$' },
  { name: 'session', path: '^src/session/' },
  { name: 'request', path: '^src/request/' },
  { name: 'result', path: '^src/result/' },
  { name: 'public types', path: '^src/types\\.ts$' },
  { name: 'introspection', path: '^src/introspection/' },
  { name: 'languages', path: '^src/languages/' },
  { name: 'packages', path: '^src/packages/' },
  { name: 'fs', path: '^src/fs/' },
  { name: 'runtime', path: '^src/runtime/' },
  { name: 'protocol', path: '^src/protocol/' },
  { name: 'errors', path: '^src/errors\\.ts$' },
  { name: 'closest-name', path: '^src/closest-name\\.ts$' },
];

const upward = LAYERS.slice(1).map((layer, index) => ({
  name: `layer-${layer.name.replace(/ /g, '-')}`,
  comment: `${layer.name} may import only the layers below it: ${
    LAYERS.slice(index + 2)
      .map((l) => l.name)
      .join(', ') || 'none'
  }.`,
  severity: 'error',
  from: { path: layer.path },
  to: { path: LAYERS.slice(0, index + 1).map((l) => l.path) },
}));

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-unlayered-module',
      comment: 'Every module of src/ belongs to a layer: add a new folder to LAYERS in .dependency-cruiser.cjs.',
      severity: 'error',
      from: { path: '^src/', pathNot: [...LAYERS.map((l) => l.path), '\\.d\\.ts$'] },
      to: {},
    },
    {
      name: 'no-circular',
      comment: 'Modules that import each other, however far round, cannot be understood one at a time.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'one-folder-per-language',
      comment: 'A language is one folder: it uses the shared modules of languages/, never another language (C and C++ share native/).',
      severity: 'error',
      from: { path: '^src/languages/([^/]+)/' },
      to: { path: '^src/languages/[^/]+/', pathNot: '^src/languages/($1|native)/' },
    },
    {
      name: 'no-tests-in-production',
      comment: 'Production code never imports test code (faults are injected, see test/helpers/faults.ts).',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'worker-thread-without-error-classes',
      comment:
        'The worker script shares no module with the library that defines a class of it: the classes (errors, the executor) must exist in one chunk of the build, or `instanceof` fails across chunks.',
      severity: 'error',
      from: { path: '^src/runtime/worker/worker-main\\.ts$' },
      to: { path: '^src/(errors|executor)\\.ts$', reachable: true },
    },
    {
      name: 'worker-thread-stays-inside',
      comment: 'The worker thread (runtime/worker/) runs programs; it does not reach the host side of the runtime.',
      severity: 'error',
      from: { path: '^src/runtime/worker/' },
      to: {
        path: '^src/runtime/(worker-pool|worker-handle|job-runner|tool-runner|runtime-assets|runtime-binary|package-paths|program|output-collector)\\.ts$',
      },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too: a type from a higher layer ties the layers as much as a value.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    moduleSystems: ['es6'],
  },
};
