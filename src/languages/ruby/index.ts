/**
 * Ruby (placeholder until the Ruby proxy lands).
 */
import type { LanguageDefinition } from '../language.js';

export const ruby: LanguageDefinition = {
  id: 'ruby',
  aliases: ['rb'],
  inferSignatures: () => [],
  planProgram() {
    throw new Error('Ruby is not implemented yet');
  },
};
