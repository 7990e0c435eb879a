/*
 * Sandbox Executor: runtime of the C and C++ dispatchers (see sandbox_runtime.h).
 *
 * The program reads SIP frames from fd 0 (1 byte mode, 4 bytes big-endian length, JSON payload), calls
 * the generated `sbx_dispatch`, and writes one result frame per call ('R', 4 bytes big-endian length,
 * JSON) to the result device. Standard input is read with read(2), never through stdio, so that the
 * bytes after the frame stay in place for the user's code.
 *
 * The runtime is written in parts, by concern, joined into one translation unit in this order: this file
 * (set-up, memory), compiler_support.c (what the toolchain lacks), runtime_writer.c (writing JSON), runtime_frames.c (result frames and the errors of the
 * user's code), runtime_values.c (reading arguments), runtime_json.c (the JSON parser, sandbox_json),
 * runtime_main.c (the loop that serves calls).
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
