# Included after CPython's own Makefile (make -f Makefile -f entry.mk): links the sandbox entry module
# (entry.c) with the same objects, libraries and flags as CPython's python.wasm, in place of
# Programs/python.o. No wasi-libc start files: entry.c runs the constructors itself, once, at build time.
# Debug sections (from wasi-libc and compiler-rt) are dropped; the name section stays, for readable traps.
# malloc and friends, file stats and clocks are wrapped by entry.c (see "A reproducible snapshot" there).

ENTRY_MK := $(lastword $(MAKEFILE_LIST))

Programs/sandbox_entry.o: $(ENTRY_SRC) $(PYTHON_HEADERS) $(ENTRY_MK)
	$(MAINCC) -c $(PY_CORE_CFLAGS) -o $@ $(ENTRY_SRC)

sandbox-python.wasm: Programs/sandbox_entry.o $(LINK_PYTHON_DEPS) $(ENTRY_MK)
	$(LINKCC) $(PY_CORE_LDFLAGS) $(LINKFORSHARED) -nostartfiles -Wl,--no-entry -Wl,--strip-debug \
		-Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc -Wl,--wrap=free -Wl,--wrap=__wasi_fd_filestat_get \
		-Wl,--wrap=__wasi_path_filestat_get -Wl,--wrap=__wasi_clock_time_get -o $@ \
		Programs/sandbox_entry.o $(LINK_PYTHON_OBJS) $(LIBS) $(MODLIBS) $(SYSLIBS)
