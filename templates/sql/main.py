# Sandbox Executor: SQL proxy, a Python program over Python's sqlite3 module.
#
# Reads SIP frames (1 byte mode, 4 bytes big-endian length, JSON payload) from standard input, runs the
# statements of the requested query against the database, and writes a result frame (b"R", 4 bytes
# big-endian length, JSON) to the result channel.
#
# The host has already read the user's SQL (src/languages/sql/script.ts): {{USER_PROGRAM_PATH}} holds its
# statements, where SQLite will end each one, and what binds each parameter, so this file never parses
# SQL itself. The program file:
#   {"database": {"path", "line"} | null, "setup": [statement], "script": query,
#    "queries": {name: query}}
#   setup: what runs when the code loads; queries: the functions a call names by functionName;
#   script: what a request without functionName runs (the code run as a script, executor.run())
#   query: {"result": "rows" | "row" | "value", "statements": [statement]}
#   statement: {"sql", "line", "bind": [["arg", index] | ["kw", name] | null, ...]}
#   (bind: one entry per SQLite parameter number, from 1; null binds NULL)
#
# Placeholders, filled by the generator: {{USER_PROGRAM_PATH}}, {{USER_FILENAME}}, and the proxy
# contract of src/protocol/proxy-contract.ts (devices, frame bytes, wire tags, limits).

import binascii
import json
import math
import posix
import sys

USER_PROGRAM_PATH = "{{USER_PROGRAM_PATH}}"
USER_FILENAME = "{{USER_FILENAME}}"
WORKDIR = "{{WORKDIR}}"

RESULT_DEVICE = "{{RESULT_DEVICE}}"
FRAME_HEADER_BYTES = {{FRAME_HEADER_BYTES}}
RESULT_MARK = b"{{RESULT_MARK}}"
SIP_PERSISTENT = b"{{SIP_PERSISTENT}}"
TAG_PREFIX = "{{WIRE_TAG_PREFIX}}"
TAG_BIGINT = "{{WIRE_BIGINT}}"
TAG_BYTES = "{{WIRE_BYTES}}"
TAG_FLOAT = "{{WIRE_FLOAT}}"
TAG_OBJECT = "{{WIRE_OBJECT}}"
MAX_SAFE_INTEGER = {{MAX_SAFE_INTEGER}}

# The result channel only opens once: the proxy takes it before the database or any SQL is opened.
_result_fd = posix.open(RESULT_DEVICE, posix.O_WRONLY)

# Imported before the proxy waits for its request: a prestarted instance has it ready.
import sqlite3  # noqa: E402

# --- SIP input --------------------------------------------------------------------------------------


def _read_exact(count):
    data = bytearray()
    while len(data) < count:
        chunk = posix.read(0, count - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def _read_frame():
    header = _read_exact(FRAME_HEADER_BYTES)
    if header is None:
        return None, None
    length = int.from_bytes(header[1:], "big")
    body = _read_exact(length)
    if body is None:
        raise EOFError("standard input ended inside a SIP frame")
    return header[0:1], body


_FLOAT_WORDS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf, "-0": -0.0}


def _untag(obj):
    if len(obj) == 1:
        key, value = next(iter(obj.items()))
        if key == TAG_BIGINT:
            return int(value)
        if key == TAG_BYTES:
            return binascii.a2b_base64(value)
        if key == TAG_FLOAT:
            return _FLOAT_WORDS[value] if value in _FLOAT_WORDS else float(value)
        if key == TAG_OBJECT:
            return dict(value)
    return obj


# --- values -----------------------------------------------------------------------------------------


def _parameter(value):
    """A call's argument as SQLite binds it: a list or an object as its JSON text (for json_each() and co.)."""
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return value


def _cell(value):
    """A value SQLite returned, as a wire value (str and None are left to the caller)."""
    kind = type(value)
    if kind is int:
        return value if -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER else {TAG_BIGINT: str(value)}
    if kind is float:
        if value != value:
            return {TAG_FLOAT: "nan"}
        if value in (math.inf, -math.inf):
            return {TAG_FLOAT: "inf" if value > 0 else "-inf"}
        if value == 0.0 and math.copysign(1.0, value) < 0:
            return {TAG_FLOAT: "-0"}
        return value
    if kind is bytes:
        return {TAG_BYTES: binascii.b2a_base64(value, newline=False).decode("ascii")}
    return value


