/*
 * Sandbox Executor: runtime of the C and C++ dispatchers.
 *
 * Compiled once per process (as C) into an object file that every C and C++ program links. It holds
 * what does not depend on the user's code: the program's `main` (SIP frames in, result frames out), a
 * small JSON parser and writer, and the conversions between wire values and C scalars. The generated
 * dispatcher defines `sbx_dispatch`, which converts the arguments and calls the user's function.
 *
 * Every name starts with `sbx_` so that it cannot clash with the user's code, which shares the
 * dispatcher's translation unit.
 */
#ifndef SANDBOX_RUNTIME_H
#define SANDBOX_RUNTIME_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Kinds of parsed wire values (tags are decoded: `$bigint`, `$float`, `$bytes`, `$object`). */
typedef enum sbx_kind {
  SBX_NULL,
  SBX_BOOL,
  /** A JSON number; `text` holds its source text. */
  SBX_NUMBER,
  /** `{"$bigint": "digits"}`; `text` holds the digits (with an optional leading '-'). */
  SBX_BIGINT,
  /** `{"$float": ...}`: `number` holds NaN, ±infinity or -0. */
  SBX_SPECIAL_FLOAT,
  /** A JSON string; `text`/`length` hold its UTF-8 bytes (NUL-terminated). */
  SBX_STRING,
  /** `{"$bytes": "base64"}`; `text`/`length` hold the decoded bytes (NUL-terminated). */
  SBX_BYTES,
  SBX_ARRAY,
  SBX_OBJECT
} sbx_kind;

/** One parsed wire value. Members of an object carry their key. */
typedef struct sbx_value {
  sbx_kind kind;
  int boolean;
  double number;
  char *text;
  size_t length;
  /** Items of an array, members of an object. */
  struct sbx_value *items;
  size_t count;
  /** The key, when this value is a member of an object. */
  const char *key;
  size_t key_length;
} sbx_value;

/**
 * Where a value sits in the call, for error messages: `argument 'xs'`, then `[2]` or `["key"]`.
 * Paths are chains on the stack, formatted only when an error is reported.
 */
typedef struct sbx_path {
  const struct sbx_path *parent;
  /** Parameter name (root of the chain only). */
  const char *parameter;
  /** Key of an object member, or NULL for an array item. */
  const char *key;
  size_t index;
} sbx_path;

/** Output being built: the JSON of one result frame. */
typedef struct sbx_writer {
  char *data;
  size_t length;
  size_t capacity;
} sbx_writer;

/* --- implemented by the generated dispatcher ------------------------------------------------------ */

/**
 * Calls the function `name` with `args` (an array) and `kwargs` (an object), writing its result frame
 * with sbx_return_* or an error frame with sbx_fail. Returns 0 when no such function exists.
 */
int sbx_dispatch(const char *name, const sbx_value *args, const sbx_value *kwargs);

/** Set by a C++ dispatcher: flushes C++ streams before a frame is written. May stay NULL. */
extern void (*sbx_flush_hook)(void);

/* --- arguments -------------------------------------------------------------------------------------- */

/**
 * The value of parameter `index` (`name`): the positional argument, else the keyword argument, else
 * NULL (missing).
 */
const sbx_value *sbx_argument(const sbx_value *args, const sbx_value *kwargs, size_t index, const char *name);

/** Reports (and returns 0 for) unknown keyword arguments and more positional arguments than `count`. */
int sbx_check_call(const char *function, const sbx_value *args, const sbx_value *kwargs, size_t count, const char *const *names);

/** Reports a missing argument; always returns 0. */
int sbx_missing(const char *function, const char *parameter);

int sbx_is_null(const sbx_value *value);
/** A signed integer within [min, max]; reports a TypeError naming the path otherwise. */
int sbx_to_signed(const sbx_value *value, long long min, long long max, const char *type, const sbx_path *path, long long *out);
/** An unsigned integer within [0, max]. */
int sbx_to_unsigned(const sbx_value *value, unsigned long long max, const char *type, const sbx_path *path, unsigned long long *out);
int sbx_to_double(const sbx_value *value, const sbx_path *path, double *out);
int sbx_to_float(const sbx_value *value, const sbx_path *path, float *out);
int sbx_to_bool(const sbx_value *value, const sbx_path *path, int *out);
/** A string (or $bytes) as a NUL-terminated buffer the callee may modify; null gives NULL. */
int sbx_to_cstring(const sbx_value *value, const sbx_path *path, char **out);
/** A string's bytes and length (embedded NULs kept); null is refused. */
int sbx_to_bytes(const sbx_value *value, const sbx_path *path, const char **data, size_t *length);
/** Any value, as JSON text in its wire form (a `sandbox_json` parameter). */
int sbx_to_json(const sbx_value *value, const sbx_path *path, char **out);
/** Checks that `value` is an array (returns 1) or reports a TypeError. */
int sbx_expect_array(const sbx_value *value, const sbx_path *path);
/** Checks that `value` is an object (returns 1) or reports a TypeError. */
int sbx_expect_object(const sbx_value *value, const sbx_path *path);

/* --- results ---------------------------------------------------------------------------------------- */

/** The writer of the current result; values are appended between sbx_begin_result and sbx_end_result. */
sbx_writer *sbx_begin_result(void);
/** Sends the success frame whose value was written since sbx_begin_result. */
void sbx_end_result(void);

void sbx_write_null(sbx_writer *w);
void sbx_write_bool(sbx_writer *w, int value);
void sbx_write_signed(sbx_writer *w, long long value);
void sbx_write_unsigned(sbx_writer *w, unsigned long long value);
void sbx_write_double(sbx_writer *w, double value);
void sbx_write_float(sbx_writer *w, float value);
/** A NUL-terminated string; NULL is written as null. */
void sbx_write_cstring(sbx_writer *w, const char *text);
/** A string of `length` bytes: JSON text when it is valid UTF-8, else {"$bytes": base64}. */
void sbx_write_string(sbx_writer *w, const char *data, size_t length);
void sbx_write_begin_array(sbx_writer *w);
void sbx_write_end_array(sbx_writer *w);
/** Starts an object of `count` members (a single key starting with '$' is escaped as $object). */
void sbx_write_begin_object(sbx_writer *w, size_t count, const char *first_key, size_t first_key_length);
void sbx_write_key(sbx_writer *w, const char *key, size_t length);
void sbx_write_end_object(sbx_writer *w);

/** Shortcuts: the whole result is one scalar. */
void sbx_return_null(void);
void sbx_return_bool(int value);
void sbx_return_signed(long long value);
void sbx_return_unsigned(unsigned long long value);
void sbx_return_double(double value);
void sbx_return_float(float value);
void sbx_return_cstring(const char *text);
/** JSON text returned as a `sandbox_json`: sent as the value it spells (NULL is null). */
void sbx_return_json(const char *text);

/** Sends an error frame. `line` is the line in the user's file (0 when unknown). Returns 0. */
int sbx_fail(const char *type, const char *message, const char *traceback, int line);
/** Sends a TypeError frame about the value at `path`: "<path>: expected <expected>, got <what value is>". */
int sbx_fail_value(const sbx_path *path, const char *expected, const sbx_value *value);

#ifdef __cplusplus
}
#endif

#endif
