"""Builds the runtime's standard library zip (python311.zip), byte for byte reproducibly.

Usage: python3.11 make_stdlib_zip.py LIB_DIR PLATLIB_DIR EXCLUDE_FILE RUNTIME_MODULE OUTPUT [OLD=NEW ...]

Every module goes in as source (for tracebacks) and as bytecode compiled by this interpreter, which must be
the version being built. The bytecode is "unchecked hash-based" (PEP 552): it is never compared with the
source, so no timestamps are involved. Entries are stored uncompressed (the shipped file is compressed as
a whole) in sorted order with a fixed date. OLD=NEW pairs replace build paths in _sysconfigdata.
"""
import importlib.util
import io
import marshal
import os
import pprint
import sys
import zipfile

ZIP_PREFIX = "/usr/local/lib/python311.zip/"
DATE = (1980, 1, 1, 0, 0, 0)


def read_excludes(path):
    with open(path, encoding="utf-8") as handle:
        return [line.strip() for line in handle if line.strip() and not line.startswith("#")]


def excluded(rel, excludes):
    return any(rel == e or (e.endswith("/") and rel.startswith(e)) for e in excludes)


def sources(lib_dir, platlib_dir, excludes, runtime_module):
    found = {}
    for root, dirs, files in os.walk(lib_dir):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            full = os.path.join(root, name)
            rel = os.path.relpath(full, lib_dir).replace(os.sep, "/")
            if not excluded(rel, excludes):
                found[rel] = full
    for name in sorted(os.listdir(platlib_dir)):
        if name.startswith("_sysconfigdata") and name.endswith(".py"):
            found[name] = os.path.join(platlib_dir, name)
    found["_sandbox_runtime.py"] = runtime_module
    return found


def bytecode(source, rel):
    code = compile(source, ZIP_PREFIX + rel, "exec", dont_inherit=True, optimize=0)
    source_hash = importlib.util.source_hash(source)
    # Header: magic, flags (0b01: hash-based, unchecked), source hash, then the code object.
    return importlib.util.MAGIC_NUMBER + (1).to_bytes(4, "little") + source_hash + marshal.dumps(code)


def relocated_sysconfigdata(source, pairs):
    """The build's configuration variables with build paths replaced, printed again as sysconfig does
    (pprint's line breaks depend on the lengths of the strings, and so on the build paths)."""
    namespace = {}
    exec(source, namespace)
    variables = {}
    for key, value in namespace["build_time_vars"].items():
        if isinstance(value, str):
            for old, new in pairs:
                value = value.replace(old, new)
        variables[key] = value
    text = "# system configuration generated and used by the sysconfig module\nbuild_time_vars = "
    return (text + pprint.pformat(variables) + "\n").encode()


def entry(name):
    info = zipfile.ZipInfo(name, DATE)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = (0o40755 if name.endswith("/") else 0o100644) << 16
    info.create_system = 3
    return info


def main():
    lib_dir, platlib_dir, exclude_file, runtime_module, output, *replacements = sys.argv[1:]
    pairs = [r.split("=", 1) for r in replacements]
    files = sources(lib_dir, platlib_dir, read_excludes(exclude_file), runtime_module)
    members = {}
    for rel, full in files.items():
        with open(full, "rb") as handle:
            source = handle.read()
        if rel.startswith("_sysconfigdata"):
            source = relocated_sysconfigdata(source, pairs)
        members[rel] = source
        members[rel + "c"] = bytecode(source, rel)
        parts = rel.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            members.setdefault("/".join(parts[:depth]) + "/", b"")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(members):
            archive.writestr(entry(name), members[name])
    with open(output, "wb") as handle:
        handle.write(buffer.getvalue())
    print(f"{output}: {len(files)} modules, {len(buffer.getvalue())} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
