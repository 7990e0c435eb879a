/*
 * Sandbox Executor: the program of one C++ build (generated from templates/cpp/program.cpp).
 *
 * The user's file comes first, included as is, so that clang reports its errors with the user's own
 * line numbers and default arguments are visible at the calls below. Its `main`, if any, is renamed:
 * the program's `main` is the runtime's (sandbox_runtime.c), which calls sbx_dispatch below.
 *
 * Every name this file declares starts with sbx_ (reserved), so that none can hide or clash with a name
 * of the user's code, which shares this translation unit.
 *
 * Placeholders: {{USER_FILE}}, {{HEADERS}} (standard headers of the types used, already included by
 * the user's code when it compiles), {{CALLS}}, {{DISPATCH}}.
 */
#define main sbx_user_main
#include "{{USER_FILE}}"
#undef main

{{HEADERS}}#include "sandbox_codec.hpp"

{{CALLS}}
extern "C" int sbx_dispatch(const char *sbx_name, const sbx_value *sbx_args, const sbx_value *sbx_kwargs) {
{{DISPATCH}}  return 0;
}
