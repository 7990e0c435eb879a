"""Start-up support of the sandbox's pre-initialized CPython (imported as `_sandbox_runtime` by entry.c).

`initialize()` runs once, when the runtime is built: what it imports and warms up is saved in the WebAssembly
snapshot, so that no run pays for it again. Every run then calls `prepare(argv, environ)`, which applies that
run's arguments, environment and standard streams (nothing seen at build time is kept) and says what to run.
"""

import gc
import io
import posix
import sys

# Imported at build time. Each module costs snapshot memory, which every instance copies when it starts,
# and saves its import time in every run that uses it: the proxy's imports, and what calls commonly use.
PRELOAD = (
    "_json",
    "binascii",
    "math",
    "time",
    "json",
)

# The first compile() sets up the parser; doing it here keeps that out of every run.
WARM_UP = "async def _warm(a, b=1, *c, d, **e):\n    return [a, {b: c}, (d, e), f'{a!r}', lambda: (yield)]\n"

PROGRAM = "python3.11"
USAGE = "usage: %s [option] ... [-c cmd | -m mod | file | -] [arg] ...\n" % PROGRAM
# Options that take no argument and need nothing at run time (their effect is fixed at build time or moot).
ACCEPTED = set("bdEiIOqRsv")


def initialize():
    for name in PRELOAD:
        __import__(name)
    compile(WARM_UP, "<warm-up>", "exec")
    # Everything alive now lives for every run: keep the collector from ever scanning it again.
    gc.collect()
    gc.freeze()


class _Options:
    def __init__(self):
        self.no_site = False
        self.unbuffered = False
        self.ignore_environment = False
        self.dont_write_bytecode = False
        self.safe_path = False
        self.warnoptions = []
        self.xoptions = []


def _decode(arg):
    return arg.decode("utf-8", "surrogateescape")


def _usage_error(message):
    sys.stderr.write("%s\n%sTry `python -h' for more information.\n" % (message, USAGE))
    raise SystemExit(2)


def _parse(args):
    """Parses CPython's command line (decoded): returns (options, kind, target, sys.argv)."""
    options = _Options()
    index = 1
    while index < len(args):
        arg = args[index]
        if arg == "-" or not arg.startswith("-"):
            break
        if arg == "--":
            index += 1
            break
        if arg in ("--version", "-V"):
            sys.stdout.write("Python %s\n" % sys.version.split()[0])
            raise SystemExit(0)
        if arg in ("--help", "-h", "-?"):
            sys.stdout.write(USAGE)
            raise SystemExit(0)
        if arg.startswith("--"):
            _usage_error("unknown option %s" % arg)
        position = 1
        while position < len(arg):
            letter = arg[position]
            position += 1
            if letter in "cmWX":
                value = arg[position:]
                if not value:
                    index += 1
                    if index >= len(args):
                        _usage_error("Argument expected for the -%s option" % letter)
                    value = args[index]
                if letter == "c":
                    return options, "command", value + "\n", ["-c"] + args[index + 1 :]
                if letter == "m":
                    return options, "module", value, ["-m"] + args[index + 1 :]
                (options.warnoptions if letter == "W" else options.xoptions).append(value)
                break
            if letter == "S":
                options.no_site = True
            elif letter == "u":
                options.unbuffered = True
            elif letter == "B":
                options.dont_write_bytecode = True
            elif letter == "P":
                options.safe_path = True
            elif letter in ACCEPTED:
                if letter in "EI":
                    options.ignore_environment = True
                if letter == "I":
                    options.safe_path = True
            else:
                _usage_error("Unknown option: -%s" % letter)
        index += 1
    if index >= len(args):
        return options, "stdin", None, [""]
    if args[index] == "-":
        return options, "stdin", None, args[index:]
    return options, "file", args[index], args[index:]


def _stdio_settings(environ, ignore_environment):
    encoding, errors = "utf-8", None
    setting = "" if ignore_environment else environ.get("PYTHONIOENCODING", "")
    if setting:
        name, _, handler = setting.partition(":")
        encoding = name or encoding
        errors = handler or None
    return encoding, errors


def _open_stream(fd, name, writing, encoding, errors, unbuffered):
    # The same construction as CPython's create_stdio(), for this run's descriptors.
    raw = io.FileIO(fd, "wb" if writing else "rb", closefd=False)
    if writing and unbuffered:
        buffer = raw
    else:
        buffer = io.BufferedWriter(raw) if writing else io.BufferedReader(raw)
    raw.name = name
    line_buffering = not unbuffered and (raw.isatty() or fd == 2)
    stream = io.TextIOWrapper(buffer, encoding, errors, "\n", line_buffering, writing and unbuffered)
    stream.mode = "w" if writing else "r"
    return stream


def _set_streams(environ, options):
    encoding, errors = _stdio_settings(environ, options.ignore_environment)
    sys.stdin = sys.__stdin__ = _open_stream(0, "<stdin>", False, encoding, errors or "surrogateescape", False)
    sys.stdout = sys.__stdout__ = _open_stream(1, "<stdout>", True, encoding, errors or "surrogateescape", options.unbuffered)
    sys.stderr = sys.__stderr__ = _open_stream(2, "<stderr>", True, encoding, "backslashreplace", options.unbuffered)


def _path0(kind, target):
    if kind == "file":
        directory = target.rpartition("/")[0] if "/" in target else ""
        if not directory.startswith("/"):
            cwd = posix.getcwd()
            directory = cwd if not directory else cwd.rstrip("/") + "/" + directory
        return directory or "/"
    return posix.getcwd() if kind == "module" else ""


def prepare(argv, environ):
    """Applies this run's command line and environment (both as bytes, from entry.c); returns (kind, target)
    for entry.c to run: ("file", path as bytes), ("command", str), ("module", str) or ("stdin", None)."""
    # os.environ wraps posix.environ: refill it in place so that both see this run's variables.
    posix.environ.clear()
    posix.environ.update(environ)
    # WASI has no working directory of its own: start in $PWD when the host gives one, as a shell would.
    if b"PWD" in environ:
        try:
            posix.chdir(environ[b"PWD"])
        except OSError:
            pass
    args = [_decode(arg) for arg in argv]
    options, kind, target, program_argv = _parse(args)
    _set_streams({_decode(k): _decode(v) for k, v in environ.items()}, options)
    sys.orig_argv = args
    sys.argv = program_argv
    sys.dont_write_bytecode = options.dont_write_bytecode
    if options.warnoptions:
        sys.warnoptions.extend(options.warnoptions)
        if "warnings" in sys.modules:
            sys.modules["warnings"]._processoptions(options.warnoptions)
    for value in options.xoptions:
        key, _, setting = value.partition("=")
        sys._xoptions[key] = setting or True
    if "random" in sys.modules:
        # A generator seeded at build time would repeat the same numbers in every run.
        sys.modules["random"].seed()
    if kind == "file":
        try:
            with open(target, "rb"):
                pass
        except OSError as error:
            sys.stderr.write("%s: can't open file %r: [Errno %d] %s\n" % (PROGRAM, target, error.errno, error.strerror))
            raise SystemExit(2)
    if not options.no_site:
        # Before sys.path[0] is added, as at CPython's start-up (site makes the paths it sees absolute).
        import site

        site.main()
    if not options.safe_path:
        sys.path.insert(0, _path0(kind, target))
    if kind == "file":
        return kind, target.encode("utf-8", "surrogateescape")
    return kind, target