def _row(names, values):
    row = {}
    for name, value in zip(names, values):
        row[name] = value if value is None or type(value) is str else _cell(value)
    if len(row) == 1 and names[0][:1] == TAG_PREFIX:
        # An object whose one key looks like a wire tag travels escaped.
        return {TAG_OBJECT: [[names[0], row[names[0]]]]}
    return row


# --- output -----------------------------------------------------------------------------------------

# Number of the call being served, echoed in its result frame so that the host never takes an answer
# for another call's.
_call_number = None


def _send(frame):
    frame["call"] = _call_number
    body = json.dumps(frame, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode("utf-8")
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    data = memoryview(RESULT_MARK + len(body).to_bytes(FRAME_HEADER_BYTES - 1, "big") + body)
    while data:
        data = data[posix.write(_result_fd, data) :]


class ScriptError(Exception):
    """Something the SQL asks that cannot be done, at a line of the user's code."""

    def __init__(self, message, line, source="", function=None, error_type="ScriptError"):
        super().__init__(message)
        self.line = line
        self.source = source
        self.function = function
        self.error_type = error_type


def _failure(statement, function, exc):
    """The ScriptError of a statement that failed: SQLite refused it, or the sqlite3 module could not convert what it gave."""
    name = getattr(exc, "sqlite_errorname", None) or type(exc).__name__
    message = str(exc)
    if isinstance(exc, MemoryError) and not message:
        message = "out of memory: the statement needs more memory than the sandbox has (memoryLimitMb)"
    sql = statement["sql"]
    offset = sql.count("\n", 0, _error_position(sql, message))
    lines = sql.splitlines() or [""]
    return ScriptError(message, statement["line"] + offset, lines[min(offset, len(lines) - 1)].strip(), function, name)


# The messages of syntax errors that name the token SQLite stopped at.
_TOKEN_MESSAGES = (('near "', '": syntax error'), ('unrecognized token: "', '"'))


def _error_position(sql, message):
    """Where the token a syntax error names stands in `sql` (0 when unknown).

    SQLite gives no offset to Python 3.11, and the token's text may stand earlier too (`x` in `SELECT x, y
    FROM t ORDER x`): the token is the first place where the statement, cut just after it, fails to
    compile with the same message. EXPLAIN compiles a statement without running it.
    """
    token = None
    for before, after in _TOKEN_MESSAGES:
        if message.startswith(before) and message.endswith(after) and len(message) > len(before) + len(after):
            token = message[len(before) : len(message) - len(after)]
    if token is None:
        return 0
    found = sql.find(token)
    for _ in range(200):
        if found < 0:
            return 0
        try:
            _connection.execute("EXPLAIN " + sql[: found + len(token)]).close()
        except sqlite3.Error as exc:
            if str(exc) == message:
                return found
        found = sql.find(token, found + 1)
    return 0


def _error_frame(exc):
    if isinstance(exc, ScriptError):
        where = '  File "%s", line %d%s\n' % (USER_FILENAME, exc.line, "" if exc.function is None else ", in " + exc.function)
        source = "    " + exc.source + "\n" if exc.source else ""
        error = {"type": exc.error_type, "message": str(exc), "traceback": where + source + exc.error_type + ": " + str(exc) + "\n", "line": exc.line}
    else:
        message = str(exc)
        error = {"type": type(exc).__name__, "message": message, "traceback": type(exc).__name__ + (": " + message if message else "") + "\n", "line": 0}
    return {"ok": False, "error": error}


# --- running SQL ------------------------------------------------------------------------------------

_program = None
_connection = None


def _open_database(database):
    if database is None:
        return sqlite3.connect(":memory:", isolation_level=None)
    path, line = database["path"], database["line"]
    source = "-- database: " + path
    if path == ":memory:":
        return sqlite3.connect(":memory:", isolation_level=None)
    try:
        with open(path, "rb") as handle:
            header = handle.read(20)
    except OSError as exc:
        raise ScriptError(
            "unable to open database file %s: %s. Give it in the request's files or a mount; to make a new database, ATTACH it or VACUUM INTO it."
            % (path, exc.strerror or exc),
            line,
            source,
            error_type="SQLITE_CANTOPEN",
        )
    if header[:16] == b"SQLite format 3\x00" and header[18:20] == b"\x02\x02":
        raise ScriptError(
            "%s is in WAL mode, which this SQLite cannot open: switch it to a rollback journal first (PRAGMA journal_mode=DELETE)." % path,
            line,
            source,
            error_type="SQLITE_CANTOPEN",
        )
    uri = "file:" + path.replace("%", "%25").replace("?", "%3f").replace("#", "%23") + "?mode=rw"
    try:
        return sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise ScriptError(str(exc), line, source, error_type=getattr(exc, "sqlite_errorname", None) or type(exc).__name__)


def _load():
    """Reads the program and opens its database, then runs the statements before its first query."""
    global _program, _connection
    with open(USER_PROGRAM_PATH, "rb") as handle:
        _program = json.loads(handle.read())
    _connection = _open_database(_program["database"])
    _run({"result": "rows", "statements": _program["setup"]}, "<setup>", (), {})


def _run(query, function, args, kwargs):
    """Runs a query's statements in order, with the call's arguments, and returns what its last one gives."""
    cursor = _connection.cursor()
    try:
        statements = query["statements"]
        for index, statement in enumerate(statements):
            values = []
            for slot in statement["bind"]:
                if slot is None:
                    values.append(None)
                elif slot[0] == "arg":
                    values.append(_parameter(args[slot[1]]))
                else:
                    values.append(_parameter(kwargs.get(slot[1])))
            try:
                cursor.execute(statement["sql"], values)
                if index < len(statements) - 1:
                    # Every row of an earlier statement is stepped through, as a shell would.
                    for _ in cursor:
                        pass
                    continue
                return _answer(cursor, query["result"])
            except Exception as exc:
                raise _failure(statement, function, exc) from None
        return None
    finally:
        cursor.close()


def _answer(cursor, result):
    if cursor.description is None:
        if result != "rows":
            return None
        return {"changes": max(cursor.rowcount, 0), "lastInsertRowid": _cell(cursor.lastrowid or 0)}
    names = [column[0] for column in cursor.description]
    if result == "rows":
        return [_row(names, values) for values in cursor.fetchall()]
    first = cursor.fetchone()
    if first is None:
        return None
    if result == "row":
        return _row(names, first)
    value = first[0]
    return value if value is None or type(value) is str else _cell(value)


_exit_code = 0


def _serve_one(body):
    """Serves one call; returns False when the code could not be loaded (the proxy then stops)."""
    global _call_number, _exit_code
    _call_number = None
    try:
        payload = json.loads(body.decode("utf-8"), object_hook=_untag)
        _call_number = payload.get("call")
    except BaseException as exc:
        frame = _error_frame(exc)
        frame["error"]["type"] = "ProxyError"
        _send(frame)
        return True
    if _program is None:
        try:
            _load()
        except BaseException as exc:
            _send(_error_frame(exc))
            return False
    name = payload.get("functionName")
    # The one place a script runs: a request that names no function.
    query = _program["script"] if name is None else _program["queries"].get(name)
    try:
        if query is None:
            raise ScriptError("the code has no query named %s" % name, 0, error_type="NameError")
        value = _run(query, "<script>" if name is None else name, payload.get("args") or [], payload.get("kwargs") or {})
    except BaseException as exc:
        _send(_error_frame(exc))
        if name is None:
            # A script that fails ends with exit code 1, as a shell running it would.
            _exit_code = 1
        return True
    _send({"ok": True, "value": value})
    return True


def _main():
    try:
        posix.chdir(WORKDIR)
    except OSError:
        pass
    while True:
        mode, body = _read_frame()
        if mode is None:
            return
        if _serve_one(body) is False or mode != SIP_PERSISTENT:
            return


_main()
# The result is sent. Closing the database rolls back a transaction the code left open and removes its
# journal; interpreter finalization is skipped, as it costs more than the call.
if _connection is not None:
    _connection.close()
posix._exit(_exit_code)
