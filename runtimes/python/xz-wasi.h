/*
 * Force-included when compiling liblzma (xz-utils 5.4) for wasm32-wasi, which has no signal masks: the
 * single-threaded build still declares a helper around sigprocmask(). Masks have nothing to block here.
 */
#ifndef SANDBOX_XZ_WASI_H
#define SANDBOX_XZ_WASI_H
#include <signal.h>
typedef unsigned long sigset_t;
static inline int sigprocmask(int how, const sigset_t *set, sigset_t *old) {
  (void)how;
  (void)set;
  (void)old;
  return 0;
}
#endif
