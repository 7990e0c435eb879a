# Sandbox Executor: Python proxy.
#
# Reads SIP frames (1 byte mode, 4 bytes big-endian length, JSON payload) from standard input, calls the
# requested function of the user's module, and writes a result frame (b"R", 4 bytes big-endian length,
# JSON) to the result channel. User output goes to stdout/stderr untouched.
#
# Start-up cost matters (a fresh interpreter per call), so this file imports only built-in modules:
# `json` and `re` alone would add ~100 ms. JSON is handled by the C accelerator `_json`.
#
# Placeholders, filled by the generator: {{USER_CODE_PATH}}, {{USER_FILENAME}}, {{USER_MODULE}}, {{SETUP_PATH}}, {{PACKAGE_PATHS_PATH}}, and the
# proxy contract of src/protocol/proxy-contract.ts (devices, frame bytes, wire tags, limits).

import sys
import posix
import _json
import binascii
import time
import math
import builtins
import _ast
import gc

USER_CODE_PATH = "{{USER_CODE_PATH}}"
USER_FILENAME = "{{USER_FILENAME}}"
USER_MODULE = "{{USER_MODULE}}"
# A template's setup code, run once before the first request when the file exists.
SETUP_PATH = "{{SETUP_PATH}}"
# The packages' folders for sys.path, one a line, when the call has packages. A file rather than PYTHONPATH:
# an interpreter initialized ahead of time (a snapshot) has read its environment already.
PACKAGE_PATHS_PATH = "{{PACKAGE_PATHS_PATH}}"
WORKDIR = "{{WORKDIR}}"

RESULT_DEVICE = "{{RESULT_DEVICE}}"
CONTROL_DEVICE = "{{CONTROL_DEVICE}}"
FRAME_HEADER_BYTES = {{FRAME_HEADER_BYTES}}
RESULT_MARK = b"{{RESULT_MARK}}"
SIP_PERSISTENT = b"{{SIP_PERSISTENT}}"
TAG_PREFIX = "{{WIRE_TAG_PREFIX}}"
TAG_BIGINT = "{{WIRE_BIGINT}}"
TAG_BYTES = "{{WIRE_BYTES}}"
TAG_FLOAT = "{{WIRE_FLOAT}}"
TAG_OBJECT = "{{WIRE_OBJECT}}"
MAX_SAFE_INTEGER = {{MAX_SAFE_INTEGER}}
WIRE_MAX_DEPTH = {{WIRE_MAX_DEPTH}}


def _proxy_filename():
    # The file name compiled into this proxy's code (also right when running from a precompiled .pyc).
    return _proxy_filename.__code__.co_filename


PROXY_FILE = _proxy_filename()

# The result channel only opens once: the proxy takes it before any user code runs.
_result_fd = posix.open(RESULT_DEVICE, posix.O_WRONLY)
_control_fd = posix.open(CONTROL_DEVICE, posix.O_WRONLY)


def _sandbox_sleep(seconds):
    """time.sleep for WASI: the host blocks the thread (no busy loop), and the time counts toward timeouts."""
    seconds = float(seconds)
    if seconds != seconds or seconds < 0:
        raise ValueError("sleep length must be non-negative")
    posix.write(_control_fd, b"sleep %d" % int(seconds * 1e9))


# This interpreter's own time.sleep fails with ENOTSUP under WASI.
time.sleep = _sandbox_sleep


def _exit(code=None):
    raise SystemExit(code)


# exit() and quit() come from the site module, which -S leaves out; scripts call them anyway.
builtins.exit = builtins.quit = _exit


def _input(prompt=""):
    """input() as Python reads a line when standard input is not a terminal: the prompt goes to stdout.

    The sandbox's streams look like terminals, for which Python would write the prompt to stderr.
    """
    if prompt is not None:
        sys.stdout.write(str(prompt))
    for stream in (sys.stderr, sys.stdout):
        try:
            stream.flush()
        except BaseException:
            pass
    line = sys.stdin.readline()
    if not line:
        raise EOFError("EOF when reading a line")
    return line[:-1] if line[-1:] == "\n" else line


builtins.input = _input

# Stdout is a pipe, so Python would buffer it in 8 KB blocks: make it line-buffered, like a terminal, so
# that live output arrives a line at a time (stderr already is).
sys.stdout.reconfigure(line_buffering=True)

