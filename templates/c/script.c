/*
 * Sandbox Executor: the program of a C or C++ script, run() (generated from templates/c/script.c, and
 * compiled as C or C++ with the user's file).
 *
 * The user's file comes first, included as is, so that clang reports its errors with the user's own
 * line numbers. Its `main` is the program's: no dispatcher, no result frame; it reads standard input,
 * writes standard output, and its exit code is the script's. What follows only prepares the process
 * before `main` runs. Every name this file declares starts with sbx_ (reserved). compiler_support.c is
 * joined after it.
 *
 * Placeholders: {{USER_FILE}}.
 */
#include "{{USER_FILE}}"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" int __wasilibc_register_preopened_fd(int fd, const char *path);
#else
int __wasilibc_register_preopened_fd(int fd, const char *path);
#endif

/*
 * Runs before the user's constructors and `main`. This C library has no working directory: relative
 * paths resolve against a directory preopened as ".", so the user's working directory ($PWD) is
 * registered under that name. Standard output is line-buffered, like a terminal's, so that output is
 * live a line at a time. A script has no result to send: the result channel, which opens only once, is
 * opened and closed here, so that the program cannot write frames of its own.
 */
__attribute__((constructor(101))) static void sbx_start_script(void) {
  int sbx_result = open("{{RESULT_DEVICE}}", O_WRONLY);
  if (sbx_result >= 0) close(sbx_result);
  const char *sbx_dir = getenv("PWD");
  if (sbx_dir && *sbx_dir) {
    int sbx_fd = open(sbx_dir, O_RDONLY | O_DIRECTORY);
    if (sbx_fd >= 0) __wasilibc_register_preopened_fd(sbx_fd, ".");
  }
  setvbuf(stdout, NULL, _IOLBF, BUFSIZ);
}
