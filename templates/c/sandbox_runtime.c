/*
 * Sandbox Executor: runtime of the C and C++ dispatchers (see sandbox_runtime.h).
 *
 * The program reads SIP frames from fd 0 (1 byte mode, 4 bytes big-endian length, JSON payload), calls
 * the generated `sbx_dispatch`, and writes one result frame per call ('R', 4 bytes big-endian length,
 * JSON) to the result device. Standard input is read with read(2), never through stdio, so that the
 * bytes after the frame stay in place for the user's code.
 */
#include "sandbox_runtime.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The proxy contract (src/protocol/proxy-contract.ts): the host fills these in. */
#define SBX_RESULT_DEVICE "{{RESULT_DEVICE}}"
#define SBX_FRAME_HEADER_BYTES {{FRAME_HEADER_BYTES}}
#define SBX_RESULT_MARK '{{RESULT_MARK}}'
#define SBX_SIP_ATOMIC '{{SIP_ATOMIC}}'
#define SBX_SIP_PERSISTENT '{{SIP_PERSISTENT}}'
#define SBX_TAG_PREFIX '{{WIRE_TAG_PREFIX}}'
#define SBX_TAG_BIGINT "{{WIRE_BIGINT}}"
#define SBX_TAG_BYTES "{{WIRE_BYTES}}"
#define SBX_TAG_FLOAT "{{WIRE_FLOAT}}"
#define SBX_TAG_OBJECT "{{WIRE_OBJECT}}"
#define SBX_MAX_DEPTH {{WIRE_MAX_DEPTH}}
#define SBX_MAX_SAFE_INTEGER {{MAX_SAFE_INTEGER}}LL
/* How a tag begins as written, up to its payload string: {"$bigint":" */
#define SBX_TAGGED(tag) "{\"" tag "\":\""

void (*sbx_flush_hook)(void) = 0;

static int result_fd = -1;
static const char *current_function = "";
/* Number of the call being served ("null" until its request is read), echoed first in its result frame
   so that the host never takes an answer for another call's. */
static char current_call[24] = "null";
/* Mode byte of the request being served (SBX_SIP_ATOMIC or SBX_SIP_PERSISTENT). */
static char current_mode = SBX_SIP_ATOMIC;

/* --- start-up ---------------------------------------------------------------------------------------- */

/*
 * Runs before any constructor of the user's code (priority 101 is the first one available to
 * programs): the result channel can be opened only once, so the runtime takes it before user code runs.
 */
__attribute__((constructor(101))) static void sbx_start(void) {
  result_fd = open(SBX_RESULT_DEVICE, O_WRONLY);
  /* Line-buffered like a terminal, so that streamed output arrives a line at a time. */
  setvbuf(stdout, NULL, _IOLBF, BUFSIZ);
}

/* --- compiler support ------------------------------------------------------------------------------- */

/*
 * The toolchain ships no compiler-rt, and the C library's sleeps (nanosleep, usleep, sleep) need
 * __muloti4, clang's 128-bit multiplication with overflow check. Provided here with 64-bit arithmetic
 * only (128-bit multiplication or division would need further missing helpers).
 */
static void multiply_64(unsigned long long a, unsigned long long b, unsigned long long *high, unsigned long long *low) {
  unsigned long long a0 = a & 0xFFFFFFFFULL, a1 = a >> 32, b0 = b & 0xFFFFFFFFULL, b1 = b >> 32;
  unsigned long long p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
  unsigned long long middle = (p00 >> 32) + (p01 & 0xFFFFFFFFULL) + (p10 & 0xFFFFFFFFULL);
  *low = (p00 & 0xFFFFFFFFULL) | (middle << 32);
  *high = p11 + (p01 >> 32) + (p10 >> 32) + (middle >> 32);
}

__int128 __muloti4(__int128 a, __int128 b, int *overflow) {
  int negative = (a < 0) != (b < 0);
  unsigned __int128 ua = a < 0 ? -(unsigned __int128)a : (unsigned __int128)a;
  unsigned __int128 ub = b < 0 ? -(unsigned __int128)b : (unsigned __int128)b;
  unsigned long long ah = (unsigned long long)(ua >> 64), al = (unsigned long long)ua;
  unsigned long long bh = (unsigned long long)(ub >> 64), bl = (unsigned long long)ub;
  unsigned long long high, low, cross_high, cross_low;
  int overflowed = ah != 0 && bh != 0;
  multiply_64(al, bl, &high, &low);
  if (ah != 0 || bh != 0) {
    multiply_64(ah ? ah : bh, ah ? bl : al, &cross_high, &cross_low);
    if (cross_high != 0) overflowed = 1;
    unsigned long long sum = high + cross_low;
    if (sum < high) overflowed = 1;
    high = sum;
  }
  /* The magnitude must fit: below 2^127, or exactly 2^127 for a negative result. */
  if (high >> 63 && (!negative || high != (1ULL << 63) || low != 0)) overflowed = 1;
  unsigned __int128 magnitude = ((unsigned __int128)high << 64) | low;
  *overflow = overflowed;
  return (__int128)(negative ? -magnitude : magnitude);
}

