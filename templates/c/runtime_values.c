/*
 * Sandbox Executor: runtime of the C and C++ dispatchers, reading the arguments of a call into C values.
 * One part of the runtime: the parts are joined into one translation unit, in the order of RUNTIME_PARTS
 * (src/languages/native/compile-pipeline.ts), after sandbox_runtime.c.
 */

/* --- values ------------------------------------------------------------------------------------------ */

static const char *kind_name(const sbx_value *value) {
  switch (value->kind) {
    case SBX_NULL: return "null";
    case SBX_BOOL: return "a boolean";
    case SBX_NUMBER: return "a number";
    case SBX_BIGINT: return "a big integer";
    case SBX_SPECIAL_FLOAT: return "a special float";
    case SBX_STRING: return "a string";
    case SBX_BYTES: return "bytes";
    case SBX_ARRAY: return "an array";
    default: return "an object";
  }
}

/* Appends the path ("argument 'xs'[2]["key"]") to `w`. */
static void write_path(sbx_writer *w, const sbx_path *path) {
  if (!path) return;
  if (path->parent) write_path(w, path->parent);
  if (path->parameter) {
    writer_text(w, "argument '");
    writer_text(w, path->parameter);
    writer_text(w, "'");
  } else if (path->key) {
    writer_text(w, "[\"");
    writer_text(w, path->key);
    writer_text(w, "\"]");
  } else {
    char index[32];
    snprintf(index, sizeof index, "[%zu]", path->index);
    writer_text(w, index);
  }
}

static int fail_path(const sbx_path *path, const char *problem) {
  sbx_writer text = {0, 0, 0};
  writer_text(&text, "");
  write_path(&text, path);
  writer_text(&text, " of ");
  writer_text(&text, current_function);
  writer_text(&text, "(): ");
  writer_text(&text, problem);
  writer_append(&text, "", 1);
  sbx_fail("TypeError", text.data, "", 0);
  free(text.data);
  return 0;
}

int sbx_fail_value(const sbx_path *path, const char *expected, const sbx_value *value) {
  char *problem = format_text("expected %s, got %s", expected, value ? kind_name(value) : "nothing");
  fail_path(path, problem);
  free(problem);
  return 0;
}

int sbx_is_null(const sbx_value *value) { return !value || value->kind == SBX_NULL; }

/* Whether `text` is an optional '-' and decimal digits only. */
static int plain_integer(const char *text) {
  if (*text == '-') text++;
  if (!*text) return 0;
  for (; *text; text++) {
    if (*text < '0' || *text > '9') return 0;
  }
  return 1;
}

/* Fails the call for a number that `type` cannot hold: out of its range, or not an integer at all. */
static int fail_integer(const sbx_path *path, const sbx_value *value, const char *type, int out_of_range) {
  char *problem = out_of_range ? format_text("%s is out of range for %s", value->text, type)
                               : format_text("expected %s, got %s (not an integer)", type, value->text);
  fail_path(path, problem);
  free(problem);
  return 0;
}

int sbx_to_signed(const sbx_value *value, long long min, long long max, const char *type, const sbx_path *path, long long *out) {
  if (value->kind != SBX_NUMBER && value->kind != SBX_BIGINT) return sbx_fail_value(path, type, value);
  long long result;
  if (plain_integer(value->text)) {
    char *end;
    errno = 0;
    result = strtoll(value->text, &end, 10);
    if (errno == ERANGE || result < min || result > max) {
      return fail_integer(path, value, type, 1);
    }
  } else {
    double number = strtod(value->text, NULL);
    if (number != floor(number) || !isfinite(number)) {
      return fail_integer(path, value, type, 0);
    }
    if (number < (double)min || number > (double)max || number >= 9223372036854775808.0) {
      return fail_integer(path, value, type, 1);
    }
    result = (long long)number;
  }
  *out = result;
  return 1;
}