# The first compile() in a fresh interpreter sets up the parser (~8 ms). Pay it here, before the proxy
# waits for its request: a pre-started instance then answers without it.
compile("async def _warm(a, b=1, *c, d, **e):\n    return [a, {b: c}, (d, e), f'{a!r}', lambda: (yield)]\n", "<warm-up>", "exec")


class ProxyError(Exception):
    """A failure of the proxy itself, not of the user's code."""


class SerializationError(Exception):
    """The return value cannot be represented on the wire."""


# --- SIP input --------------------------------------------------------------------------------------


def _read_exact(count):
    chunks = []
    left = count
    while left > 0:
        chunk = posix.read(0, left)
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _read_frame():
    header = _read_exact(FRAME_HEADER_BYTES)
    if header is None:
        return None, None
    mode = header[0:1]
    length = int.from_bytes(header[1:], "big")
    body = _read_exact(length) if length else b""
    if body is None:
        raise ProxyError("standard input ended inside a SIP frame")
    return mode, body


_SPECIAL_FLOATS = {"nan": float("nan"), "inf": float("inf"), "-inf": float("-inf"), "-0": -0.0}


def _decode_tag(obj):
    if len(obj) == 1:
        for key in obj:
            if key[:1] == TAG_PREFIX:
                value = obj[key]
                if key == TAG_BIGINT:
                    return int(value)
                if key == TAG_BYTES:
                    return binascii.a2b_base64(value)
                if key == TAG_FLOAT:
                    # A special value, or a float whose integral value JSON would give as an integer.
                    special = _SPECIAL_FLOATS.get(value)
                    return float(value) if special is None else special
                if key == TAG_OBJECT:
                    return dict(value)
                raise ProxyError("unknown wire tag " + key)
    return obj


class _ScannerContext:
    strict = True
    object_hook = staticmethod(_decode_tag)
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = None
    memo = {}


class _PlainScannerContext(_ScannerContext):
    object_hook = None


_scan = _json.make_scanner(_ScannerContext())
# Every wire tag is a key starting with TAG_PREFIX, which JSON writes as '"' + TAG_PREFIX: a payload
# without that holds no tag, and is read without looking at every object for one.
_scan_plain = _json.make_scanner(_PlainScannerContext())
_TAG_MARK = '"' + TAG_PREFIX


def _decode_payload(body):
    text = body.decode("utf-8")
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    # What JSON builds holds no cycle: the collector has nothing to find in it, and going through every
    # new container while a large value is read would take as long as reading it.
    collecting = gc.isenabled()
    gc.disable()
    try:
        value, end = (_scan if _TAG_MARK in text else _scan_plain)(text, 0)
    finally:
        if collecting:
            gc.enable()
        sys.set_int_max_str_digits(previous)
    return value


# --- result output ----------------------------------------------------------------------------------

_encode_json = _json.make_encoder(None, None, _json.encode_basestring_ascii, None, ":", ",", False, False, False)


class _WireJson:
    """A value already written as wire JSON (ASCII text), which _send writes into its frame as it is."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


def _wire_json(value):
    """The wire JSON of a return value, as _wire gives it.

    A list or dict is first written by the C encoder, which is right for any value that needs no wire
    tag; the text then says whether it might have needed one, and only then does the (slower) walk of
    _wire write it instead. Either raises SerializationError for what cannot be sent.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        kind = type(value)
        text = _tagless_json(value) if kind is list or kind is dict or kind is tuple else None
        if text is None:
            text = "".join(_encode_json(_wire(value), 0))
        return _WireJson(text)
    finally:
        if collecting:
            gc.enable()


def _tagless_default(value):
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError("needs the walk")


# Without markers: a circular value is stopped by the recursion limit, like one nested too deep.
_tagless_encoder = _json.make_encoder(None, _tagless_default, _json.encode_basestring_ascii, None, ":", ",", False, False, False)
# Where the C encoder's text would need a tag: an object whose first key starts with the tag prefix
# (maybe its only key), or an integer beyond MAX_SAFE_INTEGER (16 digits or more right after a bracket,
# a comma or a colon). Neither can be inside a string, whose quotes are escaped. A long float can look
# like such an integer (1234567890123456.0): a false alarm, which the walk settles. (A negative zero is
# written -0.0, which JSON readers read as a negative zero.)
_TAG_LIKE_OBJECT = "{" + _TAG_MARK
_DIGITS_TO_ZERO = str.maketrans("123456789", "000000000")
_SIXTEEN_DIGITS = "0" * 16
_BIG_INTEGERS = tuple(before + sign + _SIXTEEN_DIGITS for before in "[,:" for sign in ("", "-"))


