#!/usr/bin/env bash
# Builds the Python runtime of Sandbox Executor: CPython 3.11 for wasm32-wasi, optimized, pre-initialized
# with Wizer, its standard library as a zip, both compressed with brotli, plus a record of what went in.
#
#   npm run build:runtimes            (or: bash runtimes/python/build.sh)
#
# Inputs, all from this machine's package sources (Debian bookworm) and npm:
#   - clang, lld (wasm-ld), llvm-ar, wasi-libc, libclang-rt-dev-wasm32, python3.11 (the build Python),
#     tclsh (SQLite's amalgamation generator), brotli is done by Node's zlib;
#   - CPython, zlib, SQLite, bzip2 and xz-utils (liblzma) sources from Debian's source archive (`apt-get source --download-only`),
#     checked against the SHA-256 sums below;
#   - @bytecodealliance/wizer (pinned in package.json).
# Missing Debian packages are installed when running as root (a deb-src entry is added for the sources).
#
# Outputs (committed): python.wasm.br, python-stdlib.zip.br, build-info.json (checksums and inputs).
# Everything else goes to $PYRT_BUILD_DIR (default runtimes/python/.build), reused between runs: delete it
# for a clean build. Heavy steps run under `nice -n 19`.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
BUILD="${PYRT_BUILD_DIR:-$HERE/.build}"
JOBS="${PYRT_JOBS:-2}"
NICE=(nice -n 19)

PYTHON_VERSION=3.11.2
PYTHON_TARBALL=python3.11_3.11.2.orig.tar.gz
PYTHON_SHA256=2411c74bda5bbcfcddaf4531f66d1adc73f247f529aee981b029513aefdbf849
ZLIB_TARBALL=zlib_1.2.13.dfsg.orig.tar.bz2
ZLIB_SHA256=71feb7947e3c00ef125f83b79a4e529bde31171e5babe48b391f06758d1ab0a1
SQLITE_TARBALL=sqlite3_3.40.1.orig.tar.xz
SQLITE_SHA256=aaa776260ab4dc976db34aa7891819484c8676b5b2783123ebc6301e2ca5d655
BZIP2_TARBALL=bzip2_1.0.8.orig.tar.gz
BZIP2_SHA256=ab5a03176ee106d3f0fa90e381da478ddae405918153cca248e682cd0c4a2269
XZ_TARBALL=xz-utils_5.4.1.orig.tar.xz
XZ_SHA256=5d9827aa1875b21c288f78864bb26d2650b436ea8d2cad364e4921eb6266a5a5
BUILD_PYTHON=/usr/bin/python3.11

# Code generation flags for every C file of the runtime. -O2 everywhere (checked in the build log below);
# the wasm features are all supported by Node 20's V8 and by Wizer. With bulk memory, clang 14 lowers
# wasi-libc's thread-local errno as real TLS and insists on the local-exec model (one thread: same address).
OPT_FLAGS="-O2"
WASM_FEATURES="-mbulk-memory -mmutable-globals -msign-ext -mnontrapping-fptoint -ftls-model=local-exec"
TARGET=(--target=wasm32-wasi "--sysroot=$BUILD/sysroot")
# sys.version shows the build date: CPython 3.11.2's release date, not today's, keeps the build reproducible.
BUILD_DATE_FLAGS="-DDATE='\"Feb  7 2023\"' -DTIME='\"00:00:00\"'"

log() { printf '\n==> %s\n' "$*" >&2; }
die() { printf 'build.sh: %s\n' "$*" >&2; exit 1; }

# --- toolchain ------------------------------------------------------------------------------------------