/* --- memory ------------------------------------------------------------------------------------------ */

static void *sbx_alloc(size_t size) {
  void *block = malloc(size ? size : 1);
  if (!block) {
    static const char message[] = "sandbox runtime: out of memory\n";
    write(2, message, sizeof message - 1);
    abort();
  }
  return block;
}

static void *sbx_grow(void *block, size_t size) {
  void *grown = realloc(block, size ? size : 1);
  if (!grown) {
    free(block);
    return sbx_alloc(size);
  }
  return grown;
}

/* --- writer ------------------------------------------------------------------------------------------ */

/* Objects being written, innermost last: 1 when escaped as {"$object": [[key, value]]}. */
static unsigned char object_escaped[SBX_MAX_DEPTH];
static int object_depth = 0;

static void writer_reserve(sbx_writer *w, size_t more) {
  if (w->length + more <= w->capacity) return;
  size_t capacity = w->capacity ? w->capacity : 256;
  while (capacity < w->length + more) capacity *= 2;
  w->data = (char *)sbx_grow(w->data, capacity);
  w->capacity = capacity;
}

static void writer_append(sbx_writer *w, const char *data, size_t length) {
  writer_reserve(w, length);
  memcpy(w->data + w->length, data, length);
  w->length += length;
}

static void writer_text(sbx_writer *w, const char *text) { writer_append(w, text, strlen(text)); }

/* A value (or key) follows another one: separate them. */
static void writer_separate(sbx_writer *w) {
  if (w->length == 0) return;
  char last = w->data[w->length - 1];
  if (last != '[' && last != '{' && last != ':' && last != ',') writer_append(w, ",", 1);
}

void sbx_write_null(sbx_writer *w) {
  writer_separate(w);
  writer_text(w, "null");
}

void sbx_write_bool(sbx_writer *w, int value) {
  writer_separate(w);
  writer_text(w, value ? "true" : "false");
}

void sbx_write_signed(sbx_writer *w, long long value) {
  char text[32];
  writer_separate(w);
  snprintf(text, sizeof text, "%lld", value);
  if (value > SBX_MAX_SAFE_INTEGER || value < -SBX_MAX_SAFE_INTEGER) {
    writer_text(w, SBX_TAGGED(SBX_TAG_BIGINT));
    writer_text(w, text);
    writer_text(w, "\"}");
  } else {
    writer_text(w, text);
  }
}

void sbx_write_unsigned(sbx_writer *w, unsigned long long value) {
  char text[32];
  writer_separate(w);
  snprintf(text, sizeof text, "%llu", value);
  if (value > (unsigned long long)SBX_MAX_SAFE_INTEGER) {
    writer_text(w, SBX_TAGGED(SBX_TAG_BIGINT));
    writer_text(w, text);
    writer_text(w, "\"}");
  } else {
    writer_text(w, text);
  }
}

/* NaN, infinities and -0 have no JSON spelling: they travel as {"$float": ...}. */
static int write_special_float(sbx_writer *w, double value) {
  const char *tag = NULL;
  if (isnan(value)) tag = "nan";
  else if (isinf(value)) tag = value > 0 ? "inf" : "-inf";
  else if (value == 0 && signbit(value)) tag = "-0";
  if (!tag) return 0;
  writer_text(w, SBX_TAGGED(SBX_TAG_FLOAT));
  writer_text(w, tag);
  writer_text(w, "\"}");
  return 1;
}

void sbx_write_double(sbx_writer *w, double value) {
  char text[40];
  writer_separate(w);
  if (write_special_float(w, value)) return;
  /* The shortest text that reads back as the same double. */
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(text, sizeof text, "%.*g", digits, value);
    if (strtod(text, NULL) == value) break;
  }
  writer_text(w, text);
}

void sbx_write_float(sbx_writer *w, float value) {
  char text[40];
  writer_separate(w);
  if (write_special_float(w, value)) return;
  /* The shortest text that reads back as the same float: 0.1f is sent as 0.1, not 0.100000001. */
  for (int digits = 6; digits <= 9; digits++) {
    snprintf(text, sizeof text, "%.*g", digits, (double)value);
    if (strtof(text, NULL) == value) break;
  }
  writer_text(w, text);
}

