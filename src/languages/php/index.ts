/**
 * PHP (placeholder until the Ruby proxy lands).
 */
import type { LanguageDefinition } from '../language.js';

export const php: LanguageDefinition = {
  id: 'php',
  aliases: [],
  inferSignatures: () => [],
  planProgram() {
    throw new Error('PHP is not implemented yet');
  },
};