def _tagless_json(value):
    """The JSON of a list or dict that needs no wire tag, from the C encoder; None when the walk must decide."""
    # The C encoder counts the levels of a value against the recursion limit: a limit set WIRE_MAX_DEPTH
    # above the frames now running lets it write a little less deep than WIRE_MAX_DEPTH, and sends
    # anything deeper, or circular, to the walk, which reports it.
    depth = 0
    frame = sys._getframe()
    while frame is not None:
        depth += 1
        frame = frame.f_back
    limit = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(depth + WIRE_MAX_DEPTH)
        # NaN and infinities, bytes and other objects, integers too long for str(), keys of other types:
        # all refused by this encoder, all handled by the walk.
        text = "".join(_tagless_encoder(value, 0))
    except Exception:
        return None
    finally:
        sys.setrecursionlimit(limit)
    if _TAG_LIKE_OBJECT in text:
        return None
    digits = text.translate(_DIGITS_TO_ZERO)
    for mark in _BIG_INTEGERS:
        if mark in digits:
            return None
    return text


class _Unwritable(Exception):
    """Raised inside the walk of _wire; each container it unwinds through adds its step to the path."""

    def __init__(self, what, where="always"):
        self.what = what
        self.where = where  # "always", "unless-root" or "never": when the message names the path
        self.steps = []

    def message(self, path):
        for step in reversed(self.steps):
            path += step
        if self.where == "never" or (self.where == "unless-root" and not self.steps):
            return self.what[0] + self.what[1]
        return self.what[0] + " at " + path + self.what[1]


def _wire(value, path="result", active=None):
    """Converts a return value into wire JSON (see src/protocol/wire-value.ts).

    Raises SerializationError naming where in the value (from `path`) what cannot be sent is.
    """
    try:
        return _walk(value, set() if active is None else active)
    except _Unwritable as problem:
        raise SerializationError(problem.message(path)) from None


def _walk(value, active):
    kind = type(value)
    if value is None or kind is bool or kind is str:
        return value
    if kind is int:
        if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            return value
        return {TAG_BIGINT: _int_text(value)}
    if kind is float:
        if value != value:
            return {TAG_FLOAT: "nan"}
        if value in (math.inf, -math.inf):
            return {TAG_FLOAT: "inf" if value > 0 else "-inf"}
        if value == 0.0 and math.copysign(1.0, value) < 0:
            return {TAG_FLOAT: "-0"}
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {TAG_BYTES: binascii.b2a_base64(bytes(value), newline=False).decode("ascii")}
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return _walk(int(value), active)
    if isinstance(value, float):
        return _walk(float(value), active)
    if isinstance(value, str):
        # The string itself, as the C encoder writes it (str() could run a subclass's __str__).
        return str.__str__(value)
    if isinstance(value, (list, tuple, set, frozenset, dict)):
        marker = id(value)
        if marker in active:
            raise _Unwritable(("circular reference", ""))
        if len(active) >= WIRE_MAX_DEPTH:
            raise _Unwritable(("return value is nested deeper than %d levels" % WIRE_MAX_DEPTH, ""), "never")
        active.add(marker)
        try:
            if isinstance(value, dict):
                out = {}
                for key, item in value.items():
                    name = key if type(key) is str else _key_text(key)
                    try:
                        out[name] = _walk(item, active)
                    except _Unwritable as problem:
                        problem.steps.append("[" + repr(name) + "]")
                        raise
                if len(out) == 1:
                    for name in out:
                        if name[:1] == TAG_PREFIX:
                            return {TAG_OBJECT: [[name, out[name]]]}
                return out
            out = []
            append = out.append
            try:
                for item in value:
                    append(_walk(item, active))
            except _Unwritable as problem:
                problem.steps.append("[%d]" % len(out))
                raise
            return out
        finally:
            active.discard(marker)
    raise _Unwritable(("return value of type '" + _type_name(value) + "'", " is not serializable"), "unless-root")


def _int_text(value):
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return str(value)
    finally:
        sys.set_int_max_str_digits(previous)