/* Length of the valid UTF-8 sequence at `s` (at most `left` bytes), or 0 when it is invalid. */
static size_t utf8_sequence(const unsigned char *s, size_t left) {
  unsigned char c = s[0];
  size_t need;
  unsigned int cp;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) need = 2, cp = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF) need = 3, cp = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4) need = 4, cp = c & 0x07;
  else return 0;
  if (left < need) return 0;
  for (size_t i = 1; i < need; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (need == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  return need;
}

static const char BASE64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void write_base64(sbx_writer *w, const unsigned char *data, size_t length) {
  writer_reserve(w, (length + 2) / 3 * 4);
  for (size_t i = 0; i < length; i += 3) {
    unsigned int chunk = (unsigned int)data[i] << 16;
    if (i + 1 < length) chunk |= (unsigned int)data[i + 1] << 8;
    if (i + 2 < length) chunk |= data[i + 2];
    char out[4] = {BASE64[(chunk >> 18) & 63], BASE64[(chunk >> 12) & 63], i + 1 < length ? BASE64[(chunk >> 6) & 63] : '=',
                   i + 2 < length ? BASE64[chunk & 63] : '='};
    writer_append(w, out, 4);
  }
}

/* A JSON string literal of bytes known to be valid UTF-8. */
static void write_json_text(sbx_writer *w, const char *data, size_t length) {
  writer_append(w, "\"", 1);
  size_t start = 0;
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char)data[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    writer_append(w, data + start, i - start);
    start = i + 1;
    char escape[8];
    switch (c) {
      case '"': writer_text(w, "\\\""); break;
      case '\\': writer_text(w, "\\\\"); break;
      case '\n': writer_text(w, "\\n"); break;
      case '\r': writer_text(w, "\\r"); break;
      case '\t': writer_text(w, "\\t"); break;
      default:
        snprintf(escape, sizeof escape, "\\u%04x", c);
        writer_text(w, escape);
    }
  }
  writer_append(w, data + start, length - start);
  writer_append(w, "\"", 1);
}

static int valid_utf8(const char *data, size_t length) {
  for (size_t i = 0; i < length;) {
    size_t step = utf8_sequence((const unsigned char *)data + i, length - i);
    if (!step) return 0;
    i += step;
  }
  return 1;
}

void sbx_write_string(sbx_writer *w, const char *data, size_t length) {
  writer_separate(w);
  if (valid_utf8(data, length)) {
    write_json_text(w, data, length);
  } else {
    writer_text(w, SBX_TAGGED(SBX_TAG_BYTES));
    write_base64(w, (const unsigned char *)data, length);
    writer_text(w, "\"}");
  }
}

void sbx_write_cstring(sbx_writer *w, const char *text) {
  if (!text) sbx_write_null(w);
  else sbx_write_string(w, text, strlen(text));
}

void sbx_write_begin_array(sbx_writer *w) {
  writer_separate(w);
  writer_append(w, "[", 1);
}

void sbx_write_end_array(sbx_writer *w) { writer_append(w, "]", 1); }

void sbx_write_begin_object(sbx_writer *w, size_t count, const char *first_key, size_t first_key_length) {
  int escaped = count == 1 && first_key && first_key_length > 0 && first_key[0] == SBX_TAG_PREFIX;
  writer_separate(w);
  writer_text(w, escaped ? "{\"" SBX_TAG_OBJECT "\":[[" : "{");
  if (object_depth < SBX_MAX_DEPTH) object_escaped[object_depth] = (unsigned char)escaped;
  object_depth++;
}

void sbx_write_key(sbx_writer *w, const char *key, size_t length) {
  int escaped = object_depth > 0 && object_depth <= SBX_MAX_DEPTH && object_escaped[object_depth - 1];
  writer_separate(w);
  if (valid_utf8(key, length)) {
    write_json_text(w, key, length);
  } else {
    /* Keys cannot be $bytes: send the bytes as Latin-1 text rather than lose the member. */
    writer_append(w, "\"", 1);
    for (size_t i = 0; i < length; i++) {
      unsigned char c = (unsigned char)key[i];
      char escape[8];
      snprintf(escape, sizeof escape, "\\u%04x", c);
      writer_text(w, escape);
    }
    writer_append(w, "\"", 1);
  }
  writer_append(w, escaped ? "," : ":", 1);
}

void sbx_write_end_object(sbx_writer *w) {
  object_depth--;
  int escaped = object_depth >= 0 && object_depth < SBX_MAX_DEPTH && object_escaped[object_depth];
  writer_text(w, escaped ? "]]}" : "}");
}

/* --- frames ------------------------------------------------------------------------------------------ */

static sbx_writer result_writer;

static void flush_user_streams(void) {
  if (sbx_flush_hook) sbx_flush_hook();
  fflush(stdout);
  fflush(stderr);
}

static void write_all(int fd, const char *data, size_t length) {
  while (length > 0) {
    ssize_t written = write(fd, data, length);
    if (written <= 0) return;
    data += written;
    length -= (size_t)written;
  }
}

