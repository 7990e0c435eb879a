/*
 * Sandbox Executor: the program of one C build (generated from templates/c/program.c).
 *
 * The user's file comes first, included as is, so that clang reports its errors with the user's own
 * line numbers. Its `main`, if any, is renamed: the program's `main` is the runtime's
 * (sandbox_runtime.c), which reads the call request and calls sbx_dispatch below.
 *
 * Every name this file declares starts with sbx_ (reserved), so that none can hide or clash with a name
 * of the user's code, which shares this translation unit.
 *
 * Placeholders: {{USER_FILE}}, {{CALLS}} (one sbx_call_N per callable function), {{DISPATCH}}.
 */
#define main sbx_user_main
#include "{{USER_FILE}}"
#undef main

#include "sandbox_runtime.h"

{{CALLS}}
int sbx_dispatch(const char *sbx_name, const sbx_value *sbx_args, const sbx_value *sbx_kwargs) {
{{DISPATCH}}  return 0;
}
