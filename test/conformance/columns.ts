/**
 * The columns of the conformance table, one per language of the registry, read from the file each
 * language declares (`LanguageDefinition.conformance`), in the registry's order.
 */
/// <reference types="vite/client" />
import { basename } from 'node:path';
import { registeredLanguages } from '../../src/languages/registry.js';
import type { ConformanceColumn } from './column.js';

const modules = import.meta.glob<{ column?: ConformanceColumn }>('./*.ts', { eager: true });

export const CONFORMANCE_COLUMNS: readonly ConformanceColumn[] = registeredLanguages().map((language) => {
  const column = modules[`./${basename(language.conformance)}`]?.column;
  if (!language.conformance.startsWith('test/conformance/') || column?.language !== language.id) {
    throw new Error(`The language ${language.id} declares its conformance column in ${language.conformance}, which exports no column of ${language.id}.`);
  }
  return column;
});
