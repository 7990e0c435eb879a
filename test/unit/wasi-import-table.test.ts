/**
 * The WASI import table is checked against the typed preview1 interface at compile time. `npm test` does
 * not type-check the sources, so this test compiles the table with the TypeScript API: as it is (clean),
 * and with the mistakes the check exists for (each must be an error that names the import).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const TABLE = fileURLToPath(new URL('../../src/runtime/wasi/import-table.ts', import.meta.url));
const SOURCE = readFileSync(TABLE, 'utf8');

/** The project's own settings (tsconfig.json), as `npm run typecheck` uses them. */
const project = ts.getParsedCommandLineOfConfigFile(
  fileURLToPath(new URL('../../tsconfig.json', import.meta.url)),
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
      throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
    },
  },
)!;
const options = project.options;
/** The table, and the project's ambient declarations (its WebAssembly types). */
const roots = [TABLE, ...project.fileNames.filter((name) => name.endsWith('.d.ts'))];

const host = ts.createCompilerHost(options);
const parse = host.getSourceFile.bind(host);
/** Library and project files parse once for all the compilations below. */
const parsed = new Map<string, ts.SourceFile | undefined>();
let tableText = SOURCE;
host.getSourceFile = (name, language, onError) => {
  if (name === TABLE) return ts.createSourceFile(name, tableText, language);
  if (!parsed.has(name)) parsed.set(name, parse(name, language, onError));
  return parsed.get(name);
};

/** Type errors of the import table when its source is `text`, as `TS<code>: <message>` lines. */
function diagnostics(text: string): string[] {
  tableText = text;
  const program = ts.createProgram({ rootNames: roots, options, host });
  return ts
    .getPreEmitDiagnostics(program, program.getSourceFile(TABLE))
    .map((diagnostic) => `TS${diagnostic.code}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
}

/** The source with one line of the table replaced (the line must exist). */
function edited(line: RegExp, replacement: string): string {
  expect(SOURCE).toMatch(line);
  return SOURCE.replace(line, replacement);
}

describe('the WASI import table', () => {
  it('type-checks against the preview1 interface', () => {
    expect(diagnostics(SOURCE)).toEqual([]);
  }, 30_000);

  it('fails to compile without an import', () => {
    const errors = diagnostics(edited(/^ {4}fd_read: .*$/m, ''));
    expect(errors.join('\n')).toMatch(/Property 'fd_read' is missing/);
  }, 30_000);

  it('fails to compile with a misspelled import', () => {
    const errors = diagnostics(edited(/^ {4}fd_tell: /m, '    fd_tel: '));
    expect(errors.join('\n')).toMatch(/'fd_tel' does not exist in type/);
  }, 30_000);

  it('fails to compile when an i64 parameter is taken as a number', () => {
    const errors = diagnostics(edited(/^ {4}fd_seek: \(fd, offset,/m, '    fd_seek: (fd, offset: number,'));
    expect(errors.join('\n')).toMatch(/Type 'bigint' is not assignable to type 'number'/);
  }, 30_000);
});