ensure_toolchain() {
  local missing=()
  command -v clang >/dev/null || missing+=(clang)
  command -v wasm-ld >/dev/null || missing+=(lld)
  command -v llvm-ar >/dev/null || missing+=(llvm)
  [ -f /usr/lib/wasm32-wasi/libc.a ] || missing+=(wasi-libc)
  compgen -G '/usr/lib/llvm-*/lib/clang/*/lib/wasi/libclang_rt.builtins-wasm32.a' >/dev/null || missing+=(libclang-rt-dev-wasm32)
  [ -x "$BUILD_PYTHON" ] || missing+=(python3.11)
  command -v tclsh >/dev/null || missing+=(tcl)
  if [ ${#missing[@]} -gt 0 ]; then
    [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]} (apt-get install them as root)"
    log "Installing ${missing[*]}"
    apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  fi
  [ "$("$BUILD_PYTHON" -c 'import platform; print(platform.python_version())')" = "$PYTHON_VERSION" ] ||
    die "$BUILD_PYTHON must be Python $PYTHON_VERSION (the version being cross-compiled: frozen modules are its bytecode)"
  [ -x "$REPO/node_modules/.bin/wizer" ] || die "wizer is missing: run npm ci first"
}

# --- sources --------------------------------------------------------------------------------------------

ensure_deb_src() {
  if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
    [ "$(id -u)" = 0 ] || die "no deb-src entry in the apt sources: add one (Types: deb-src) to fetch the sources"
    local main=/etc/apt/sources.list.d/debian.sources
    [ -f "$main" ] || die "cannot find $main to derive a deb-src entry from"
    log "Adding a deb-src entry (copy of $main)"
    sed 's/^Types: deb$/Types: deb-src/' "$main" >/etc/apt/sources.list.d/debian-src.sources
    apt-get update -q
  fi
}

fetch_sources() {
  mkdir -p "$BUILD/downloads"
  local need=0
  for f in "$PYTHON_TARBALL" "$ZLIB_TARBALL" "$SQLITE_TARBALL" "$BZIP2_TARBALL" "$XZ_TARBALL"; do [ -f "$BUILD/downloads/$f" ] || need=1; done
  if [ $need = 1 ]; then
    ensure_deb_src
    log "Downloading sources from Debian's source archive"
    # Only the upstream tarballs are used; the security suite may answer 404 for its patch files.
    (cd "$BUILD/downloads" && apt-get source --download-only python3.11 zlib sqlite3 bzip2 xz-utils >/dev/null 2>&1 || true)
  fi
  check_sha "$BUILD/downloads/$PYTHON_TARBALL" "$PYTHON_SHA256"
  check_sha "$BUILD/downloads/$ZLIB_TARBALL" "$ZLIB_SHA256"
  check_sha "$BUILD/downloads/$SQLITE_TARBALL" "$SQLITE_SHA256"
  check_sha "$BUILD/downloads/$BZIP2_TARBALL" "$BZIP2_SHA256"
  check_sha "$BUILD/downloads/$XZ_TARBALL" "$XZ_SHA256"
}

check_sha() {
  [ -f "$1" ] || die "$1 was not downloaded"
  local sum
  sum="$(sha256sum "$1" | cut -d' ' -f1)"
  [ "$sum" = "$2" ] || die "$1: SHA-256 $sum, expected $2"
}

# A sysroot holding only wasi-libc: with --sysroot=/usr, clang would also search the host's /usr/include.
make_sysroot() {
  mkdir -p "$BUILD/sysroot/include" "$BUILD/sysroot/lib"
  ln -sfn /usr/include/wasm32-wasi "$BUILD/sysroot/include/wasm32-wasi"
  ln -sfn /usr/lib/wasm32-wasi "$BUILD/sysroot/lib/wasm32-wasi"
}

wasm_cc() { "${NICE[@]}" clang "${TARGET[@]}" $OPT_FLAGS $WASM_FEATURES "$@"; }

# --- libraries ------------------------------------------------------------------------------------------

build_zlib() {
  [ -f "$BUILD/deps/lib/libz.a" ] && return
  log "zlib"
  rm -rf "$BUILD/zlib" && mkdir -p "$BUILD/zlib" "$BUILD/deps/lib" "$BUILD/deps/include"
  tar xjf "$BUILD/downloads/$ZLIB_TARBALL" -C "$BUILD/zlib" --strip-components=1
  local objs=()
  for f in adler32 compress crc32 deflate gzclose gzlib gzread gzwrite infback inffast inflate inftrees trees uncompr zutil; do
    wasm_cc -D_LARGEFILE64_SOURCE=1 -DHAVE_HIDDEN -c "$BUILD/zlib/$f.c" -o "$BUILD/zlib/$f.o"
    objs+=("$BUILD/zlib/$f.o")
  done
  llvm-ar rcsD "$BUILD/deps/lib/libz.a" "${objs[@]}"
  cp "$BUILD/zlib/zlib.h" "$BUILD/zlib/zconf.h" "$BUILD/deps/include/"
}

build_sqlite() {
  [ -f "$BUILD/deps/lib/libsqlite3.a" ] && return
  log "SQLite"
  rm -rf "$BUILD/sqlite" && mkdir -p "$BUILD/sqlite/src" "$BUILD/sqlite/native" "$BUILD/deps/lib" "$BUILD/deps/include"
  tar xJf "$BUILD/downloads/$SQLITE_TARBALL" -C "$BUILD/sqlite/src" --strip-components=1
  # The amalgamation (one C file) is generated by host tools (lemon, tclsh).
  (cd "$BUILD/sqlite/native" && ../src/configure --disable-tcl >/dev/null && "${NICE[@]}" make -s sqlite3.c >/dev/null)
  # unix-none: SQLite's own VFS without file locks (WASI has none; one program owns its files).
  wasm_cc -include "$HERE/sqlite-wasi.h" -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL \
    -DSQLITE_MAX_MMAP_SIZE=0 -D_WASI_EMULATED_GETPID -DSQLITE_DEFAULT_UNIX_VFS='"unix-none"' \
    -c "$BUILD/sqlite/native/sqlite3.c" -o "$BUILD/sqlite/sqlite3.o"
  llvm-ar rcsD "$BUILD/deps/lib/libsqlite3.a" "$BUILD/sqlite/sqlite3.o"
  cp "$BUILD/sqlite/native/sqlite3.h" "$BUILD/deps/include/"
}

build_bzip2() {
  [ -f "$BUILD/deps/lib/libbz2.a" ] && return
  log "bzip2"
  rm -rf "$BUILD/bzip2" && mkdir -p "$BUILD/bzip2" "$BUILD/deps/lib" "$BUILD/deps/include"
  tar xzf "$BUILD/downloads/$BZIP2_TARBALL" -C "$BUILD/bzip2" --strip-components=1
  local objs=()
  for f in blocksort huffman crctable randtable compress decompress bzlib; do
    wasm_cc -D_FILE_OFFSET_BITS=64 -c "$BUILD/bzip2/$f.c" -o "$BUILD/bzip2/$f.o"
    objs+=("$BUILD/bzip2/$f.o")
  done
  llvm-ar rcsD "$BUILD/deps/lib/libbz2.a" "${objs[@]}"
  cp "$BUILD/bzip2/bzlib.h" "$BUILD/deps/include/"
}

build_xz() {
  [ -f "$BUILD/deps/lib/liblzma.a" ] && return
  log "liblzma (xz-utils)"
  rm -rf "$BUILD/xz" && mkdir -p "$BUILD/xz" "$BUILD/deps"
  tar xJf "$BUILD/downloads/$XZ_TARBALL" -C "$BUILD/xz" --strip-components=1
  (
    cd "$BUILD/xz"
    CC="clang ${TARGET[*]} $WASM_FEATURES -D_WASI_EMULATED_SIGNAL" CFLAGS="$OPT_FLAGS" AR=llvm-ar RANLIB=llvm-ranlib \
      "${NICE[@]}" ./configure --host=wasm32-unknown-wasi --prefix="$BUILD/deps" --disable-threads --disable-shared \
      --enable-static --disable-xz --disable-xzdec --disable-lzmadec --disable-lzmainfo --disable-lzma-links \
      --disable-scripts --disable-doc --disable-nls >configure.log 2>&1
    # The shim only at compile time: configure's header checks must see the plain headers.
    "${NICE[@]}" make -j"$JOBS" CFLAGS="$OPT_FLAGS -include $HERE/xz-wasi.h" -C src/liblzma >make.log 2>&1
    make -C src/liblzma install >install.log 2>&1
  ) || die "building liblzma failed (see $BUILD/xz/*.log)"
}

# --- CPython --------------------------------------------------------------------------------------------

configure_cpython() {
  local env=(
    CONFIG_SITE="$BUILD/config.site"
    CC="clang ${TARGET[*]} $WASM_FEATURES" CPP="clang ${TARGET[*]} -E" AR=llvm-ar RANLIB=llvm-ranlib READELF=true
    OPT="-DNDEBUG -fwrapv $OPT_FLAGS"
    PKG_CONFIG_PATH= PKG_CONFIG_LIBDIR="$BUILD/no-pkgconfig"
    ZLIB_CFLAGS="-I$BUILD/deps/include" ZLIB_LIBS="-L$BUILD/deps/lib -lz"
    LIBSQLITE3_CFLAGS="-I$BUILD/deps/include" LIBSQLITE3_LIBS="-L$BUILD/deps/lib -lsqlite3"
    BZIP2_CFLAGS="-I$BUILD/deps/include" BZIP2_LIBS="-L$BUILD/deps/lib -lbz2"
    LIBLZMA_CFLAGS="-I$BUILD/deps/include" LIBLZMA_LIBS="-L$BUILD/deps/lib -llzma"
  )
  # 30-bit digits for int (CPython picks 15 on 32-bit targets; wasm has fast 64-bit arithmetic), and
  # pymalloc for small objects (CPython leaves it off for WASI; it works on a malloc'd arena).
  local args=(
    --host=wasm32-unknown-wasi --build="$("$BUILD/cpython-src/config.guess" 2>/dev/null || echo x86_64-pc-linux-gnu)"
    --with-build-python="$BUILD_PYTHON" --prefix=/usr/local
    --disable-test-modules --with-ensurepip=no --enable-big-digits=30 --with-pymalloc $PYRT_CONFIGURE_EXTRA
  )
  # Configure again (and so rebuild everything) whenever what configure is given changes.
  local desc
  desc="$(printf '%s\n' "${env[@]}" "${args[@]}"; cat "$HERE/config.site" "$HERE/Setup.local")"
  [ -f "$BUILD/cpython/Makefile" ] && [ "$(cat "$BUILD/cpython/configure.stamp" 2>/dev/null)" = "$desc" ] && return
  log "Configuring CPython $PYTHON_VERSION for wasm32-wasi"
  rm -rf "$BUILD/cpython-src" "$BUILD/cpython" && mkdir -p "$BUILD/cpython-src" "$BUILD/cpython/Modules"
  tar xzf "$BUILD/downloads/$PYTHON_TARBALL" -C "$BUILD/cpython-src" --strip-components=1
  # CPython's own WASI settings, then ours.
  cat "$BUILD/cpython-src/Tools/wasm/config.site-wasm32-wasi" "$HERE/config.site" >"$BUILD/config.site"
  # Modules/Setup.local must exist for WASI builds.
  cp "$HERE/Setup.local" "$BUILD/cpython/Modules/Setup.local"
  (cd "$BUILD/cpython" && env "${env[@]}" "${NICE[@]}" ../cpython-src/configure -C "${args[@]}" >configure.log 2>&1) ||
    { tail -30 "$BUILD/cpython/configure.log"; die "configure failed (see $BUILD/cpython/configure.log)"; }
  printf '%s' "$desc" >"$BUILD/cpython/configure.stamp"
}

make_cpython() {
  log "Compiling CPython (make -j$JOBS)"
  (cd "$BUILD/cpython" && "${NICE[@]}" make -j"$JOBS" EXTRA_CFLAGS="$BUILD_DATE_FLAGS" python.wasm pybuilddir.txt >make.log 2>&1) ||
    { tail -40 "$BUILD/cpython/make.log"; die "make failed (see $BUILD/cpython/make.log)"; }
  # No unoptimized object may slip in: every compile line must carry our -O level and no other.
  local bad
  bad="$(grep -E '(^| )clang .* -c ' "$BUILD/cpython/make.log" | grep -E -- ' -O(0|1|s|z|g)( |$)' | head -3 || true)"
  [ -z "$bad" ] || die "a compile line uses another optimization level: $bad"
  grep -q -- "-fwrapv $OPT_FLAGS" "$BUILD/cpython/Makefile" || die "OPT in the Makefile is not '$OPT_FLAGS'"
}

link_entry() {
  log "Linking the sandbox entry module"
  (cd "$BUILD/cpython" && "${NICE[@]}" make -f Makefile -f "$HERE/entry.mk" EXTRA_CFLAGS="$BUILD_DATE_FLAGS" ENTRY_SRC="$HERE/entry.c" sandbox-python.wasm >entry.log 2>&1) ||
    { tail -30 "$BUILD/cpython/entry.log"; die "linking the entry module failed"; }
}

# --- standard library -----------------------------------------------------------------------------------

build_stdlib_zip() {
  log "Standard library zip"
  mkdir -p "$BUILD/root/usr/local/lib"
  local platlib
  platlib="$BUILD/cpython/$(cat "$BUILD/cpython/pybuilddir.txt")"
  # Build paths in _sysconfigdata are replaced, so that the zip does not depend on where it was built.
  "$BUILD_PYTHON" "$HERE/make_stdlib_zip.py" "$BUILD/cpython-src/Lib" "$platlib" "$HERE/stdlib-exclude.txt" \
    "$HERE/sandbox_runtime.py" "$BUILD/root/usr/local/lib/python311.zip" "$BUILD=/build" "$REPO=/src"
}

# --- pre-initialization ---------------------------------------------------------------------------------

snapshot() {
  log "Pre-initializing with Wizer"
  # The guest sees "/" as its only preopen, as the sandbox's WASI layer presents it at run time: wasi-libc
  # keeps the preopen table it found during initialization. No environment and no standard streams (each
  # run opens its own): what the interpreter learns of the build machine's streams would end up in the
  # snapshot. When initialization fails, it runs again with the streams, to show why.
  local wizer=("$REPO/node_modules/.bin/wizer" --allow-wasi --init-func sandbox_initialize --inherit-env false
    --mapdir "/::$BUILD/root" --wasm-bulk-memory true -o "$BUILD/python.wasm" "$BUILD/cpython/sandbox-python.wasm")
  "${NICE[@]}" "${wizer[@]}" --inherit-stdio false ||
    { "${wizer[@]}" --inherit-stdio true; die "pre-initialization failed"; }
}

# --- outputs --------------------------------------------------------------------------------------------

# CPython's license next to the runtime; those of the libraries linked into it (and of the parts CPython
# bundles: expat, libmpdec, in its license.rst) under licenses/.
collect_licenses() {
  cp "$BUILD/cpython-src/LICENSE" "$HERE/LICENSE"
  rm -rf "$HERE/licenses" && mkdir -p "$HERE/licenses"
  cp "$BUILD/cpython-src/Doc/license.rst" "$HERE/licenses/cpython-license.rst"
  cp "$BUILD/cpython-src/Modules/expat/COPYING" "$HERE/licenses/expat-COPYING"
  cp "$BUILD/zlib/LICENSE" "$HERE/licenses/zlib-LICENSE"
  cp "$BUILD/sqlite/src/LICENSE.md" "$HERE/licenses/sqlite-LICENSE.md"
  cp "$BUILD/bzip2/LICENSE" "$HERE/licenses/bzip2-LICENSE"
  cp "$BUILD/xz/COPYING" "$HERE/licenses/xz-COPYING"
  cp /usr/share/doc/wasi-libc/copyright "$HERE/licenses/wasi-libc-copyright"
  cp /usr/share/doc/libclang-rt-14-dev-wasm32/copyright "$HERE/licenses/compiler-rt-copyright"
}

finish() {
  collect_licenses
  log "Compressing and recording"
  node "$HERE/finish.mjs" "$BUILD" "$HERE" \
    "python=$PYTHON_TARBALL:$PYTHON_SHA256" "zlib=$ZLIB_TARBALL:$ZLIB_SHA256" "sqlite=$SQLITE_TARBALL:$SQLITE_SHA256" \
    "bzip2=$BZIP2_TARBALL:$BZIP2_SHA256" "xz=$XZ_TARBALL:$XZ_SHA256" \
    "clang=$(clang --version | head -1)" "wasi-libc=$(dpkg-query -W -f='${Version}' wasi-libc 2>/dev/null || echo unknown)" \
    "wizer=$("$REPO/node_modules/.bin/wizer" --version)" "build-python=$("$BUILD_PYTHON" --version)" \
    "cflags=$OPT_FLAGS $WASM_FEATURES" "opt=$(grep '^OPT=' "$BUILD/cpython/Makefile" | cut -d= -f2- | xargs)" \
    "config-args=$(grep '^CONFIG_ARGS=' "$BUILD/cpython/Makefile" | cut -d= -f2- | xargs | sed "s|$BUILD|/build|g; s|$REPO|/src|g")"
}

ensure_toolchain
mkdir -p "$BUILD" "$BUILD/no-pkgconfig"
PYRT_CONFIGURE_EXTRA="${PYRT_CONFIGURE_EXTRA:-}"
# PYRT_UNTIL=<step> stops after that step (for working on the build itself).
for step in fetch_sources make_sysroot build_zlib build_sqlite build_bzip2 build_xz configure_cpython make_cpython link_entry build_stdlib_zip snapshot finish; do
  "$step"
  [ "$step" != "${PYRT_UNTIL:-}" ] || exit 0
done
