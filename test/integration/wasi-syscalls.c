/*
 * System-call probes for test/integration/wasi-syscalls.test.ts, built with the bundled clang (whose C
 * library calls `wasi_unstable`); calls declared with P1 go through `wasi_snapshot_preview1` instead.
 *
 * `argv[1]` names a group; each group prints `key=value` lines that the test checks. Error values are
 * WASI errno numbers (this C library's errno values are the same numbers).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include <wasi/core.h>

#define P1(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
int p1_fd_seek(uint32_t fd, int64_t offset, uint32_t whence, uint64_t *out) P1(fd_seek);
int p1_fd_filestat_get(uint32_t fd, void *out) P1(fd_filestat_get);
int p1_path_filestat_get(uint32_t fd, uint32_t flags, const char *path, uint32_t len, void *out) P1(path_filestat_get);
int p1_poll_oneoff(const void *in, void *out, uint32_t count, uint32_t *nevents) P1(poll_oneoff);
int p1_fd_write(uint32_t fd, const void *iovs, uint32_t count, uint32_t *written) P1(fd_write);

/* An address far past the end of this program's memory. */
#define BAD_PTR ((void *)0xfffffff0u)
#define ALL_RIGHTS ((__wasi_rights_t)0x1fffffff)

static void out(const char *key, const char *format, ...) {
  va_list args;
  va_start(args, format);
  printf("%s=", key);
  vprintf(format, args);
  printf("\n");
  va_end(args);
}

/* 0 when a libc call succeeded, its errno when it failed. */
static int err(long result) { return result < 0 ? errno : 0; }

static __wasi_errno_t wopen(__wasi_fd_t dir, const char *path, __wasi_oflags_t oflags, __wasi_rights_t rights, __wasi_fd_t *fd) {
  return __wasi_path_open(dir, 0, path, strlen(path), oflags, rights, rights, 0, fd);
}

static const char *file_text(const char *path) {
  static char text[256];
  int fd = open(path, O_RDONLY);
  if (fd < 0) return "<missing>";
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  text[n < 0 ? 0 : n] = 0;
  return text;
}

/* --- arguments and environment ------------------------------------------------------------------ */

static void group_args(int argc, char **argv) {
  out("argc", "%d", argc);
  for (int i = 0; i < argc; i++) {
    char key[16];
    snprintf(key, sizeof key, "argv%d", i);
    out(key, "[%s]", argv[i]);
  }
  out("env.A", "[%s]", getenv("A"));
  out("env.UTF", "[%s]", getenv("UTF"));
  out("env.EMPTY", "[%s]", getenv("EMPTY"));
  out("env.MISSING", "%s", getenv("MISSING") ? "set" : "unset");
  size_t count = 0, size = 0;
  out("args_sizes_get", "%d", __wasi_args_sizes_get(&count, &size));
  out("args.count", "%zu", count);
  out("args.bytes", "%zu", size);
  out("environ_sizes_get", "%d", __wasi_environ_sizes_get(&count, &size));
  out("environ.count", "%zu", count);
  out("environ.bytes", "%zu", size);
  out("args_get.fault", "%d", __wasi_args_get(BAD_PTR, BAD_PTR));
  out("environ_sizes_get.fault", "%d", __wasi_environ_sizes_get(BAD_PTR, &size));
}

/* --- clocks and randomness ------------------------------------------------------------------------ */

static unsigned long long ns(struct timespec t) { return (unsigned long long)t.tv_sec * 1000000000ull + t.tv_nsec; }

static void group_clocks(void) {
  struct timespec t;
  out("realtime.err", "%d", err(clock_gettime(CLOCK_REALTIME, &t)));
  out("realtime", "%llu", ns(t));
  out("monotonic.err", "%d", err(clock_gettime(CLOCK_MONOTONIC, &t)));
  out("monotonic", "%llu", ns(t));
  out("realtime.res.err", "%d", err(clock_getres(CLOCK_REALTIME, &t)));
  out("realtime.res", "%llu", ns(t));
  out("monotonic.res.err", "%d", err(clock_getres(CLOCK_MONOTONIC, &t)));
  out("monotonic.res", "%llu", ns(t));
  __wasi_timestamp_t value = 0;
  out("process.err", "%d", __wasi_clock_time_get(__WASI_CLOCK_PROCESS_CPUTIME_ID, 1, &value));
  out("process", "%llu", value);
  out("thread.err", "%d", __wasi_clock_time_get(__WASI_CLOCK_THREAD_CPUTIME_ID, 1, &value));
  out("time_get.bad_clock", "%d", __wasi_clock_time_get(99, 1, &value));
  out("res_get.bad_clock", "%d", __wasi_clock_res_get(99, &value));
  out("time_get.fault", "%d", __wasi_clock_time_get(__WASI_CLOCK_REALTIME, 1, BAD_PTR));
  out("time", "%lld", (long long)time(NULL));
}

static void group_random(void) {
  static unsigned char buffer[100000];
  out("random_get", "%d", __wasi_random_get(buffer, sizeof buffer));
  unsigned long long sum = 0;
  for (size_t i = 0; i < sizeof buffer; i++) sum = sum * 31 + buffer[i];
  out("random.first", "%u,%u,%u", buffer[0], buffer[1], buffer[2]);
  out("random.hash", "%llu", sum);
  unsigned char small[16];
  out("getentropy", "%d", err(getentropy(small, sizeof small)));
  out("getentropy.first", "%u", small[0]);
  out("random_get.empty", "%d", __wasi_random_get(buffer, 0));
  out("random_get.fault", "%d", __wasi_random_get(BAD_PTR, 64));
}

