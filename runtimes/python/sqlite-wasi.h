/*
 * Force-included when compiling SQLite 3.40 for wasm32-wasi (SQLite learned WASI only in 3.41).
 *
 * wasi-libc has no advisory locks, no file ownership and no users. The runtime selects SQLite's
 * "unix-none" VFS (no locking: one program, one process), so the lock constants below only have to
 * compile; the ownership calls succeed without doing anything.
 */
#ifndef SANDBOX_SQLITE_WASI_H
#define SANDBOX_SQLITE_WASI_H
#include <sys/types.h>
#include <fcntl.h>

/* wasi-libc declares struct flock but none of the lock commands. */
#ifndef F_RDLCK
#define F_RDLCK 0
#define F_WRLCK 1
#define F_UNLCK 2
#define F_GETLK 5
#define F_SETLK 6
#define F_SETLKW 7
#endif

static inline int sandbox_sqlite_fchmod(int fd, mode_t mode) { (void)fd; (void)mode; return 0; }
static inline int sandbox_sqlite_fchown(int fd, uid_t uid, gid_t gid) { (void)fd; (void)uid; (void)gid; return 0; }
static inline uid_t sandbox_sqlite_geteuid(void) { return 0; }
#define fchmod sandbox_sqlite_fchmod
#define fchown sandbox_sqlite_fchown
#define geteuid sandbox_sqlite_geteuid

#endif