def _key_text(key):
    if isinstance(key, str):
        return str.__str__(key)
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, (int, float)):
        return repr(key) if isinstance(key, float) else _int_text(key)
    raise _Unwritable(("dict key of type '" + _type_name(key) + "'", " is not serializable"))


def _type_name(value):
    kind = type(value)
    module = getattr(kind, "__module__", "builtins")
    if module in ("builtins", USER_MODULE, None):
        return kind.__qualname__
    return module + "." + kind.__qualname__


def _write_all(fd, data):
    view = memoryview(data)
    while view:
        written = posix.write(fd, view)
        view = view[written:]


# Number of the call being served, echoed in its result frame so that the host never takes an answer
# for another call's.
_call_number = None


def _send(frame):
    frame["call"] = _call_number
    value = frame.get("value")
    if type(value) is _WireJson:
        # Written already: the frame is written around it, in pieces, so that a large value is not copied.
        del frame["value"]
        pieces = ("".join(_encode_json(frame, 0))[:-1].encode("ascii"), b',"value":', value.text.encode("ascii"), b"}")
    else:
        pieces = ("".join(_encode_json(frame, 0)).encode("ascii"),)
    _flush_user_streams()
    length = 0
    for piece in pieces:
        length += len(piece)
    _write_all(_result_fd, RESULT_MARK + length.to_bytes(FRAME_HEADER_BYTES - 1, "big"))
    for piece in pieces:
        _write_all(_result_fd, piece)


def _flush_user_streams():
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


# --- errors -----------------------------------------------------------------------------------------

_user_lines = []
# The source lines of every file of user code, by the name tracebacks give it: the user's file, and each
# snippet of a context (snippet_N.py).
_user_sources = {USER_FILENAME: _user_lines}


def _frames(tb):
    """(filename, line, function) of the traceback entries worth showing.

    The proxy's own frames and the machinery before the first frame of user code (the event loop of an
    async call, for instance) are left out; what user code called (the standard library, say) stays.
    """
    entries = []
    while tb is not None:
        code = tb.tb_frame.f_code
        if code.co_filename != PROXY_FILE:
            entries.append((code.co_filename, tb.tb_lineno, code.co_name))
        tb = tb.tb_next
    for index, entry in enumerate(entries):
        if entry[0] in _user_sources:
            return entries[index:]
    return []


def _source_line(filename, line):
    lines = _user_sources.get(filename)
    if lines is not None and 0 < line <= len(lines):
        return lines[line - 1].strip()
    return ""


def _format_one(exc):
    out = []
    if isinstance(exc, SyntaxError) and exc.filename in _user_sources and type(exc).__module__ == "builtins":
        entries = _frames(exc.__traceback__)
        if entries:
            out.append("Traceback (most recent call last):\n")
            out.extend(_format_entries(entries))
        out.append('  File "%s", line %s\n' % (exc.filename, exc.lineno))
        if exc.text:
            text = exc.text.rstrip("\n")
            stripped = text.lstrip()
            out.append("    " + stripped + "\n")
            if exc.offset:
                caret = max(1, exc.offset - (len(text) - len(stripped)))
                out.append("    " + " " * (caret - 1) + "^\n")
        out.append(type(exc).__name__ + ": " + str(exc.msg) + "\n")
        return "".join(out)
    entries = _frames(exc.__traceback__)
    if entries:
        out.append("Traceback (most recent call last):\n")
        out.extend(_format_entries(entries))
    message = _safe_str(exc)
    out.append(_type_name(exc) + (": " + message if message else "") + "\n")
    return "".join(out)


def _format_entries(entries):
    lines = []
    for filename, line, name in entries:
        lines.append('  File "%s", line %d, in %s\n' % (filename, line, name))
        source = _source_line(filename, line)
        if source:
            lines.append("    " + source + "\n")
    return lines


def _format_exception(exc):
    chain = []
    seen = set()
    current = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        if current.__cause__ is not None:
            current = current.__cause__
        elif current.__context__ is not None and not current.__suppress_context__:
            current = current.__context__
        else:
            current = None
    parts = []
    for index in range(len(chain) - 1, -1, -1):
        parts.append(_format_one(chain[index]))
        if index > 0:
            newer = chain[index - 1]
            if newer.__cause__ is chain[index]:
                parts.append("\nThe above exception was the direct cause of the following exception:\n\n")
            else:
                parts.append("\nDuring handling of the above exception, another exception occurred:\n\n")
    return "".join(parts)