/* --- descriptors on regular files -------------------------------------------------------------- */

static void group_files(void) {
  char buf[64] = {0};
  int fd = open("/data/in.txt", O_RDONLY);
  out("open.ro", "%d", err(fd));
  out("read", "%d:%.5s", (int)read(fd, buf, 5), buf);
  out("lseek.cur", "%lld", (long long)lseek(fd, 0, SEEK_CUR));
  __wasi_filesize_t position = 0;
  out("tell.err", "%d", __wasi_fd_tell(fd, &position));
  out("tell", "%llu", position);
  memset(buf, 0, sizeof buf);
  out("pread", "%d:%s", (int)pread(fd, buf, 5, 6), buf);
  out("tell.after_pread", "%lld", (long long)lseek(fd, 0, SEEK_CUR));
  out("lseek.end", "%lld", (long long)lseek(fd, 0, SEEK_END));
  out("lseek.negative", "%d", err(lseek(fd, -1, SEEK_SET)));
  out("read.eof", "%d", (int)read(fd, buf, 5));
  out("lseek.past_end", "%lld", (long long)lseek(fd, 20, SEEK_SET));
  out("read.past_end", "%d", (int)read(fd, buf, 5));
  out("write.readonly", "%d", err(write(fd, "x", 1)));
  out("ftruncate.readonly", "%d", err(ftruncate(fd, 0)));
  __wasi_fdstat_t fdstat;
  out("fdstat.err", "%d", __wasi_fd_fdstat_get(fd, &fdstat));
  out("fdstat.type", "%d", fdstat.fs_filetype);
  out("fdstat.read", "%d", (fdstat.fs_rights_base & __WASI_RIGHT_FD_READ) != 0);
  out("fdstat.write", "%d", (fdstat.fs_rights_base & __WASI_RIGHT_FD_WRITE) != 0);
  struct iovec two[2] = {{buf, 2}, {buf + 2, 3}};
  lseek(fd, 0, SEEK_SET);
  memset(buf, 0, sizeof buf);
  out("readv", "%d:%s", (int)readv(fd, two, 2), buf);
  out("close", "%d", err(close(fd)));
  out("close.again", "%d", err(close(fd)));
  out("read.closed", "%d", err(read(fd, buf, 1)));

  fd = open("/tmp/out.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  out("open.rw", "%d", err(fd));
  out("write", "%d", (int)write(fd, "abcdef", 6));
  out("pwrite", "%d", (int)pwrite(fd, "XY", 2, 1));
  out("tell.after_pwrite", "%lld", (long long)lseek(fd, 0, SEEK_CUR));
  struct iovec parts[2] = {{"12", 2}, {"345", 3}};
  out("writev", "%d", (int)writev(fd, parts, 2));
  out("content.written", "%s", file_text("/tmp/out.txt"));
  out("fsync", "%d", err(fsync(fd)));
  out("fdatasync", "%d", err(fdatasync(fd)));
  out("ftruncate.shrink", "%d", err(ftruncate(fd, 3)));
  struct stat st;
  fstat(fd, &st);
  out("size.shrunk", "%lld", (long long)st.st_size);
  out("content.shrunk", "%s", file_text("/tmp/out.txt"));
  out("ftruncate.grow", "%d", err(ftruncate(fd, 6)));
  memset(buf, 'q', sizeof buf);
  out("pread.grown", "%d:%d,%d,%d", (int)pread(fd, buf, 6, 0), buf[3], buf[4], buf[5]);
  out("posix_fallocate", "%d", posix_fallocate(fd, 0, 20));
  fstat(fd, &st);
  out("size.allocated", "%lld", (long long)st.st_size);
  out("posix_fallocate.within", "%d", posix_fallocate(fd, 0, 5));
  fstat(fd, &st);
  out("size.within", "%lld", (long long)st.st_size);
  out("posix_fadvise", "%d", posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL));
  out("fd_advise.bad", "%d", __wasi_fd_advise(fd, 0, 0, 99));
  out("fd_advise.closed", "%d", __wasi_fd_advise(999, 0, 0, 0));

  struct timespec times[2] = {{1000, 5}, {2000, 7}};
  out("futimens", "%d", err(futimens(fd, times)));
  fstat(fd, &st);
  out("stat.atim", "%lld.%ld", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
  out("stat.mtim", "%lld.%ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  out("set_times.both", "%d", __wasi_fd_filestat_set_times(fd, 1, 1, __WASI_FILESTAT_SET_ATIM | __WASI_FILESTAT_SET_ATIM_NOW));
  out("set_times.now", "%d", __wasi_fd_filestat_set_times(fd, 0, 0, __WASI_FILESTAT_SET_MTIM_NOW));
  fstat(fd, &st);
  out("stat.mtim.now", "%lld.%ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  __wasi_filestat_t fst;
  out("filestat.err", "%d", __wasi_fd_filestat_get(fd, &fst));
  out("filestat.type", "%d", fst.st_filetype);
  out("filestat.nlink", "%u", fst.st_nlink);
  out("filestat.size", "%llu", fst.st_size);

  out("fcntl.setfl", "%d", err(fcntl(fd, F_SETFL, O_APPEND)));
  out("fcntl.getfl.append", "%d", (fcntl(fd, F_GETFL) & O_APPEND) != 0);
  lseek(fd, 0, SEEK_SET);
  write(fd, "Z", 1);
  fstat(fd, &st);
  out("append.size", "%lld", (long long)st.st_size);
  pread(fd, buf, 1, 20);
  out("append.last", "%c", buf[0]);
  close(fd);

  fd = open("/tmp/out.txt", O_WRONLY | O_APPEND);
  write(fd, "!", 1);
  close(fd);
  out("o_append.size", "%lld", (long long)(stat("/tmp/out.txt", &st), st.st_size));

  /* Rights can be dropped, not regained. */
  fd = open("/tmp/out.txt", O_RDWR);
  out("set_rights.drop", "%d", __wasi_fd_fdstat_set_rights(fd, ALL_RIGHTS & ~__WASI_RIGHT_FD_WRITE, 0));
  out("write.dropped", "%d", err(write(fd, "x", 1)));
  out("read.kept", "%d", (int)read(fd, buf, 1));
  out("set_rights.regain", "%d", __wasi_fd_fdstat_set_rights(fd, ALL_RIGHTS, 0));
  out("set_rights.closed", "%d", __wasi_fd_fdstat_set_rights(999, 0, 0));
  close(fd);

  /* fd_renumber moves a descriptor onto another, closing the target. */
  int a = open("/data/in.txt", O_RDONLY);
  int b = open("/data/trunc.txt", O_RDONLY);
  out("renumber", "%d", __wasi_fd_renumber(a, b));
  memset(buf, 0, sizeof buf);
  out("renumber.read", "%d:%s", (int)read(b, buf, 5), buf);
  out("renumber.from_closed", "%d", err(read(a, buf, 1)));
  out("renumber.to_unopened", "%d", __wasi_fd_renumber(b, 900));
  out("renumber.from_unopened", "%d", __wasi_fd_renumber(900, b));
  out("renumber.same", "%d", __wasi_fd_renumber(b, b));
  close(b);

  /* Directories and streams refuse what only files can do. */
  int dir = open("/data", O_RDONLY | O_DIRECTORY);
  out("read.dir", "%d", err(read(dir, buf, 1)));
  out("write.dir", "%d", err(write(dir, "x", 1)));
  out("pread.dir", "%d", err(pread(dir, buf, 1, 0)));
  out("ftruncate.dir", "%d", __wasi_fd_filestat_set_size(dir, 0));
  out("fdstat.dir.type", "%d", ((void)__wasi_fd_fdstat_get(dir, &fdstat), fdstat.fs_filetype));
  out("fsync.dir", "%d", err(fsync(dir)));
  close(dir);
  out("lseek.stdout", "%d", err(lseek(1, 0, SEEK_SET)));
  out("pwrite.stdout", "%d", err(pwrite(1, "x", 1, 0)));
  out("pread.stdin", "%d", err(pread(0, buf, 1, 0)));
  out("tell.stdout", "%d", __wasi_fd_tell(1, &position));
  out("ftruncate.stdout", "%d", __wasi_fd_filestat_set_size(1, 0));
  out("fdstat.stdout.type", "%d", ((void)__wasi_fd_fdstat_get(1, &fdstat), fdstat.fs_filetype));
  out("fdstat.stdout.seek", "%d", (fdstat.fs_rights_base & __WASI_RIGHT_FD_SEEK) != 0);
  out("filestat.stdout.type", "%d", ((void)__wasi_fd_filestat_get(1, &fst), fst.st_filetype));
  out("fd_sync.closed", "%d", __wasi_fd_sync(999));
  out("fd_datasync.closed", "%d", __wasi_fd_datasync(999));
  out("fd_allocate.readonly", "%d", (fd = open("/data/in.txt", O_RDONLY), __wasi_fd_allocate(fd, 0, 100)));
  close(fd);

  /* Descriptor numbers run out at 1024. */
  int opened = 0, last = 0;
  for (;;) {
    last = open("/data/in.txt", O_RDONLY);
    if (last < 0) break;
    opened++;
  }
  out("emfile.opened", "%d", opened);
  out("emfile.errno", "%d", errno);
}

/* --- the preopened root ------------------------------------------------------------------------- */

static void group_prestat(void) {
  __wasi_prestat_t prestat;
  out("prestat.err", "%d", __wasi_fd_prestat_get(3, &prestat));
  out("prestat.type", "%d", prestat.pr_type);
  out("prestat.len", "%zu", prestat.u.dir.pr_name_len);
  char name[8] = {0};
  out("dir_name.err", "%d", __wasi_fd_prestat_dir_name(3, name, sizeof name - 1));
  out("dir_name", "%s", name);
  out("dir_name.short", "%d", __wasi_fd_prestat_dir_name(3, name, 0));
  out("prestat.stdout", "%d", __wasi_fd_prestat_get(1, &prestat));
  out("prestat.unopened", "%d", __wasi_fd_prestat_get(4, &prestat));
  int dir = open("/data", O_RDONLY | O_DIRECTORY);
  out("prestat.opened_dir", "%d", __wasi_fd_prestat_get(dir, &prestat));
  out("prestat.fault", "%d", __wasi_fd_prestat_get(3, BAD_PTR));
  /* The root stays the preopen wherever it is renumbered. */
  out("renumber.root", "%d", __wasi_fd_renumber(3, dir));
  out("prestat.renumbered", "%d", __wasi_fd_prestat_get(dir, &prestat));
  __wasi_fd_t fd;
  out("open.via_renumbered_root", "%d", wopen(dir, "data/in.txt", 0, ALL_RIGHTS, &fd));
  out("close.root", "%d", __wasi_fd_close(dir));
  out("open.without_root", "%d", wopen(dir, "data/in.txt", 0, ALL_RIGHTS, &fd));
}

/* --- paths ----------------------------------------------------------------------------------------- */

static void group_paths(void) {
  struct stat st;
  int fd = open("/tmp/new", O_WRONLY | O_CREAT | O_EXCL, 0644);
  out("creat.excl", "%d", err(fd));
  close(fd);
  out("creat.excl.exists", "%d", err(open("/tmp/new", O_WRONLY | O_CREAT | O_EXCL, 0644)));
  out("open.creat.exists", "%d", err(fd = open("/tmp/new", O_WRONLY | O_CREAT, 0644)));
  close(fd);
  out("open.missing", "%d", err(open("/tmp/missing", O_RDONLY)));
  out("open.missing_parent", "%d", err(open("/tmp/nodir/x", O_WRONLY | O_CREAT, 0644)));
  out("open.file_as_parent", "%d", err(open("/data/in.txt/x", O_RDONLY)));
  out("open.file_as_parent.creat", "%d", err(open("/data/in.txt/x", O_WRONLY | O_CREAT, 0644)));
  out("open.file_trailing_slash", "%d", err(open("/data/in.txt/", O_RDONLY)));
  out("open.creat_trailing_slash", "%d", err(open("/tmp/newdir/", O_WRONLY | O_CREAT, 0644)));
  out("open.file_o_directory", "%d", err(open("/data/in.txt", O_RDONLY | O_DIRECTORY)));
  out("open.dir_wronly", "%d", err(open("/data", O_WRONLY)));
  out("open.dir_rdwr", "%d", err(open("/data", O_RDWR)));
  out("open.dir_trunc", "%d", err(open("/data", O_RDONLY | O_TRUNC)));
  out("open.dir_creat", "%d", err(open("/data", O_RDONLY | O_CREAT, 0644)));
  out("open.dir_rdonly", "%d", err(fd = open("/data", O_RDONLY)));
  close(fd);
  out("open.dir_o_directory", "%d", err(fd = open("/data/", O_RDONLY | O_DIRECTORY)));
  close(fd);
  out("open.trunc", "%d", err(fd = open("/data/trunc.txt", O_WRONLY | O_TRUNC)));
  close(fd);
  out("trunc.size", "%lld", (long long)(stat("/data/trunc.txt", &st), st.st_size));
  __wasi_fd_t wfd;
  out("open.creat_directory", "%d", wopen(3, "tmp/cd", __WASI_O_CREAT | __WASI_O_DIRECTORY, ALL_RIGHTS, &wfd));
  out("open.trunc_readonly", "%d", wopen(3, "data/in.txt", __WASI_O_TRUNC, __WASI_RIGHT_FD_READ, &wfd));
  out("open.empty", "%d", wopen(3, "", 0, ALL_RIGHTS, &wfd));
  out("open.nul", "%d", __wasi_path_open(3, 0, "data\0in.txt", 11, 0, ALL_RIGHTS, ALL_RIGHTS, 0, &wfd));
  out("open.bad_utf8", "%d", wopen(3, "data/\xff.txt", 0, ALL_RIGHTS, &wfd));
  out("open.path_fault", "%d", __wasi_path_open(3, 0, BAD_PTR, 8, 0, ALL_RIGHTS, ALL_RIGHTS, 0, &wfd));
  out("open.out_fault", "%d", __wasi_path_open(3, 0, "data/in.txt", 11, 0, ALL_RIGHTS, ALL_RIGHTS, 0, BAD_PTR));
  int file = open("/data/in.txt", O_RDONLY);
  out("open.base_is_file", "%d", wopen(file, "x", 0, ALL_RIGHTS, &wfd));
  close(file);
  out("open.base_closed", "%d", wopen(999, "x", 0, ALL_RIGHTS, &wfd));
  /* Rights asked at open decide what the descriptor may do. */
  out("open.read_only_rights", "%d", wopen(3, "data/in.txt", 0, __WASI_RIGHT_FD_READ, &wfd));
  out("write.without_right", "%d", err(write(wfd, "x", 1)));
  close(wfd);
  out("open.write_only_rights", "%d", wopen(3, "tmp/new", 0, __WASI_RIGHT_FD_WRITE, &wfd));
  char c;
  out("read.without_right", "%d", err(read(wfd, &c, 1)));
  close(wfd);

  out("mkdir", "%d", err(mkdir("/tmp/d", 0755)));
  out("mkdir.exists", "%d", err(mkdir("/tmp/d", 0755)));
  out("mkdir.file_exists", "%d", err(mkdir("/tmp/new", 0755)));
  out("mkdir.root", "%d", err(mkdir("/", 0755)));
  out("mkdir.missing_parent", "%d", err(mkdir("/tmp/x/y", 0755)));
  out("mkdir.file_as_parent", "%d", err(mkdir("/data/in.txt/sub", 0755)));
  out("mkdir.trailing_slash", "%d", err(mkdir("/tmp/e/", 0755)));
  close(open("/tmp/d/inner", O_WRONLY | O_CREAT, 0644));
  out("rmdir.not_empty", "%d", err(rmdir("/tmp/d")));
  out("rmdir.file", "%d", err(rmdir("/tmp/new")));
  out("rmdir.missing", "%d", err(rmdir("/tmp/gone")));
  out("rmdir", "%d", err(rmdir("/tmp/e")));
  out("rmdir.again", "%d", err(rmdir("/tmp/e")));

  out("unlink.dir", "%d", err(unlink("/tmp/d")));
  out("unlink", "%d", err(unlink("/tmp/d/inner")));
  out("unlink.again", "%d", err(unlink("/tmp/d/inner")));
  out("unlink.trailing_slash", "%d", err(unlink("/tmp/new/")));
  out("unlink_file.dir", "%d", __wasi_path_unlink_file(3, "tmp/d", 5));
  out("rmdir.now_empty", "%d", err(rmdir("/tmp/d")));

  close(open("/tmp/r1", O_WRONLY | O_CREAT, 0644));
  fd = open("/tmp/r2", O_WRONLY | O_CREAT, 0644);
  write(fd, "two", 3);
  close(fd);
  out("rename", "%d", err(rename("/tmp/r2", "/tmp/r3")));
  out("rename.source_gone", "%d", err(stat("/tmp/r2", &st)));
  out("rename.target", "%s", file_text("/tmp/r3"));
  out("rename.replace", "%d", err(rename("/tmp/r3", "/tmp/r1")));
  out("rename.replaced", "%s", file_text("/tmp/r1"));
  out("rename.missing", "%d", err(rename("/tmp/nope", "/tmp/r4")));
  mkdir("/tmp/da", 0755);
  mkdir("/tmp/db", 0755);
  close(open("/tmp/db/f", O_WRONLY | O_CREAT, 0644));
  out("rename.dir_over_nonempty", "%d", err(rename("/tmp/da", "/tmp/db")));
  out("rename.file_over_dir", "%d", err(rename("/tmp/r1", "/tmp/da")));
  out("rename.dir_over_file", "%d", err(rename("/tmp/da", "/tmp/r1")));
  out("rename.dir_into_itself", "%d", err(rename("/tmp/db", "/tmp/db/sub")));
  out("rename.dir", "%d", err(rename("/tmp/db", "/tmp/dc")));
  out("rename.dir.moved", "%d", err(stat("/tmp/dc/f", &st)));
  out("rename.dir_over_empty", "%d", err(rename("/tmp/dc", "/tmp/da")));
  out("rename.file_trailing_slash", "%d", err(rename("/tmp/r1", "/tmp/r5/")));

  out("stat.file", "%d:%lld:%d", err(stat("/data/in.txt", &st)), (long long)st.st_size, S_ISREG(st.st_mode));
  out("stat.dir", "%d:%d", err(stat("/data", &st)), S_ISDIR(st.st_mode));
  out("stat.root", "%d:%d", err(stat("/", &st)), S_ISDIR(st.st_mode));
  out("stat.missing", "%d", err(stat("/data/nope", &st)));
  out("stat.missing_parent", "%d", err(stat("/nope/x", &st)));
  out("stat.file_as_parent", "%d", err(stat("/data/in.txt/x", &st)));
  out("stat.device", "%d:%d", err(stat("/dev/stdout", &st)), S_ISCHR(st.st_mode));
  __wasi_filestat_t fst;
  out("path_filestat.fault", "%d", __wasi_path_filestat_get(3, 0, "data/in.txt", 11, BAD_PTR));

  int data = open("/data", O_RDONLY | O_DIRECTORY);
  struct timespec times[2] = {{3000, 1}, {4000, 2}};
  out("utimensat", "%d", err(utimensat(data, "in.txt", times, 0)));
  stat("/data/in.txt", &st);
  out("utimensat.atim", "%lld.%ld", (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec);
  out("utimensat.mtim", "%lld.%ld", (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
  out("utimensat.missing", "%d", err(utimensat(data, "nope", times, 0)));
  out("path_set_times.both", "%d", __wasi_path_filestat_set_times(3, 0, "data/in.txt", 11, 1, 1, __WASI_FILESTAT_SET_MTIM | __WASI_FILESTAT_SET_MTIM_NOW));
  out("path_filestat.relative", "%d:%llu", __wasi_path_filestat_get(data, 0, "in.txt", 6, &fst), fst.st_size);

  out("symlink", "%d", err(symlink("/data/in.txt", "/tmp/link")));
  out("link", "%d", err(link("/data/in.txt", "/tmp/hard")));
  out("link.bad_base", "%d", __wasi_path_link(999, 0, "a", 1, 3, "b", 1));
  out("symlink.bad_base", "%d", __wasi_path_symlink("a", 1, 999, "b", 1));
  char target[16];
  out("readlink.file", "%d", err(readlink("/data/in.txt", target, sizeof target)));
  out("readlink.missing", "%d", err(readlink("/tmp/nope", target, sizeof target)));

  /* Paths stay inside the virtual root: `..` stops there. */
  out("escape.creat", "%d", err(fd = open("/../../../escape.txt", O_WRONLY | O_CREAT, 0644)));
  write(fd, "inside", 6);
  close(fd);
  out("escape.read", "%d", err(open("/../../etc/passwd", O_RDONLY)));
  out("escape.direct", "%d", wopen(3, "../../../etc/hostname", 0, ALL_RIGHTS, &wfd));
  out("escape.from_subdir", "%d", wopen(data, "../../../escape2.txt", __WASI_O_CREAT, ALL_RIGHTS, &wfd));
  close(wfd);
  out("escape.absolute_from_subdir", "%d", wopen(data, "/tmp/abs.txt", __WASI_O_CREAT, ALL_RIGHTS, &wfd));
  close(wfd);
  out("escape.mkdir", "%d", __wasi_path_create_directory(data, "../../up", 8));
  out("escape.rename", "%d", __wasi_path_rename(data, "../escape2.txt", 14, 3, "../../../moved.txt", 18));
  close(data);

  /* A directory descriptor follows its directory through renames. */
  mkdir("/tmp/m", 0755);
  int moving = open("/tmp/m", O_RDONLY | O_DIRECTORY);
  rename("/tmp/m", "/tmp/n");
  out("dirfd.after_rename", "%d", wopen(moving, "f", __WASI_O_CREAT, ALL_RIGHTS, &wfd));
  close(wfd);
  out("dirfd.after_rename.where", "%d", err(stat("/tmp/n/f", &st)));
  unlink("/tmp/n/f");
  rmdir("/tmp/n");
  out("dirfd.after_rmdir", "%d", wopen(moving, "g", __WASI_O_CREAT, ALL_RIGHTS, &wfd));
  close(moving);
}

/* --- directory listings ----------------------------------------------------------------------- */

static int compare(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void group_readdir(void) {
  mkdir("/list", 0755);
  close(open("/list/a", O_WRONLY | O_CREAT, 0644));
  close(open("/list/b", O_WRONLY | O_CREAT, 0644));
  mkdir("/list/c", 0755);
  DIR *dir = opendir("/list");
  out("opendir", "%d", dir ? 0 : errno);
  char *names[16];
  int count = 0;
  char line[256] = "";
  for (struct dirent *entry; (entry = readdir(dir));) {
    char item[64];
    snprintf(item, sizeof item, "%s:%d", entry->d_name, entry->d_type);
    names[count++] = strdup(item);
  }
  closedir(dir);
  qsort(names, count, sizeof *names, compare);
  for (int i = 0; i < count; i++) {
    strcat(line, names[i]);
    strcat(line, " ");
  }
  out("listing", "%s", line);

  /* A buffer smaller than one record: the record is cut short and read again from its cookie. */
  int fd = open("/list", O_RDONLY | O_DIRECTORY);
  char small[30];
  __wasi_dircookie_t cookie = 0;
  line[0] = 0;
  for (int rounds = 0; rounds < 20; rounds++) {
    size_t used = 0;
    if (__wasi_fd_readdir(fd, small, sizeof small, cookie, &used) != 0 || used == 0) break;
    __wasi_dirent_t header;
    memcpy(&header, small, sizeof header);
    char name[8] = {0};
    memcpy(name, small + sizeof header, header.d_namlen < 7 ? header.d_namlen : 7);
    strcat(line, name);
    strcat(line, used == sizeof small ? "+ " : " ");
    cookie = header.d_next;
  }
  out("readdir.small_buffer", "%s", line);
  size_t used = 1;
  out("readdir.past_end", "%d:%zu", __wasi_fd_readdir(fd, small, sizeof small, 99, &used), used);
  out("readdir.fault", "%d", __wasi_fd_readdir(fd, BAD_PTR, 64, 0, &used));
  close(fd);
  fd = open("/list/a", O_RDONLY);
  out("readdir.file", "%d", __wasi_fd_readdir(fd, small, sizeof small, 0, &used));
  close(fd);
  out("readdir.closed", "%d", __wasi_fd_readdir(999, small, sizeof small, 0, &used));
  out("opendir.file", "%d", opendir("/list/a") ? 0 : errno);
  out("opendir.missing", "%d", opendir("/list/zzz") ? 0 : errno);

  /* More entries than the C library reads at once: it continues from the cookies. */
  mkdir("/many", 0755);
  for (int i = 0; i < 300; i++) {
    char path[64];
    snprintf(path, sizeof path, "/many/a-rather-long-file-name-%03d", i);
    close(open(path, O_WRONLY | O_CREAT, 0644));
  }
  dir = opendir("/many");
  int seen = 0, sum = 0;
  for (struct dirent *entry; (entry = readdir(dir));) {
    if (entry->d_name[0] == '.') continue;
    seen++;
    sum += atoi(entry->d_name + strlen("a-rather-long-file-name-"));
  }
  closedir(dir);
  out("many.seen", "%d", seen);
  out("many.sum", "%d", sum);
}

/* --- polling and sleeping -------------------------------------------------------------------------- */

static __wasi_subscription_t clock_sub(__wasi_userdata_t userdata, __wasi_clockid_t id, __wasi_timestamp_t timeout, __wasi_subclockflags_t flags) {
  __wasi_subscription_t sub;
  memset(&sub, 0, sizeof sub);
  sub.userdata = userdata;
  sub.type = __WASI_EVENTTYPE_CLOCK;
  sub.u.clock.clock_id = id;
  sub.u.clock.timeout = timeout;
  sub.u.clock.flags = flags;
  return sub;
}

static __wasi_subscription_t fd_sub(__wasi_userdata_t userdata, __wasi_eventtype_t type, __wasi_fd_t fd) {
  __wasi_subscription_t sub;
  memset(&sub, 0, sizeof sub);
  sub.userdata = userdata;
  sub.type = type;
  sub.u.fd_readwrite.fd = fd;
  return sub;
}

static void group_poll(void) {
  struct timespec delay = {0, 1500000};
  out("nanosleep", "%d", err(nanosleep(&delay, NULL)));
  printf("mark=after-nanosleep\n");
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  struct timespec until = {now.tv_sec, now.tv_nsec + 2000000};
  out("clock_nanosleep.abs_monotonic", "%d", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL));
  printf("mark=after-abs-monotonic\n");
  clock_gettime(CLOCK_REALTIME, &now);
  until.tv_sec = now.tv_sec;
  until.tv_nsec = now.tv_nsec + 3000000;
  out("clock_nanosleep.abs_realtime", "%d", clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &until, NULL));
  printf("mark=after-abs-realtime\n");
  clock_gettime(CLOCK_MONOTONIC, &now);
  until.tv_sec = now.tv_sec - 1;
  until.tv_nsec = 0;
  out("clock_nanosleep.past", "%d", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL));
  printf("mark=after-past\n");
  out("usleep", "%d", err(usleep(250)));
  printf("mark=after-usleep\n");

  __wasi_subscription_t subs[3];
  __wasi_event_t events[3];
  size_t nevents = 0;
  subs[0] = clock_sub(11, __WASI_CLOCK_MONOTONIC, 5000000, 0);
  subs[1] = clock_sub(22, __WASI_CLOCK_MONOTONIC, 1000000, 0);
  out("poll.two_clocks", "%d", __wasi_poll_oneoff(subs, events, 2, &nevents));
  out("poll.two_clocks.events", "%zu:%llu:%d:%d", nevents, events[0].userdata, events[0].error, events[0].type);
  printf("mark=after-two-clocks\n");

  int file = open("/data/in.txt", O_RDONLY);
  char skip[4];
  read(file, skip, 4);
  subs[0] = clock_sub(1, __WASI_CLOCK_MONOTONIC, 9000000000ull, 0);
  subs[1] = fd_sub(2, __WASI_EVENTTYPE_FD_READ, file);
  subs[2] = fd_sub(3, __WASI_EVENTTYPE_FD_WRITE, 1);
  out("poll.fds", "%d", __wasi_poll_oneoff(subs, events, 3, &nevents));
  out("poll.fds.count", "%zu", nevents);
  out("poll.fds.read", "%llu:%d:%d:%llu", events[0].userdata, events[0].error, events[0].type, events[0].u.fd_readwrite.nbytes);
  out("poll.fds.write", "%llu:%d:%d", events[1].userdata, events[1].error, events[1].type);
  printf("mark=after-fds\n");
  subs[0] = fd_sub(4, __WASI_EVENTTYPE_FD_READ, 999);
  out("poll.closed_fd", "%d", __wasi_poll_oneoff(subs, events, 1, &nevents));
  out("poll.closed_fd.event", "%zu:%llu:%d", nevents, events[0].userdata, events[0].error);
  subs[0] = clock_sub(5, 77, 1000, 0);
  out("poll.bad_clock", "%d", __wasi_poll_oneoff(subs, events, 1, &nevents));
  out("poll.bad_clock.event", "%zu:%llu:%d", nevents, events[0].userdata, events[0].error);
  out("poll.none", "%d", __wasi_poll_oneoff(subs, events, 0, &nevents));
  out("poll.fault", "%d", __wasi_poll_oneoff(BAD_PTR, events, 1, &nevents));

  struct pollfd fds[2] = {{file, POLLIN, 0}, {1, POLLOUT, 0}};
  out("poll", "%d", poll(fds, 2, 1000));
  out("poll.revents", "%d,%d", fds[0].revents & POLLIN, fds[1].revents & POLLOUT);
  close(file);
  printf("mark=after-poll\n");

  /* The same clock wait through preview1, whose subscription layout has no identifier field. */
  unsigned char p1_sub[48] = {0};
  unsigned char p1_event[32] = {0};
  uint64_t userdata = 77, timeout = 4000000;
  uint32_t monotonic = __WASI_CLOCK_MONOTONIC;
  memcpy(p1_sub, &userdata, 8);
  p1_sub[8] = __WASI_EVENTTYPE_CLOCK;
  memcpy(p1_sub + 16, &monotonic, 4);
  memcpy(p1_sub + 24, &timeout, 8);
  uint32_t p1_count = 0;
  out("p1.poll", "%d", p1_poll_oneoff(p1_sub, p1_event, 1, &p1_count));
  memcpy(&userdata, p1_event, 8);
  out("p1.poll.event", "%u:%llu:%d", p1_count, userdata, p1_event[10]);
  printf("mark=after-p1\n");

  out("sched_yield", "%d", sched_yield());
  out("wasi_sched_yield", "%d", __wasi_sched_yield());
}

/* --- preview1 layouts ------------------------------------------------------------------------------ */

static void group_preview1(void) {
  int fd = open("/data/in.txt", O_RDONLY);
  unsigned char stat64[64];
  memset(stat64, 0xee, sizeof stat64);
  out("p1.fd_filestat", "%d", p1_fd_filestat_get(fd, stat64));
  uint64_t nlink, size;
  memcpy(&nlink, stat64 + 24, 8);
  memcpy(&size, stat64 + 32, 8);
  out("p1.fd_filestat.fields", "%d:%llu:%llu", stat64[16], nlink, size);
  memset(stat64, 0xee, sizeof stat64);
  out("p1.path_filestat", "%d", p1_path_filestat_get(3, 0, "data/in.txt", 11, stat64));
  memcpy(&nlink, stat64 + 24, 8);
  memcpy(&size, stat64 + 32, 8);
  out("p1.path_filestat.fields", "%d:%llu:%llu", stat64[16], nlink, size);
  __wasi_filestat_t old;
  (void)__wasi_fd_filestat_get(fd, &old);
  out("unstable.fd_filestat.fields", "%d:%u:%llu", old.st_filetype, old.st_nlink, old.st_size);

  uint64_t position = 0;
  out("p1.seek.end", "%d:%llu", p1_fd_seek(fd, -2, 2, &position), position);
  out("p1.seek.set", "%d:%llu", p1_fd_seek(fd, 3, 0, &position), position);
  out("p1.seek.cur", "%d:%llu", p1_fd_seek(fd, 2, 1, &position), position);
  out("p1.seek.bad_whence", "%d", p1_fd_seek(fd, 0, 3, &position));
  __wasi_filesize_t unstable_position = 0;
  out("unstable.seek.set", "%d:%llu", __wasi_fd_seek(fd, 4, __WASI_WHENCE_SET, &unstable_position), unstable_position);
  out("unstable.seek.cur", "%d:%llu", __wasi_fd_seek(fd, 1, __WASI_WHENCE_CUR, &unstable_position), unstable_position);
  out("unstable.seek.end", "%d:%llu", __wasi_fd_seek(fd, 0, __WASI_WHENCE_END, &unstable_position), unstable_position);
  out("unstable.seek.bad_whence", "%d", __wasi_fd_seek(fd, 0, 3, &unstable_position));
  close(fd);
  fflush(stdout);
  struct { const char *buf; uint32_t len; } iov = {"p1-write\n", 9};
  uint32_t written = 0;
  out("p1.fd_write", "%d:%u", p1_fd_write(1, &iov, 1, &written), written);
}

/* --- standard streams ----------------------------------------------------------------------------- */

static void group_stdio(void) {
  unsigned char buf[16];
  int total = 0;
  char line[128] = "";
  for (;;) {
    ssize_t n = read(0, buf, sizeof buf);
    if (n <= 0) {
      out("stdin.end", "%d", (int)n);
      break;
    }
    char part[64];
    int at = snprintf(part, sizeof part, "%d:", (int)n);
    for (int i = 0; i < n && at < 60; i++) at += snprintf(part + at, sizeof part - at, "%02x", buf[i]);
    strcat(line, part);
    strcat(line, " ");
    total += n;
  }
  out("stdin.chunks", "%s", line);
  out("read.stdout", "%d", err(read(1, buf, 1)));
  out("write.stdin", "%d", err(write(0, "x", 1)));
  __wasi_ciovec_t iov = {"x", 1};
  size_t written = 0;
  out("fd_write.fault", "%d", __wasi_fd_write(2, BAD_PTR, 1, &written));
  __wasi_ciovec_t bad = {BAD_PTR, 4};
  out("fd_write.iovec_fault", "%d", __wasi_fd_write(2, &bad, 1, &written));
  out("fd_write.count_fault", "%d", __wasi_fd_write(2, &iov, 1, BAD_PTR));
  fflush(stdout);
  unsigned char binary[] = {0x00, 0xff, 0xc3, 0x28, '\n'};
  out("stderr.binary", "%d", (int)write(2, binary, sizeof binary));
}

/* --- process ----------------------------------------------------------------------------------------- */

static void at_exit(void) { printf("atexit=ran\n"); }

static void group_exit(void) {
  out("proc_raise", "%d", __wasi_proc_raise(__WASI_SIGTERM));
  out("sock_recv", "%d", __wasi_sock_recv(0, NULL, 0, 0, NULL, NULL));
  out("sock_send", "%d", __wasi_sock_send(0, NULL, 0, 0, NULL));
  out("sock_shutdown", "%d", __wasi_sock_shutdown(0, __WASI_SHUT_RD));
  atexit(at_exit);
  printf("before=exit\n");
  exit(42);
}

int main(int argc, char **argv) {
  const char *group = argc > 1 ? argv[1] : "";
  if (!strcmp(group, "args")) group_args(argc, argv);
  else if (!strcmp(group, "clocks")) group_clocks();
  else if (!strcmp(group, "random")) group_random();
  else if (!strcmp(group, "files")) group_files();
  else if (!strcmp(group, "prestat")) group_prestat();
  else if (!strcmp(group, "paths")) group_paths();
  else if (!strcmp(group, "readdir")) group_readdir();
  else if (!strcmp(group, "poll")) group_poll();
  else if (!strcmp(group, "preview1")) group_preview1();
  else if (!strcmp(group, "stdio")) group_stdio();
  else if (!strcmp(group, "exit")) group_exit();
  else {
    printf("unknown group %s\n", group);
    return 2;
  }
  return 0;
}
