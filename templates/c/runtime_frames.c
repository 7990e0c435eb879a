/*
 * Sandbox Executor: runtime of the C and C++ dispatchers, result frames, and the errors raised by the user's code.
 * One part of the runtime: the parts are joined into one translation unit, in the order of RUNTIME_PARTS
 * (src/languages/native/compile-pipeline.ts), after sandbox_runtime.c.
 */

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
  /* Input the code did not read is left unread: the host drops what arrives for a job that has ended
     (control messages name their job), and a call started with start() must not wait for end(). */
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
