/*
 * Entry module of the sandbox's CPython runtime, linked in place of Programs/python.c.
 *
 * The module has no `_start` from wasi-libc. It exports two functions instead:
 *
 * - `sandbox_initialize`, run once at build time by Wizer: runs the C constructors, initializes the
 *   interpreter, and imports `_sandbox_runtime` (runtimes/python/sandbox_runtime.py, from the stdlib zip),
 *   which imports what every run needs. Wizer then saves the whole memory as the module's initial state.
 * - `_start`, run by every instance of the snapshot: reads this run's arguments and environment (those
 *   seen at build time are never used), lets `_sandbox_runtime.prepare` set up sys.argv, os.environ and the
 *   standard streams, then runs the script, `-c` command, `-m` module or standard input like `python` does.
 *
 * Because `_start` keeps its usual name, the sandbox's WASI layer runs the snapshot like any program.
 */
#define PY_SSIZE_T_CLEAN
#include "Python.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wasi/api.h>
#include <wasi/libc-environ.h>

extern char **environ;
void __wasm_call_ctors(void);

/* The `_sandbox_runtime` module, kept alive in the snapshot. */
static PyObject *runtime_module;
static int initialized;

/*
 * A reproducible snapshot. Wizer saves every non-zero byte of memory, freed memory and dead stack frames
 * included, and those would carry what initialization saw of the build machine (inode numbers and times of
 * the files it read) into the runtime: two builds of the same sources would differ. So while initializing:
 * - malloc, calloc, realloc and free are wrapped at link time (entry.mk: -Wl,--wrap=...): every block is
 *   zeroed when handed out (the slack past the size asked for included) and when freed;
 * - Python's allocators all go to malloc, and so through the wrappers (pymalloc would otherwise keep freed
 *   objects in its pools);
 * and at the end the unused part of the stack is cleared.
 */
static int scrubbing;

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void *__real_realloc(void *block, size_t size);
void __real_free(void *block);

void *__wrap_malloc(size_t size) { return scrubbing ? __real_calloc(1, size) : __real_malloc(size); }

void *__wrap_calloc(size_t count, size_t size) { return __real_calloc(count, size); }

void __wrap_free(void *block) {
  if (scrubbing && block) memset(block, 0, malloc_usable_size(block));
  __real_free(block);
}

void *__wrap_realloc(void *block, size_t size) {
  if (!scrubbing || !block) return scrubbing ? __real_calloc(1, size) : __real_realloc(block, size);
  size_t old = malloc_usable_size(block);
  void *moved = __real_calloc(1, size);
  if (!moved && size) return NULL;
  memcpy(moved, block, old < size ? old : size);
  __wrap_free(block);
  return moved;
}

/*
 * What initialization learns of the build machine is fixed too, so that the objects it builds and frees
 * (and so the layout of the heap) are the same everywhere: the times, inode numbers and devices of the
 * files Wizer shows (an int of 2 or 3 digits for an inode number would move every later block), and the
 * clocks. Runs see the real values.
 */
#define BUILD_EPOCH_NS 1675728000000000000ull /* 2023-02-07, the release of CPython 3.11.2 */

__wasi_errno_t __real___wasi_fd_filestat_get(__wasi_fd_t fd, __wasi_filestat_t *stat);
__wasi_errno_t __real___wasi_path_filestat_get(__wasi_fd_t fd, __wasi_lookupflags_t flags, const char *path, __wasi_filestat_t *stat);
__wasi_errno_t __real___wasi_clock_time_get(__wasi_clockid_t id, __wasi_timestamp_t precision, __wasi_timestamp_t *time);

static void fix_filestat(__wasi_filestat_t *stat) {
  stat->dev = 1;
  stat->ino = 1;
  stat->atim = stat->mtim = stat->ctim = BUILD_EPOCH_NS;
}

__wasi_errno_t __wrap___wasi_fd_filestat_get(__wasi_fd_t fd, __wasi_filestat_t *stat) {
  __wasi_errno_t error = __real___wasi_fd_filestat_get(fd, stat);
  if (scrubbing && error == 0) fix_filestat(stat);
  return error;
}

__wasi_errno_t __wrap___wasi_path_filestat_get(__wasi_fd_t fd, __wasi_lookupflags_t flags, const char *path, __wasi_filestat_t *stat) {
  __wasi_errno_t error = __real___wasi_path_filestat_get(fd, flags, path, stat);
  if (scrubbing && error == 0) fix_filestat(stat);
  return error;
}

__wasi_errno_t __wrap___wasi_clock_time_get(__wasi_clockid_t id, __wasi_timestamp_t precision, __wasi_timestamp_t *time) {
  if (!scrubbing) return __real___wasi_clock_time_get(id, precision, time);
  *time = id == __WASI_CLOCKID_REALTIME ? BUILD_EPOCH_NS : 0;
  return 0;
}

static void *plain_malloc(void *ctx, size_t size) {
  (void)ctx;
  return malloc(size ? size : 1);
}