/* Sends `w` (which starts with the bytes reserved for the header) as one result frame. */
static void send_frame(sbx_writer *w) {
  size_t body = w->length - SBX_FRAME_HEADER_BYTES;
  w->data[0] = SBX_RESULT_MARK;
  w->data[1] = (char)((body >> 24) & 0xFF);
  w->data[2] = (char)((body >> 16) & 0xFF);
  w->data[3] = (char)((body >> 8) & 0xFF);
  w->data[4] = (char)(body & 0xFF);
  flush_user_streams();
  write_all(result_fd, w->data, w->length);
  w->length = 0;
}

/* What a frame starts with until send_frame() writes its header there. */
static const char frame_header_space[SBX_FRAME_HEADER_BYTES] = {0};

sbx_writer *sbx_begin_result(void) {
  result_writer.length = 0;
  object_depth = 0;
  writer_append(&result_writer, frame_header_space, SBX_FRAME_HEADER_BYTES);
  writer_text(&result_writer, "{\"call\":");
  writer_text(&result_writer, current_call);
  writer_text(&result_writer, ",\"ok\":true,\"value\":");
  return &result_writer;
}

void sbx_end_result(void) {
  writer_append(&result_writer, "}", 1);
  send_frame(&result_writer);
}

int sbx_fail(const char *type, const char *message, const char *traceback, int line) {
  char number[16];
  sbx_writer *w = &result_writer;
  w->length = 0;
  writer_append(w, frame_header_space, SBX_FRAME_HEADER_BYTES);
  writer_text(w, "{\"call\":");
  writer_text(w, current_call);
  writer_text(w, ",\"ok\":false,\"error\":{\"type\":");
  sbx_write_cstring(w, type);
  writer_text(w, ",\"message\":");
  sbx_write_cstring(w, message ? message : "");
  writer_text(w, ",\"traceback\":");
  sbx_write_cstring(w, traceback ? traceback : "");
  snprintf(number, sizeof number, "%d", line);
  writer_text(w, ",\"line\":");
  writer_text(w, number);
  writer_text(w, "}}");
  send_frame(w);
  return 0;
}

void sbx_return_null(void) { sbx_write_null(sbx_begin_result()); sbx_end_result(); }
void sbx_return_bool(int value) { sbx_write_bool(sbx_begin_result(), value); sbx_end_result(); }
void sbx_return_signed(long long value) { sbx_write_signed(sbx_begin_result(), value); sbx_end_result(); }
void sbx_return_unsigned(unsigned long long value) { sbx_write_unsigned(sbx_begin_result(), value); sbx_end_result(); }
void sbx_return_double(double value) { sbx_write_double(sbx_begin_result(), value); sbx_end_result(); }
void sbx_return_float(float value) { sbx_write_float(sbx_begin_result(), value); sbx_end_result(); }
void sbx_return_cstring(const char *text) { sbx_write_cstring(sbx_begin_result(), text); sbx_end_result(); }

/*
 * Reads what is left of standard input (user input the code did not read) up to its end before the
 * program exits, so that none of this call's input is still on its way to the sandbox afterwards.
 */
static void drain_input(void) {
  static unsigned char rest[4096];
  while (read(0, rest, sizeof rest) > 0) {
  }
}

/* --- errors raised by the user's code ------------------------------------------------------------------ */

/* The user's file name as the dispatcher includes it (a path relative to the compiler's directory). */
static int is_user_file(const char *file) {
  if (!file) return 0;
  const char *base = strrchr(file, '/');
  base = base ? base + 1 : file;
  return strncmp(base, "user_code.", 10) == 0;
}

static char *format_text(const char *format, ...) __attribute__((format(printf, 1, 2)));

static char *format_text(const char *format, ...) {
  va_list args;
  va_start(args, format);
  int size = vsnprintf(NULL, 0, format, args);
  va_end(args);
  char *text = (char *)sbx_alloc((size_t)(size > 0 ? size : 0) + 1);
  va_start(args, format);
  vsnprintf(text, (size_t)size + 1, format, args);
  va_end(args);
  return text;
}

static _Noreturn void fail_and_exit(const char *type, const char *message, const char *file, int line, const char *function) {
  const char *name = file ? strrchr(file, '/') : NULL;
  name = name ? name + 1 : (file ? file : "?");
  char *traceback = format_text("%s:%d: in %s(): %s: %s\n", name, line, function ? function : "?", type, message);
  sbx_fail(type, message, traceback, is_user_file(file) ? line : 0);
  /* In a session, reading on would take the next call's request: the host sends it once the program
     reads again after its answer. */
  if (current_mode != SBX_SIP_PERSISTENT) drain_input();
  _Exit(1);
}

/*
 * Replaces the C library's assert handler: a failed assert() in the user's code becomes an error frame
 * (type AssertionError, with the line) rather than a message and abort().
 */
_Noreturn void __assert_fail(const char *expression, const char *file, int line, const char *function) {
  char *message = format_text("Assertion failed: %s", expression);
  fail_and_exit("AssertionError", message, file, line, function);
}

