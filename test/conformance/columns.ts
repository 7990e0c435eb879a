/**
 * The columns of the conformance table, one per language of the registry, read from the file each
 * language declares (`LanguageDefinition.conformance`), in the registry's order.
 */
/// <reference types="vite/client" />
import { basename } from 'node:path';
import { languageFor, registeredLanguages } from '../../src/languages/registry.js';
import type { ConformanceColumn } from './column.js';

const modules = import.meta.glob<{ column?: ConformanceColumn }>('./*.ts', { eager: true });

export const CONFORMANCE_COLUMNS: readonly ConformanceColumn[] = registeredLanguages().map((language) => {
  const column = modules[`./${basename(language.conformance)}`]?.column;
  if (!language.conformance.startsWith('test/conformance/') || column?.language !== language.id) {
    throw new Error(`The language ${language.id} declares its conformance column in ${language.conformance}, which exports no column of ${language.id}.`);
  }
  return column;
});

/** A column run on one of its language's runtimes. */
export interface ConformanceRun {
  column: ConformanceColumn;
  /** The runtime's name, as a request gives it. */
  runtime: string;
  /** `python`, or `python on runno` for a runtime other than the language's default. */
  label: string;
}

/** Every column on every runtime its language declares, the default first: each runtime meets the whole column. */
export const CONFORMANCE_RUNS: readonly ConformanceRun[] = CONFORMANCE_COLUMNS.flatMap((column) =>
  languageFor(column.language).runtimes.map((runtime, index) => ({
    column,
    runtime: runtime.name,
    label: index === 0 ? column.language : `${column.language} on ${runtime.name}`,
  })),
);