static void *plain_calloc(void *ctx, size_t count, size_t size) {
  (void)ctx;
  return count && size ? calloc(count, size) : calloc(1, 1);
}

static void *plain_realloc(void *ctx, void *block, size_t size) {
  (void)ctx;
  return realloc(block, size ? size : 1);
}

static void plain_free(void *ctx, void *block) {
  (void)ctx;
  free(block);
}

static void *plain_arena_alloc(void *ctx, size_t size) { return plain_malloc(ctx, size); }

static void plain_arena_free(void *ctx, void *block, size_t size) {
  (void)size;
  plain_free(ctx, block);
}

static PyMemAllocatorEx base_allocators[3];
static const PyMemAllocatorDomain DOMAINS[3] = {PYMEM_DOMAIN_RAW, PYMEM_DOMAIN_MEM, PYMEM_DOMAIN_OBJ};
static PyObjectArenaAllocator base_arena_allocator;

/* Blocks allocated while hooked are freed later by whichever allocator is current, which all end in free()
   for memory they do not own. */
static void start_scrubbing(void) {
  scrubbing = 1;
  PyMemAllocatorEx plain = {NULL, plain_malloc, plain_calloc, plain_realloc, plain_free};
  for (int i = 0; i < 3; i++) {
    PyMem_GetAllocator(DOMAINS[i], &base_allocators[i]);
    PyMem_SetAllocator(DOMAINS[i], &plain);
  }
  PyObjectArenaAllocator arenas = {NULL, plain_arena_alloc, plain_arena_free};
  PyObject_GetArenaAllocator(&base_arena_allocator);
  PyObject_SetArenaAllocator(&arenas);
}

static void stop_scrubbing(void) {
  for (int i = 0; i < 3; i++) PyMem_SetAllocator(DOMAINS[i], &base_allocators[i]);
  PyObject_SetArenaAllocator(&base_arena_allocator);
  scrubbing = 0;
}

/* With --stack-first the stack lies below the data, from address 0 up; below this frame nothing is live. */
__attribute__((noinline)) static void clear_unused_stack(void) {
  volatile char marker = 0;
  uintptr_t top = (uintptr_t)&marker;
  if (top > 1024 + 256) __builtin_memset((void *)1024, 0, top - 256 - 1024);
}

/*
 * Replaces wasi-libc's emulated process clock (clock.o of libwasi-emulated-process-clocks), whose
 * constructor records a start time that would be frozen into the snapshot. The host's process CPU-time clock
 * measures from the start of each instance instead. times() and getrusage() are built on __clock().
 */
clock_t __clock(void) {
  __wasi_timestamp_t now = 0;
  if (__wasi_clock_time_get(__WASI_CLOCKID_PROCESS_CPUTIME_ID, 1, &now) != 0) return (clock_t)-1;
  return (clock_t)now;
}

clock_t clock(void) { return __clock(); }

static void init_failed(const char *what) {
  fprintf(stderr, "sandbox python: initialization failed: %s\n", what);
  if (PyErr_Occurred()) PyErr_Print();
  abort();
}

static void check_status(PyStatus status, const char *what) {
  if (PyStatus_Exception(status)) {
    fprintf(stderr, "sandbox python: %s: %s\n", what, status.err_msg ? status.err_msg : "error");
    abort();
  }
}

__attribute__((export_name("sandbox_initialize"))) void sandbox_initialize(void) {
  start_scrubbing();
  __wasm_call_ctors();

  PyPreConfig preconfig;
  PyPreConfig_InitPythonConfig(&preconfig);
  preconfig.utf8_mode = 1;
  preconfig.use_environment = 0;
  preconfig.parse_argv = 0;
  check_status(Py_PreInitialize(&preconfig), "pre-initialization");

  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.parse_argv = 0;
  config.use_environment = 0;
  config.site_import = 0;
  config.user_site_directory = 0;
  config.write_bytecode = 0;
  config.install_signal_handlers = 0;
  /* The hash secret is part of the snapshot whatever it is; a fixed one keeps the build reproducible. */
  config.use_hash_seed = 1;
  config.hash_seed = 0;
  check_status(PyConfig_SetString(&config, &config.program_name, L"python3.11"), "program name");
  check_status(PyConfig_SetString(&config, &config.executable, L"/usr/local/bin/python3.11"), "executable");
  check_status(PyConfig_SetString(&config, &config.home, L"/usr/local"), "home");
  wchar_t *argv[] = {L"python3.11"};
  check_status(PyConfig_SetArgv(&config, 1, argv), "argv");
  PyStatus status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  check_status(status, "Py_InitializeFromConfig");

  runtime_module = PyImport_ImportModule("_sandbox_runtime");
  if (!runtime_module) init_failed("import _sandbox_runtime");
  PyObject *done = PyObject_CallMethod(runtime_module, "initialize", NULL);
  if (!done) init_failed("_sandbox_runtime.initialize()");
  Py_DECREF(done);

  /* Descriptors still open now would be captured in the snapshot and meaningless at run time. */
  for (__wasi_fd_t fd = 4; fd < 64; fd++) {
    __wasi_fdstat_t stat;
    if (__wasi_fd_fdstat_get(fd, &stat) == 0) init_failed("a file descriptor is still open after initialization");
  }
  /* The environment is read again by each run. */
  __wasilibc_deinitialize_environ();
  stop_scrubbing();
  initialized = 1;
  clear_unused_stack();
}