/* Declared in sandbox.h; the macro sandbox_raise(type, message) passes the position. */
_Noreturn void sandbox_raise_at(const char *type, const char *message, const char *file, int line, const char *function) {
  fail_and_exit(type && *type ? type : "Error", message ? message : "", file, line, function);
}

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

int sbx_to_signed(const sbx_value *value, long long min, long long max, const char *type, const sbx_path *path, long long *out) {
  if (value->kind != SBX_NUMBER && value->kind != SBX_BIGINT) return sbx_fail_value(path, type, value);
  long long result;
  if (plain_integer(value->text)) {
    char *end;
    errno = 0;
    result = strtoll(value->text, &end, 10);
    if (errno == ERANGE || result < min || result > max) {
      char *problem = format_text("%s is out of range for %s", value->text, type);
      fail_path(path, problem);
      free(problem);
      return 0;
    }
  } else {
    double number = strtod(value->text, NULL);
    if (number != floor(number) || !isfinite(number)) {
      char *problem = format_text("expected %s, got %s (not an integer)", type, value->text);
      fail_path(path, problem);
      free(problem);
      return 0;
    }
    if (number < (double)min || number > (double)max || number >= 9223372036854775808.0) {
      char *problem = format_text("%s is out of range for %s", value->text, type);
      fail_path(path, problem);
      free(problem);
      return 0;
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
      char *problem = format_text("%s is out of range for %s", value->text, type);
      fail_path(path, problem);
      free(problem);
      return 0;
    }
  } else {
    double number = strtod(value->text, NULL);
    if (number != floor(number) || !isfinite(number)) {
      char *problem = format_text("expected %s, got %s (not an integer)", type, value->text);
      fail_path(path, problem);
      free(problem);
      return 0;
    }
    if (number < 0 || number > (double)max || number >= 18446744073709551616.0) {
      char *problem = format_text("%s is out of range for %s", value->text, type);
      fail_path(path, problem);
      free(problem);
      return 0;
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

/* --- JSON parser --------------------------------------------------------------------------------------- */

typedef struct parser {
  const char *at;
  const char *end;
  const char *error;
  int depth;
} parser;

static void skip_space(parser *p) {
  while (p->at < p->end && (*p->at == ' ' || *p->at == '\t' || *p->at == '\n' || *p->at == '\r')) p->at++;
}

static int parse_value(parser *p, sbx_value *out);

static void append_utf8(sbx_writer *w, unsigned int cp) {
  char bytes[4];
  size_t n;
  if (cp < 0x80) bytes[0] = (char)cp, n = 1;
  else if (cp < 0x800) bytes[0] = (char)(0xC0 | (cp >> 6)), bytes[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
  else if (cp < 0x10000)
    bytes[0] = (char)(0xE0 | (cp >> 12)), bytes[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), bytes[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
  else
    bytes[0] = (char)(0xF0 | (cp >> 18)), bytes[1] = (char)(0x80 | ((cp >> 12) & 0x3F)), bytes[2] = (char)(0x80 | ((cp >> 6) & 0x3F)),
    bytes[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
  writer_append(w, bytes, n);
}

static int hex4(parser *p, unsigned int *out) {
  unsigned int value = 0;
  if (p->end - p->at < 4) return 0;
  for (int i = 0; i < 4; i++) {
    char c = *p->at++;
    value <<= 4;
    if (c >= '0' && c <= '9') value |= (unsigned int)(c - '0');
    else if (c >= 'a' && c <= 'f') value |= (unsigned int)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') value |= (unsigned int)(c - 'A' + 10);
    else return 0;
  }
  *out = value;
  return 1;
}

/* Parses a string literal at p->at (on its opening quote) into a NUL-terminated buffer. */
static int parse_string(parser *p, char **text, size_t *length) {
  sbx_writer w = {0, 0, 0};
  p->at++;
  for (;;) {
    const char *start = p->at;
    while (p->at < p->end && *p->at != '"' && *p->at != '\\' && (unsigned char)*p->at >= 0x20) p->at++;
    writer_append(&w, start, (size_t)(p->at - start));
    if (p->at >= p->end || (unsigned char)*p->at < 0x20) {
      free(w.data);
      p->error = "unterminated string";
      return 0;
    }
    if (*p->at == '"') {
      p->at++;
      break;
    }
    p->at++;
    if (p->at >= p->end) break;
    char escape = *p->at++;
    unsigned int cp;
    switch (escape) {
      case '"': writer_append(&w, "\"", 1); break;
      case '\\': writer_append(&w, "\\", 1); break;
      case '/': writer_append(&w, "/", 1); break;
      case 'b': writer_append(&w, "\b", 1); break;
      case 'f': writer_append(&w, "\f", 1); break;
      case 'n': writer_append(&w, "\n", 1); break;
      case 'r': writer_append(&w, "\r", 1); break;
      case 't': writer_append(&w, "\t", 1); break;
      case 'u':
        if (!hex4(p, &cp)) {
          free(w.data);
          p->error = "bad \\u escape";
          return 0;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF && p->end - p->at >= 6 && p->at[0] == '\\' && p->at[1] == 'u') {
          const char *save = p->at;
          unsigned int low;
          p->at += 2;
          if (hex4(p, &low) && low >= 0xDC00 && low <= 0xDFFF) cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          else p->at = save;
        }
        /* A lone surrogate cannot be UTF-8: it becomes U+FFFD, as in most decoders. */
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
        append_utf8(&w, cp);
        break;
      default:
        free(w.data);
        p->error = "bad escape";
        return 0;
    }
  }
  *length = w.length;
  writer_append(&w, "", 1);
  *text = w.data;
  return 1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* A JSON number, strictly: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int parse_number(parser *p, sbx_value *out) {
  const char *start = p->at;
  const char *at = p->at;
  if (at < p->end && *at == '-') at++;
  if (at < p->end && *at == '0') at++;
  else if (at < p->end && is_digit(*at)) while (at < p->end && is_digit(*at)) at++;
  else goto bad;
  if (at < p->end && *at == '.') {
    at++;
    if (at >= p->end || !is_digit(*at)) goto bad;
    while (at < p->end && is_digit(*at)) at++;
  }
  if (at < p->end && (*at == 'e' || *at == 'E')) {
    at++;
    if (at < p->end && (*at == '+' || *at == '-')) at++;
    if (at >= p->end || !is_digit(*at)) goto bad;
    while (at < p->end && is_digit(*at)) at++;
  }
  size_t length = (size_t)(at - start);
  p->at = at;
  out->kind = SBX_NUMBER;
  out->text = (char *)sbx_alloc(length + 1);
  memcpy(out->text, start, length);
  out->text[length] = 0;
  out->length = length;
  return 1;
bad:
  p->error = "bad number";
  return 0;
}

static int parse_literal(parser *p, const char *word) {
  size_t length = strlen(word);
  if ((size_t)(p->end - p->at) < length || memcmp(p->at, word, length) != 0) {
    p->error = "unexpected character";
    return 0;
  }
  p->at += length;
  return 1;
}

/* Parses the items of an array or members of an object, up to `close`. */
static int parse_items(parser *p, sbx_value *out, char close, int with_keys) {
  size_t capacity = 0;
  p->at++;
  skip_space(p);
  if (p->at < p->end && *p->at == close) {
    p->at++;
    return 1;
  }
  for (;;) {
    if (out->count == capacity) {
      capacity = capacity ? capacity * 2 : 4;
      out->items = (sbx_value *)sbx_grow(out->items, capacity * sizeof(sbx_value));
    }
    sbx_value *item = &out->items[out->count];
    memset(item, 0, sizeof *item);
    skip_space(p);
    if (with_keys) {
      char *key;
      size_t key_length;
      if (p->at >= p->end || *p->at != '"') {
        p->error = "expected a key";
        return 0;
      }
      if (!parse_string(p, &key, &key_length)) return 0;
      skip_space(p);
      if (p->at >= p->end || *p->at != ':') {
        free(key);
        p->error = "expected ':'";
        return 0;
      }
      p->at++;
      if (!parse_value(p, item)) {
        free(key);
        return 0;
      }
      item->key = key;
      item->key_length = key_length;
    } else if (!parse_value(p, item)) {
      return 0;
    }
    out->count++;
    skip_space(p);
    if (p->at < p->end && *p->at == ',') {
      p->at++;
      continue;
    }
    if (p->at < p->end && *p->at == close) {
      p->at++;
      return 1;
    }
    p->error = "expected ',' or a closing bracket";
    return 0;
  }
}

static int decode_base64(const char *text, size_t length, char **out, size_t *out_length) {
  char *bytes = (char *)sbx_alloc(length / 4 * 3 + 4);
  size_t n = 0;
  unsigned int chunk = 0;
  int bits = 0;
  for (size_t i = 0; i < length; i++) {
    char c = text[i];
    const char *where = c ? strchr(BASE64, c) : NULL;
    if (c == '=' || c == '\n' || c == '\r') continue;
    if (!where) {
      free(bytes);
      return 0;
    }
    chunk = (chunk << 6) | (unsigned int)(where - BASE64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[n++] = (char)((chunk >> bits) & 0xFF);
    }
  }
  bytes[n] = 0;
  *out = bytes;
  *out_length = n;
  return 1;
}

/* Whether `text` is one JSON number and nothing else. */
static int json_number(const char *text) {
  parser scan = {text, text + strlen(text), NULL, 0};
  sbx_value number;
  return *text && parse_number(&scan, &number) && scan.at == scan.end;
}

/* An object with a single key starting with SBX_TAG_PREFIX is a wire tag: decode it in place. */
static int decode_tag(parser *p, sbx_value *out) {
  sbx_value *inner = &out->items[0];
  const char *tag = inner->key;
  if (strcmp(tag, SBX_TAG_BIGINT) == 0 && inner->kind == SBX_STRING && plain_integer(inner->text)) {
    out->kind = SBX_BIGINT;
    out->text = inner->text;
    out->length = inner->length;
  } else if (strcmp(tag, SBX_TAG_FLOAT) == 0 && inner->kind == SBX_STRING) {
    out->kind = SBX_SPECIAL_FLOAT;
    if (strcmp(inner->text, "nan") == 0) out->number = NAN;
    else if (strcmp(inner->text, "inf") == 0) out->number = INFINITY;
    else if (strcmp(inner->text, "-inf") == 0) out->number = -INFINITY;
    else if (strcmp(inner->text, "-0") == 0) out->number = -0.0;
    else if (json_number(inner->text)) {
      /* A float whose integral value JSON would give as an integer: the number, as the host wrote it. */
      out->kind = SBX_NUMBER;
      out->text = inner->text;
      out->length = inner->length;
    } else {
      p->error = "bad float tag";
      return 0;
    }
  } else if (strcmp(tag, SBX_TAG_BYTES) == 0 && inner->kind == SBX_STRING) {
    out->kind = SBX_BYTES;
    if (!decode_base64(inner->text, inner->length, &out->text, &out->length)) {
      p->error = "bad $bytes tag";
      return 0;
    }
  } else if (strcmp(tag, SBX_TAG_OBJECT) == 0 && inner->kind == SBX_ARRAY) {
    /* [[key, value], ...] becomes the object's members. */
    sbx_value *members = (sbx_value *)sbx_alloc((inner->count ? inner->count : 1) * sizeof(sbx_value));
    for (size_t i = 0; i < inner->count; i++) {
      sbx_value *pair = &inner->items[i];
      if (pair->kind != SBX_ARRAY || pair->count != 2 || pair->items[0].kind != SBX_STRING) {
        p->error = "bad $object tag";
        return 0;
      }
      members[i] = pair->items[1];
      members[i].key = pair->items[0].text;
      members[i].key_length = pair->items[0].length;
    }
    out->kind = SBX_OBJECT;
    out->items = members;
    out->count = inner->count;
  } else {
    p->error = "unknown wire tag";
    return 0;
  }
  return 1;
}

static int parse_value(parser *p, sbx_value *out) {
  skip_space(p);
  if (p->at >= p->end) {
    p->error = "unexpected end of input";
    return 0;
  }
  if (++p->depth > SBX_MAX_DEPTH) {
    p->error = "nested too deeply";
    return 0;
  }
  int ok;
  switch (*p->at) {
    case '{':
      out->kind = SBX_OBJECT;
      ok = parse_items(p, out, '}', 1);
      if (ok && out->count == 1 && out->items[0].key[0] == SBX_TAG_PREFIX) ok = decode_tag(p, out);
      break;
    case '[':
      out->kind = SBX_ARRAY;
      ok = parse_items(p, out, ']', 0);
      break;
    case '"':
      out->kind = SBX_STRING;
      ok = parse_string(p, &out->text, &out->length);
      break;
    case 't':
      out->kind = SBX_BOOL;
      out->boolean = 1;
      ok = parse_literal(p, "true");
      break;
    case 'f':
      out->kind = SBX_BOOL;
      ok = parse_literal(p, "false");
      break;
    case 'n':
      out->kind = SBX_NULL;
      ok = parse_literal(p, "null");
      break;
    default:
      ok = parse_number(p, out);
  }
  p->depth--;
  return ok;
}

/* --- JSON text values (sandbox_json) ------------------------------------------------------------------ */

/* Writes a parsed value back in its wire form (tags included). */
static void write_value(sbx_writer *w, const sbx_value *v) {
  switch (v->kind) {
    case SBX_NULL: sbx_write_null(w); break;
    case SBX_BOOL: sbx_write_bool(w, v->boolean); break;
    case SBX_NUMBER:
      writer_separate(w);
      writer_append(w, v->text, v->length);
      break;
    case SBX_BIGINT:
      writer_separate(w);
      writer_text(w, SBX_TAGGED(SBX_TAG_BIGINT));
      writer_text(w, v->text);
      writer_text(w, "\"}");
      break;
    case SBX_SPECIAL_FLOAT: sbx_write_double(w, v->number); break;
    case SBX_STRING: sbx_write_string(w, v->text, v->length); break;
    case SBX_BYTES:
      writer_separate(w);
      writer_text(w, SBX_TAGGED(SBX_TAG_BYTES));
      write_base64(w, (const unsigned char *)v->text, v->length);
      writer_text(w, "\"}");
      break;
    case SBX_ARRAY:
      sbx_write_begin_array(w);
      for (size_t i = 0; i < v->count; i++) write_value(w, &v->items[i]);
      sbx_write_end_array(w);
      break;
    case SBX_OBJECT:
      sbx_write_begin_object(w, v->count, v->count ? v->items[0].key : NULL, v->count ? v->items[0].key_length : 0);
      for (size_t i = 0; i < v->count; i++) {
        sbx_write_key(w, v->items[i].key, v->items[i].key_length);
        write_value(w, &v->items[i]);
      }
      sbx_write_end_object(w);
      break;
  }
}

int sbx_to_json(const sbx_value *value, const sbx_path *path, char **out) {
  (void)path;
  sbx_writer text = {0, 0, 0};
  int depth = object_depth;
  write_value(&text, value);
  object_depth = depth;
  writer_append(&text, "", 1);
  *out = text.data;
  return 1;
}

void sbx_return_json(const char *text) {
  if (!text) {
    sbx_return_null();
    return;
  }
  parser p = {text, text + strlen(text), NULL, 0};
  sbx_value value;
  memset(&value, 0, sizeof value);
  int ok = parse_value(&p, &value);
  if (ok) {
    skip_space(&p);
    if (p.at != p.end) {
      ok = 0;
      p.error = "unexpected text after the value";
    }
  }
  if (!ok) {
    char *message = format_text("%s() returned a sandbox_json that is not valid JSON: %s at offset %ld", current_function, p.error ? p.error : "bad value", (long)(p.at - text));
    sbx_fail("SerializationError", message, "", 0);
    free(message);
    return;
  }
  write_value(sbx_begin_result(), &value);
  sbx_end_result();
}

/* --- main loop ------------------------------------------------------------------------------------------ */

/* Reads exactly `count` bytes from fd 0; 0 at end of input. */
static int read_exact(unsigned char *buffer, size_t count) {
  while (count > 0) {
    ssize_t got = read(0, buffer, count);
    if (got <= 0) return 0;
    buffer += got;
    count -= (size_t)got;
  }
  return 1;
}

static void serve(const char *body, size_t length) {
  parser p = {body, body + length, NULL, 0};
  sbx_value payload;
  memset(&payload, 0, sizeof payload);
  strcpy(current_call, "null");
  int parsed = parse_value(&p, &payload) && payload.kind == SBX_OBJECT;
  const sbx_value *call = parsed ? member(&payload, "call") : NULL;
  if (call && call->kind == SBX_NUMBER && strlen(call->text) < sizeof current_call && strspn(call->text, "0123456789") == strlen(call->text)) {
    strcpy(current_call, call->text);
  }
  if (!parsed) {
    char *message = format_text("cannot decode the call request: %s", p.error ? p.error : "not an object");
    sbx_fail("ProxyError", message, "", 0);
    free(message);
    return;
  }
  const sbx_value *name = member(&payload, "functionName");
  const sbx_value *args = member(&payload, "args");
  const sbx_value *kwargs = member(&payload, "kwargs");
  if (!name || name->kind != SBX_STRING) {
    sbx_fail("ProxyError", "the call request has no functionName", "", 0);
    return;
  }
  current_function = name->text;
  if (!sbx_dispatch(name->text, args, kwargs)) {
    char *message = format_text("function '%s' is not defined in the user's code", name->text);
    sbx_fail("NameError", message, "", 0);
    free(message);
  }
  /* The parsed request is left to the process: it exits after an atomic call, and freeing a tree the
     user's code may still point into (char* arguments) would be worse than the leak in persistent mode. */
}

/* Registers a directory as a preopened one (the C library's own hook, used by its start-up code). */
int __wasilibc_register_preopened_fd(int fd, const char *path);

/*
 * This C library has no working directory: relative paths resolve against a directory preopened as ".".
 * Register the user's working directory ($PWD) under that name, so that fopen("out.txt") works there.
 */
static void enter_working_directory(void) {
  const char *dir = getenv("PWD");
  if (!dir || !*dir) return;
  int fd = open(dir, O_RDONLY | O_DIRECTORY);
  if (fd >= 0) __wasilibc_register_preopened_fd(fd, ".");
}

int main(int argc, char **argv) {
  (void)argc;
  (void)argv;
  enter_working_directory();
  for (;;) {
    unsigned char header[SBX_FRAME_HEADER_BYTES];
    if (!read_exact(header, SBX_FRAME_HEADER_BYTES)) break;
    size_t length = ((size_t)header[1] << 24) | ((size_t)header[2] << 16) | ((size_t)header[3] << 8) | header[4];
    char *body = (char *)sbx_alloc(length + 1);
    strcpy(current_call, "null");
    current_mode = (char)header[0];
    if (!read_exact((unsigned char *)body, length)) {
      sbx_fail("ProxyError", "standard input ended inside a SIP frame", "", 0);
      break;
    }
    serve(body, length);
    free(body);
    if (header[0] != SBX_SIP_PERSISTENT) break;
  }
  drain_input();
  /* The result is sent and user output flushed: skip atexit handlers and destructors. */
  flush_user_streams();
  _Exit(0);
}