def _safe_str(exc):
    try:
        return str(exc)
    except BaseException:
        return "<exception str() failed>"


def _error_line(exc):
    if isinstance(exc, SyntaxError) and exc.filename in _user_sources:
        return exc.lineno or 0
    line = 0
    for filename, number, _ in _frames(exc.__traceback__):
        if filename in _user_sources:
            line = number
    return line


def _error_frame(exc, error_type=None):
    if isinstance(exc, SystemExit):
        code = exc.code
        message = "exit code %s" % (0 if code is None else code) if code is None or isinstance(code, int) else _safe_str(code)
        return {"ok": False, "error": {"type": "SystemExit", "message": message, "traceback": _format_exception(exc), "line": _error_line(exc)}}
    message = exc.msg if isinstance(exc, SyntaxError) and exc.msg else _safe_str(exc)
    return {
        "ok": False,
        "error": {
            "type": error_type or _type_name(exc),
            "message": str(message),
            "traceback": _format_exception(exc),
            "line": _error_line(exc),
        },
    }


# --- calling ----------------------------------------------------------------------------------------

_module = None


def _load_user_module():
    global _module, _user_lines
    with open(USER_CODE_PATH, "rb") as handle:
        source = handle.read()
    _user_lines = source.decode("utf-8", "replace").splitlines()
    _user_sources[USER_FILENAME] = _user_lines
    code = compile(source, USER_FILENAME, "exec", dont_inherit=True)
    module = type(sys)(USER_MODULE)
    module.__file__ = USER_CODE_PATH
    sys.modules[USER_MODULE] = module
    exec(code, module.__dict__)
    _module = module


class _SleepingSelector:
    """The only 'I/O' an event loop can wait for in the sandbox is time."""

    def select(self, timeout=None):
        if timeout is None:
            raise RuntimeError("the coroutine is waiting for something that can never happen in the sandbox")
        if timeout > 0:
            _sandbox_sleep(timeout)
        return []

    def close(self):
        pass


def _run_coroutine(coroutine):
    import asyncio

    class SandboxEventLoop(asyncio.BaseEventLoop):
        # The default loop needs a socket pair, which WASI does not have.
        def __init__(self):
            super().__init__()
            self._selector = _SleepingSelector()

        def _process_events(self, event_list):
            pass

        def _write_to_self(self):
            pass

    loop = SandboxEventLoop()
    asyncio.set_event_loop(loop)
    try:
        return loop.run_until_complete(coroutine)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def _call(payload):
    name = payload["functionName"]
    function = _module.__dict__.get(name)
    if function is None or not callable(function):
        raise NameError("function '%s' is not defined in the user's code" % name)
    result = function(*payload.get("args", ()), **payload.get("kwargs", {}))
    if type(result).__name__ == "coroutine" and hasattr(result, "cr_frame"):
        result = _run_coroutine(result)
    return result


def _serve_one(body):
    global _call_number
    _call_number = None
    try:
        payload = _decode_payload(body)
        _call_number = payload.get("call")
    except BaseException as exc:
        _send(_error_frame(exc, "ProxyError"))
        return
    if not _process_applied:
        _apply_process(payload)
    kind = payload.get("kind")
    if kind == "script" or kind == "snippet":
        return _serve_run(payload, kind)
    if _module is None:
        try:
            _load_user_module()
        except BaseException as exc:
            _send(_error_frame(exc))
            return False
    try:
        result = _call(payload)
    except BaseException as exc:
        _send(_error_frame(exc))
        return True
    try:
        value = _wire_json(result)
    except SerializationError as exc:
        _send({"ok": False, "error": {"type": "SerializationError", "message": str(exc), "traceback": "", "line": 0}})
        return True
    except RecursionError:
        _send({"ok": False, "error": {"type": "SerializationError", "message": "return value is nested too deeply to serialize", "traceback": "", "line": 0}})
        return True
    _send({"ok": True, "value": value})
    return True


# --- scripts and snippets -------------------------------------------------------------------------

_process_applied = False
# Exit status of the proxy: 1 once a script has ended with an uncaught exception, as CPython's.
_exit_status = 0
# The top-level code of the user's file, or of a snippet, compiled with top-level `await` allowed.
_PyCF_ALLOW_TOP_LEVEL_AWAIT = 0x2000
_CO_COROUTINE = 0x0080


