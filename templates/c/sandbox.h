/*
 * Sandbox Executor: what C and C++ code called through the executor may use (#include <sandbox.h>).
 *
 * C has no exceptions (and C++ is built without them), so a function reports an error with
 * sandbox_raise(type, message): the call ends with status "error", the given type and message, and the
 * line of the sandbox_raise. A failed assert() is reported the same way, with the type AssertionError.
 */
#ifndef SANDBOX_H
#define SANDBOX_H

#ifdef __cplusplus
extern "C" {
#endif

/**
 * JSON text standing for any value, for data a C type cannot describe (nested lists and objects of
 * mixed types). A sandbox_json parameter receives its argument as JSON text (wire tags such as
 * {"$bigint": "..."} included); a function returning sandbox_json returns JSON text, sent as the value
 * it spells. NULL stands for null.
 */
typedef const char *sandbox_json;

/** Ends the call with an error of `type` (for example "ValueError") and `message`. Does not return. */
__attribute__((noreturn)) void sandbox_raise_at(const char *type, const char *message, const char *file, int line, const char *function);

#ifdef __cplusplus
}
#endif

#define sandbox_raise(type, message) sandbox_raise_at((type), (message), __FILE__, __LINE__, __func__)

#endif
