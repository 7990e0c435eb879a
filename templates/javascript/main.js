// Sandbox Executor: JavaScript proxy (QuickJS).
//
// Reads SIP frames (1 byte mode, 4 bytes big-endian length, JSON payload) from standard input, imports the
// user's module, calls the requested function (awaiting a returned promise), and writes a result frame
// ("R", 4 bytes big-endian length, JSON) to the result channel. User output goes to stdout/stderr untouched.
//
// Everything that does not depend on the user's code (stream set-up, the console, timers) happens before
// the first read of standard input, where a prestarted instance waits for its call.
//
// The proxy is written in parts, by concern, joined into one program in this order: this file (set-up),
// console.js, timers.js, text.js, frames.js (SIP input, result output), wire.js (wire values),
// errors.js (tracebacks), calls.js (calling the user's function, and the loop that serves calls).
//
// Placeholders, filled by the generator: {{USER_CODE_PATH}}, {{FUNCTIONS_PATH}}, {{PROXY_PATH}}, {{SETUP_PATH}}, and the proxy
// contract of src/protocol/proxy-contract.ts (devices, frame bytes, wire tags, limits).

import * as std from "std";
import { text_encode, text_decode } from "_encoding";

const USER_CODE_PATH = "{{USER_CODE_PATH}}";
// JSON written by the generator: {"options": {name: index of the options object}, "lines": {name: line}}.
const FUNCTIONS_PATH = "{{FUNCTIONS_PATH}}";
const PROXY_PATH = "{{PROXY_PATH}}";
// A template's setup module, imported once before the first request when the file exists.
const SETUP_PATH = "{{SETUP_PATH}}";
// Snippets of a context are written to files of this folder, one each (snippet_N.js), and run from there,
// so that their stack frames name them.
const SNIPPET_PREFIX = "{{SANDBOX_DIR}}/snippet_";

const RESULT_DEVICE = "{{RESULT_DEVICE}}";
const FRAME_HEADER_BYTES = {{FRAME_HEADER_BYTES}};
const RESULT_MARK = "{{RESULT_MARK}}".charCodeAt(0);
const SIP_PERSISTENT = "{{SIP_PERSISTENT}}";
const TAG_PREFIX = "{{WIRE_TAG_PREFIX}}";
const TAG_BIGINT = "{{WIRE_BIGINT}}";
const TAG_BYTES = "{{WIRE_BYTES}}";
const TAG_FLOAT = "{{WIRE_FLOAT}}";
const TAG_OBJECT = "{{WIRE_OBJECT}}";
// Serializing recurses once per level; the interpreter's stack (1 MiB of WebAssembly memory) would trap
// rather than throw when it overflows, at about 2000 levels: far deeper than the contract allows.
const MAX_WIRE_DEPTH = {{WIRE_MAX_DEPTH}};

const MAX_TRACEBACK_FRAMES = 100;

// The result channel only opens once: the proxy takes it before any user code runs.
const resultFile = std.open(RESULT_DEVICE, "wb");
if (resultFile === null) fatal("cannot open the result channel " + RESULT_DEVICE);

const userOut = std.out;
const userErr = std.err;

function fatal(message) {
  userErr.puts("sandbox proxy: " + message + "\n");
  userErr.flush();
  std.exit(70);
}

function flushUserStreams() {
  try { userOut.flush(); } catch (ignored) {}
  try { userErr.flush(); } catch (ignored) {}
}

class SerializationError extends Error {}
SerializationError.prototype.name = "SerializationError";

class UnsettledPromiseError extends Error {}
UnsettledPromiseError.prototype.name = "UnsettledPromiseError";