/* This run's arguments, as bytes objects (the program name first). */
static PyObject *read_argv(void) {
  __wasi_size_t argc, size;
  if (__wasi_args_sizes_get(&argc, &size) != 0) return PyErr_Format(PyExc_OSError, "cannot read the arguments");
  char **argv = calloc(argc + 1, sizeof(char *));
  char *buffer = malloc(size ? size : 1);
  if (!argv || !buffer) {
    free(argv);
    free(buffer);
    return PyErr_NoMemory();
  }
  PyObject *list = NULL;
  if (__wasi_args_get((uint8_t **)argv, (uint8_t *)buffer) != 0) {
    PyErr_Format(PyExc_OSError, "cannot read the arguments");
  } else if ((list = PyList_New(argc))) {
    for (__wasi_size_t i = 0; i < argc; i++) {
      PyObject *arg = PyBytes_FromString(argv[i]);
      if (!arg) {
        Py_CLEAR(list);
        break;
      }
      PyList_SET_ITEM(list, i, arg);
    }
  }
  free(argv);
  free(buffer);
  return list;
}

/* This run's environment as a dict of bytes, like posix.environ. */
static PyObject *read_environ(void) {
  __wasilibc_deinitialize_environ();
  __wasilibc_initialize_environ();
  PyObject *env = PyDict_New();
  if (!env || !environ) return env;
  for (char **entry = environ; *entry; entry++) {
    const char *eq = strchr(*entry, '=');
    if (!eq || eq == *entry) continue;
    PyObject *key = PyBytes_FromStringAndSize(*entry, eq - *entry);
    PyObject *value = PyBytes_FromString(eq + 1);
    int failed = !key || !value || PyDict_SetDefault(env, key, value) == NULL;
    Py_XDECREF(key);
    Py_XDECREF(value);
    if (failed) {
      Py_DECREF(env);
      return NULL;
    }
  }
  return env;
}

/* Runs what `prepare` planned; returns 0 on success, -1 when an exception was printed. */
static int run_plan(PyObject *plan) {
  const char *kind;
  PyObject *target;
  if (!PyArg_ParseTuple(plan, "sO", &kind, &target)) return -1;
  PyCompilerFlags flags = _PyCompilerFlags_INIT;
  if (strcmp(kind, "file") == 0) {
    const char *path = PyBytes_AsString(target);
    if (!path) return -1;
    FILE *fp = fopen(path, "rb");
    if (!fp) {
      PyErr_SetFromErrnoWithFilename(PyExc_OSError, path);
      return -1;
    }
    return PyRun_SimpleFileExFlags(fp, path, 1, &flags);
  }
  if (strcmp(kind, "command") == 0) {
    const char *command = PyUnicode_AsUTF8(target);
    if (!command) return -1;
    return PyRun_SimpleStringFlags(command, &flags);
  }
  /* Never the interactive loop: the sandbox's standard input looks like a terminal but is not one. */
  if (strcmp(kind, "stdin") == 0) return PyRun_SimpleFileExFlags(stdin, "<stdin>", 0, &flags);
  if (strcmp(kind, "module") == 0) {
    PyObject *runpy = PyImport_ImportModule("runpy");
    PyObject *result = runpy ? PyObject_CallMethod(runpy, "_run_module_as_main", "Oi", target, 1) : NULL;
    Py_XDECREF(runpy);
    Py_XDECREF(result);
    return result ? 0 : -1;
  }
  PyErr_Format(PyExc_RuntimeError, "unknown run kind %s", kind);
  return -1;
}

__attribute__((export_name("_start"))) void sandbox_start(void) {
  if (!initialized) {
    fputs("sandbox python: this module must be pre-initialized (sandbox_initialize) before it runs\n", stderr);
    exit(70);
  }
  int code = 0;
  PyObject *argv = read_argv();
  PyObject *env = argv ? read_environ() : NULL;
  PyObject *plan = env ? PyObject_CallMethod(runtime_module, "prepare", "OO", argv, env) : NULL;
  Py_XDECREF(argv);
  Py_XDECREF(env);
  /* PyErr_Print exits the program for SystemExit, as CPython's own main does. */
  if (!plan || run_plan(plan) != 0) {
    if (PyErr_Occurred()) PyErr_Print();
    code = 1;
  }
  Py_XDECREF(plan);
  if (Py_FinalizeEx() < 0) code = 120;
  exit(code);
}