int sbx_to_unsigned(const sbx_value *value, unsigned long long max, const char *type, const sbx_path *path, unsigned long long *out) {
  if (value->kind != SBX_NUMBER && value->kind != SBX_BIGINT) return sbx_fail_value(path, type, value);
  unsigned long long result;
  if (plain_integer(value->text) && value->text[0] != '-') {
    char *end;
    errno = 0;
    result = strtoull(value->text, &end, 10);
    if (errno == ERANGE || result > max) {
      return fail_integer(path, value, type, 1);
    }
  } else {
    double number = strtod(value->text, NULL);
    if (number != floor(number) || !isfinite(number)) {
      return fail_integer(path, value, type, 0);
    }
    if (number < 0 || number > (double)max || number >= 18446744073709551616.0) {
      return fail_integer(path, value, type, 1);
    }
    result = (unsigned long long)number;
  }
  *out = result;
  return 1;
}

int sbx_to_double(const sbx_value *value, const sbx_path *path, double *out) {
  if (value->kind == SBX_SPECIAL_FLOAT) *out = value->number;
  else if (value->kind == SBX_NUMBER || value->kind == SBX_BIGINT) *out = strtod(value->text, NULL);
  else return sbx_fail_value(path, "a number", value);
  return 1;
}

int sbx_to_float(const sbx_value *value, const sbx_path *path, float *out) {
  double number;
  if (!sbx_to_double(value, path, &number)) return 0;
  *out = (float)number;
  return 1;
}

int sbx_to_bool(const sbx_value *value, const sbx_path *path, int *out) {
  if (value->kind != SBX_BOOL) return sbx_fail_value(path, "a boolean", value);
  *out = value->boolean;
  return 1;
}

int sbx_to_cstring(const sbx_value *value, const sbx_path *path, char **out) {
  if (value->kind == SBX_NULL) *out = NULL;
  else if (value->kind == SBX_STRING || value->kind == SBX_BYTES) *out = value->text;
  else return sbx_fail_value(path, "a string", value);
  return 1;
}

int sbx_to_bytes(const sbx_value *value, const sbx_path *path, const char **data, size_t *length) {
  if (value->kind != SBX_STRING && value->kind != SBX_BYTES) return sbx_fail_value(path, "a string", value);
  *data = value->text;
  *length = value->length;
  return 1;
}

int sbx_expect_array(const sbx_value *value, const sbx_path *path) {
  return value->kind == SBX_ARRAY ? 1 : sbx_fail_value(path, "an array", value);
}

int sbx_expect_object(const sbx_value *value, const sbx_path *path) {
  return value->kind == SBX_OBJECT ? 1 : sbx_fail_value(path, "an object", value);
}

/* --- arguments --------------------------------------------------------------------------------------- */

static const sbx_value *member(const sbx_value *object, const char *key) {
  if (!object || object->kind != SBX_OBJECT) return NULL;
  size_t length = strlen(key);
  for (size_t i = 0; i < object->count; i++) {
    const sbx_value *item = &object->items[i];
    if (item->key_length == length && memcmp(item->key, key, length) == 0) return item;
  }
  return NULL;
}

const sbx_value *sbx_argument(const sbx_value *args, const sbx_value *kwargs, size_t index, const char *name) {
  if (args && args->kind == SBX_ARRAY && index < args->count) return &args->items[index];
  return member(kwargs, name);
}

int sbx_check_call(const char *function, const sbx_value *args, const sbx_value *kwargs, size_t count, const char *const *names) {
  current_function = function;
  size_t given = args && args->kind == SBX_ARRAY ? args->count : 0;
  if (given > count) {
    char *message = format_text("%s() takes %zu argument%s but %zu were given", function, count, count == 1 ? "" : "s", given);
    sbx_fail("TypeError", message, "", 0);
    free(message);
    return 0;
  }
  if (!kwargs || kwargs->kind != SBX_OBJECT) return 1;
  for (size_t i = 0; i < kwargs->count; i++) {
    const sbx_value *item = &kwargs->items[i];
    size_t found = count;
    for (size_t j = 0; j < count; j++) {
      if (strlen(names[j]) == item->key_length && memcmp(names[j], item->key, item->key_length) == 0) found = j;
    }
    if (found == count || found < given) {
      char *message = found == count ? format_text("%s() got an unexpected keyword argument '%s'", function, item->key)
                                      : format_text("%s() got multiple values for argument '%s'", function, item->key);
      sbx_fail("TypeError", message, "", 0);
      free(message);
      return 0;
    }
  }
  return 1;
}

int sbx_missing(const char *function, const char *parameter) {
  char *message = format_text("%s() missing required argument '%s'", function, parameter);
  sbx_fail("TypeError", message, "", 0);
  free(message);
  return 0;
}
