/*
 * Sandbox Executor: runtime of the C and C++ dispatchers, the loop that reads requests and serves calls.
 * One part of the runtime: the parts are joined into one translation unit, in the order of RUNTIME_PARTS
 * (src/languages/native/compile-pipeline.ts), after sandbox_runtime.c.
 */

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
  /* The result is sent and user output flushed: skip atexit handlers and destructors. */
  flush_user_streams();
  _Exit(0);
}