def _apply_process(payload):
    """Gives the program the request's environment and arguments, before any user code runs."""
    global _process_applied
    _process_applied = True
    env = payload.get("env")
    if type(env) is list:
        # The proxy's own variables (PYTHONIOENCODING…) go: user code sees the request's alone.
        for key in list(posix.environ):
            posix.unsetenv(key)
        posix.environ.clear()
        for key, value in env:
            name = key.encode("utf-8", "surrogateescape")
            text = str(value).encode("utf-8", "surrogateescape")
            posix.putenv(name, text)
            posix.environ[name] = text
    argv = payload.get("argv")
    if type(argv) is list:
        sys.argv = [USER_FILENAME] + [str(item) for item in argv]


def _run_cell(source, filename, namespace):
    """Runs code in `namespace`; the value of its last statement when that is an expression (a notebook cell's)."""
    _user_sources[filename] = source.decode("utf-8", "replace").splitlines()
    tree = compile(source, filename, "exec", _ast.PyCF_ONLY_AST, dont_inherit=True)
    last = None
    if tree.body and type(tree.body[-1]) is _ast.Expr:
        last = _ast.Expression(tree.body.pop().value)
    _evaluate(compile(tree, filename, "exec", _PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True), namespace)
    if last is None:
        return None
    return _evaluate(compile(last, filename, "eval", _PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True), namespace)


def _evaluate(code, namespace):
    value = eval(code, namespace)
    if code.co_flags & _CO_COROUTINE:
        value = _run_coroutine(value)
    return value


def _main_module():
    """The namespace scripts and snippets run in: __main__, as when Python runs a script."""
    global _module
    if _module is None:
        module = type(sys)("__main__")
        module.__file__ = USER_CODE_PATH
        module.__builtins__ = builtins
        sys.modules["__main__"] = module
        _module = module
    return _module


def _exit_now(exc):
    """SystemExit in a script or snippet ends the program, with its code, as it ends Python."""
    code = exc.code
    if code is None:
        status = 0
    elif isinstance(code, int):
        status = code & 0xFF
    else:
        try:
            print(code, file=sys.stderr)
        except BaseException:
            pass
        status = 1
    _flush_user_streams()
    posix._exit(status)


def _serve_run(payload, kind):
    global _exit_status
    try:
        if kind == "script":
            with open(USER_CODE_PATH, "rb") as handle:
                source = handle.read()
            value = _run_cell(source, USER_FILENAME, _main_module().__dict__)
        else:
            source = str(payload.get("code", "")).encode("utf-8", "surrogatepass")
            value = _run_cell(source, "snippet_%d.py" % int(payload.get("snippet", 0)), _main_module().__dict__)
    except SystemExit as exc:
        _exit_now(exc)
    except BaseException as exc:
        _send(_error_frame(exc))
        _exit_status = 1
        return True
    if value is None:
        _send({"ok": True, "value": None})
        return True
    try:
        wired = _wire(value, "result", set())
    except (SerializationError, RecursionError):
        # A value with no wire form (a module, a function, an object) is shown as Python shows it.
        wired = _safe_repr(value)
    _send({"ok": True, "value": wired})
    return True


def _safe_repr(value):
    try:
        return repr(value)
    except BaseException:
        return "<%s object>" % _type_name(value)


def _add_package_paths():
    try:
        with open(PACKAGE_PATHS_PATH, "rb") as handle:
            paths = handle.read().decode("utf-8").splitlines()
    except OSError:
        return
    sys.path[1:1] = [path for path in paths if path]


def _run_setup():
    # Packages are on sys.path already; what setup imports stays in sys.modules for the calls.
    try:
        with open(SETUP_PATH, "rb") as handle:
            source = handle.read()
    except OSError:
        return
    exec(compile(source, "setup.py", "exec"), {"__name__": "__setup__", "__builtins__": builtins})


def _main():
    try:
        posix.chdir(WORKDIR)
    except OSError:
        pass
    sys.path.insert(0, WORKDIR)
    _add_package_paths()
    _run_setup()
    while True:
        mode, body = _read_frame()
        if mode is None:
            return
        module_ok = _serve_one(body)
        if mode != SIP_PERSISTENT or module_ok is False:
            return


_main()
# Everything the call wrote is flushed and its result is sent: skip interpreter finalization, which costs
# more than the call itself.
_flush_user_streams()
posix._exit(_exit_status)
