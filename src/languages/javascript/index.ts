/**
 * JavaScript (placeholder until the Ruby proxy lands).
 */
import type { LanguageDefinition } from '../language.js';

export const javascript: LanguageDefinition = {
  id: 'javascript',
  aliases: ['js'],
  inferSignatures: () => [],
  planProgram() {
    throw new Error('JavaScript is not implemented yet');
  },
};
