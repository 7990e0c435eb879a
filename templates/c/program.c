/*
 * Sandbox Executor: the program of one C build (generated from templates/c/program.c).
 *
 * The user's file comes first, included as is, so that clang reports its errors with the user's own
 * line numbers. Its `main`, if any, is renamed: the program's `main` is the runtime's
 * (sandbox_runtime.c), which reads the call request and calls sbx_dispatch below.
 *
 * Placeholders: {{USER_FILE}}, {{CALLS}} (one sbx_call_N per callable function), {{DISPATCH}}.
 */
#define main sbx_user_main
#include "{{USER_FILE}}"
#undef main

#include "sandbox_runtime.h"

{{CALLS}}
int sbx_dispatch(const char *name, const sbx_value *args, const sbx_value *kwargs) {
{{DISPATCH}}  return 0;
}
