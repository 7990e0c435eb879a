// Sandbox Executor: JavaScript proxy (QuickJS).
//
// Reads SIP frames (1 byte mode, 4 bytes big-endian length, JSON payload) from standard input, imports the
// user's module, calls the requested function (awaiting a returned promise), and writes a result frame
// ("R", 4 bytes big-endian length, JSON) to the result channel. User output goes to stdout/stderr untouched.
//
// Everything that does not depend on the user's code (stream set-up, the console, timers) happens before
// the first read of standard input, where a pre-started instance waits for its call.
//
// Placeholders, filled by the generator: {{USER_CODE_PATH}}, {{FUNCTIONS_PATH}}, {{PROXY_PATH}}, and the proxy
// contract of src/protocol/proxy-contract.ts (devices, frame bytes, wire tags, limits).

import * as std from "std";
import { text_encode, text_decode } from "_encoding";

const USER_CODE_PATH = "{{USER_CODE_PATH}}";
// JSON written by the generator: {"options": {name: index of the options object}, "lines": {name: line}}.
const FUNCTIONS_PATH = "{{FUNCTIONS_PATH}}";
const PROXY_PATH = "{{PROXY_PATH}}";

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

// --- console -----------------------------------------------------------------------------------------
// QuickJS has only console.log (which prints objects as "[object Object]"): this console formats values
// on one line much as Node does, sends error/warn/trace to stderr, and flushes after every call so that
// live output arrives a line at a time.

const INSPECT_DEPTH = 2;
const INSPECT_MAX_ITEMS = 100;
const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

function inspect(value, depth, seen) {
  switch (typeof value) {
    case "string": return depth === 0 ? value : quote(value);
    case "number": return Object.is(value, -0) ? "-0" : String(value);
    case "bigint": return value + "n";
    case "symbol": return value.toString();
    case "undefined": return "undefined";
    case "boolean": return String(value);
    case "function": {
      const name = value.name;
      if (/^class[\s{]/.test(Function.prototype.toString.call(value))) return "[class " + (name || "(anonymous)") + "]";
      return "[Function: " + (name || "(anonymous)") + "]";
    }
  }
  if (value === null) return "null";
  if (seen.indexOf(value) >= 0) return "[Circular]";
  if (value instanceof Error) return formatErrorForConsole(value);
  if (value instanceof Date) return isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (value instanceof Promise) return "Promise {}";
  const nested = depth + 1;
  if (depth > INSPECT_DEPTH) {
    if (Array.isArray(value)) return "[Array]";
    return "[" + (constructorName(value) || "Object") + "]";
  }
  seen.push(value);
  try {
    if (Array.isArray(value)) return "[" + listItems(value.length, (i) => inspect(value[i], nested, seen)) + "]";
    if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
      return constructorName(value) + "(" + value.length + ") [" + listItems(value.length, (i) => inspect(value[i], nested, seen)) + "]";
    }
    if (value instanceof ArrayBuffer) return "ArrayBuffer { byteLength: " + value.byteLength + " }";
    if (value instanceof Map) {
      const entries = [];
      value.forEach((item, key) => entries.push(inspect(key, nested, seen) + " => " + inspect(item, nested, seen)));
      return "Map(" + value.size + ") {" + (entries.length ? " " + entries.join(", ") + " " : "") + "}";
    }
    if (value instanceof Set) {
      const items = [];
      value.forEach((item) => items.push(inspect(item, nested, seen)));
      return "Set(" + value.size + ") {" + (items.length ? " " + items.join(", ") + " " : "") + "}";
    }
    const keys = Object.keys(value);
    const body = keys.map((key) => (IDENTIFIER.test(key) ? key : quote(key)) + ": " + inspect(value[key], nested, seen));
    const name = constructorName(value);
    const prefix = name === "Object" ? "" : (name || "[Object: null prototype]") + " ";
    return prefix + (body.length ? "{ " + body.join(", ") + " }" : "{}");
  } finally {
    seen.pop();
  }
}

function listItems(length, item) {
  if (length === 0) return "";
  const shown = [];
  for (let i = 0; i < Math.min(length, INSPECT_MAX_ITEMS); i++) shown.push(item(i));
  if (length > INSPECT_MAX_ITEMS) shown.push("... " + (length - INSPECT_MAX_ITEMS) + " more items");
  return " " + shown.join(", ") + " ";
}

function quote(text) {
  return "'" + text.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n") + "'";
}

function constructorName(value) {
  try {
    const proto = Object.getPrototypeOf(value);
    if (proto === null) return "";
    const ctor = proto.constructor;
    return typeof ctor === "function" && typeof ctor.name === "string" ? ctor.name : "";
  } catch (ignored) {
    return "";
  }
}

function formatErrorForConsole(error) {
  return formatTraceback(error, [], 0).replace(/\s+$/, "");
}

// Node's format specifiers: %s %d %i %f %j %o %O %c %%.
function formatArgs(args) {
  let first = 0;
  let text = "";
  if (typeof args[0] === "string" && args[0].indexOf("%") >= 0) {
    let next = 1;
    text = args[0].replace(/%([sdifjoOc%])/g, (match, spec) => {
      if (spec === "%") return "%";
      if (next >= args.length) return match;
      const arg = args[next++];
      switch (spec) {
        case "s": return typeof arg === "string" ? arg : inspect(arg, 1, []);
        case "d": return typeof arg === "bigint" ? arg + "n" : String(Number(arg));
        case "i": return typeof arg === "bigint" ? arg + "n" : String(parseInt(arg, 10));
        case "f": return String(parseFloat(arg));
        case "j": return safeString(() => JSON.stringify(arg));
        case "c": return "";
        default: return inspect(arg, 1, []);
      }
    });
    first = next;
  } else if (args.length > 0) {
    text = inspect(args[0], 0, []);
    first = 1;
  }
  for (let i = first; i < args.length; i++) text += " " + inspect(args[i], 0, []);
  return text;
}

let groupIndent = "";
const consoleCounters = new Map();
const consoleTimers = new Map();

function writeLine(stream, text) {
  stream.puts((groupIndent ? groupIndent + text.replace(/\n/g, "\n" + groupIndent) : text) + "\n");
  stream.flush();
}

const toStdout = (...args) => writeLine(userOut, formatArgs(args));
const toStderr = (...args) => writeLine(userErr, formatArgs(args));

globalThis.console = {
  log: toStdout,
  info: toStdout,
  debug: toStdout,
  dir: (value) => writeLine(userOut, inspect(value, 0, [])),
  table: toStdout,
  error: toStderr,
  warn: toStderr,
  trace: (...args) => {
    const frames = userFrames(parseStack(safeString(() => new Error().stack)));
    writeLine(userErr, "Trace" + (args.length ? ": " + formatArgs(args) : "") + frames.map((frame) => "\n    " + frame.text).join(""));
  },
  assert: (condition, ...args) => {
    if (!condition) writeLine(userErr, "Assertion failed" + (args.length ? ": " + formatArgs(args) : ""));
  },
  count: (label = "default") => {
    const count = (consoleCounters.get(label) || 0) + 1;
    consoleCounters.set(label, count);
    writeLine(userOut, label + ": " + count);
  },
  countReset: (label = "default") => consoleCounters.delete(label),
  group: (...args) => {
    if (args.length) toStdout(...args);
    groupIndent += "  ";
  },
  groupCollapsed: (...args) => globalThis.console.group(...args),
  groupEnd: () => {
    groupIndent = groupIndent.slice(2);
  },
  time: (label = "default") => consoleTimers.set(label, Date.now()),
  timeLog: (label = "default", ...args) => {
    if (consoleTimers.has(label)) toStdout(label + ": " + (Date.now() - consoleTimers.get(label)) + "ms", ...args);
  },
  timeEnd: (label = "default") => {
    if (consoleTimers.has(label)) toStdout(label + ": " + (Date.now() - consoleTimers.get(label)) + "ms");
    consoleTimers.delete(label);
  },
};

// QuickJS's own print(), flushed like the console.
const nativePrint = globalThis.print;
globalThis.print = function print(...args) {
  nativePrint(...args);
  userOut.flush();
};

// --- timers ------------------------------------------------------------------------------------------
// A call lasts until its promise settles AND the one-shot callbacks it scheduled (setTimeout,
// setImmediate, nextTick) have run, as a Node process would wait for them. Intervals do not keep a call
// alive: they stop when it ends. Tracking the callbacks also tells when a promise can no longer settle:
// nothing is pending and no microtask is left.

const nativeSetTimeout = globalThis.setTimeout;
const nativeClearTimeout = globalThis.clearTimeout;
const nativeSetImmediate = globalThis.setImmediate;
const nativeNextTick = globalThis.nextTick;

/** id -> native handle (undefined when it cannot be cancelled natively) of one-shot callbacks not yet run. */
const pendingCallbacks = new Map();
/** id -> native handle of the next tick of each active interval. */
const activeIntervals = new Map();
let nextTimerId = 1;

function checkCallback(callback) {
  if (typeof callback !== "function") throw new TypeError("The callback must be a function. Received " + inspect(callback, 1, []));
}

/** Runs a timer's callback: an error it throws ends the call, and the proxy rechecks what is pending. */
function runCallback(callback, args) {
  try {
    callback(...args);
  } catch (error) {
    uncaughtError(error);
  } finally {
    afterTimerActivity();
  }
}

function runTracked(id, callback, args) {
  if (!pendingCallbacks.delete(id)) return;
  runCallback(callback, args);
}

function scheduleOnce(schedule, callback, args) {
  checkCallback(callback);
  const id = nextTimerId++;
  pendingCallbacks.set(id, schedule(() => runTracked(id, callback, args)));
  return id;
}

function clearTimer(id) {
  if (pendingCallbacks.has(id)) {
    const handle = pendingCallbacks.get(id);
    pendingCallbacks.delete(id);
    if (typeof handle === "number") nativeClearTimeout(handle);
    afterTimerActivity();
  } else if (activeIntervals.has(id)) {
    nativeClearTimeout(activeIntervals.get(id));
    activeIntervals.delete(id);
    afterTimerActivity();
  }
}

function delayOf(delay) {
  const ms = Number(delay);
  return ms > 0 ? ms : 0;
}

globalThis.setTimeout = function setTimeout(callback, delay, ...args) {
  return scheduleOnce((run) => nativeSetTimeout(run, delayOf(delay)), callback, args);
};
globalThis.setImmediate = function setImmediate(callback, ...args) {
  return scheduleOnce((run) => { nativeSetImmediate(run); return undefined; }, callback, args);
};
globalThis.nextTick = function nextTick(callback, ...args) {
  return scheduleOnce((run) => { nativeNextTick(run); return undefined; }, callback, args);
};
globalThis.setInterval = function setInterval(callback, delay, ...args) {
  checkCallback(callback);
  const id = nextTimerId++;
  const ms = Math.max(1, delayOf(delay));
  const tick = () => {
    if (!activeIntervals.has(id)) return;
    activeIntervals.set(id, nativeSetTimeout(tick, ms));
    runCallback(callback, args);
  };
  activeIntervals.set(id, nativeSetTimeout(tick, ms));
  return id;
};
globalThis.clearTimeout = clearTimer;
globalThis.clearInterval = clearTimer;
globalThis.clearImmediate = clearTimer;
if (typeof globalThis.queueMicrotask !== "function") {
  globalThis.queueMicrotask = function queueMicrotask(callback) {
    checkCallback(callback);
    Promise.resolve().then(() => {
      try {
        callback();
      } catch (error) {
        uncaughtError(error);
      }
    });
  };
}

function cancelAllTimers() {
  for (const handle of pendingCallbacks.values()) if (typeof handle === "number") nativeClearTimeout(handle);
  for (const handle of activeIntervals.values()) nativeClearTimeout(handle);
  pendingCallbacks.clear();
  activeIntervals.clear();
}

// --- text and base64 (also offered to user code, which QuickJS leaves without them) --------------------

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64_VALUES = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) BASE64_VALUES[BASE64.charCodeAt(i)] = i;
BASE64_VALUES["-".charCodeAt(0)] = 62;
BASE64_VALUES["_".charCodeAt(0)] = 63;
const CANONICAL_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** The two characters of each 12-bit value, built on first use (4096 strings). */
let base64Pairs;

// This interpreter has no string builder: `out += piece` copies the whole string every time, so output
// is collected in arrays and joined. Two characters per lookup halve the work of the encoder.
function base64Encode(bytes) {
  if (base64Pairs === undefined) {
    base64Pairs = [];
    for (let i = 0; i < 4096; i++) base64Pairs.push(BASE64[i >> 6] + BASE64[i & 63]);
  }
  const pairs = base64Pairs;
  const parts = [];
  let chunk = [];
  const whole = bytes.length - (bytes.length % 3);
  for (let i = 0; i < whole; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    chunk.push(pairs[n >> 12] + pairs[n & 4095]);
    if (chunk.length === 4096) {
      parts.push(chunk.join(""));
      chunk = [];
    }
  }
  parts.push(chunk.join(""));
  if (whole < bytes.length) {
    const two = whole + 1 < bytes.length;
    const n = (bytes[whole] << 16) | ((two ? bytes[whole + 1] : 0) << 8);
    parts.push(BASE64[n >> 18] + BASE64[(n >> 12) & 63] + (two ? BASE64[(n >> 6) & 63] : "=") + "=");
  }
  return parts.join("");
}

function base64Decode(text) {
  return CANONICAL_BASE64.test(text) && text.length % 4 === 0 ? decodeCanonicalBase64(text) : decodeLenientBase64(text);
}

/** Base64 as the host writes it: groups of four characters, padding only at the end. */
function decodeCanonicalBase64(text) {
  const values = BASE64_VALUES;
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - padding);
  const whole = padding > 0 ? text.length - 4 : text.length;
  let length = 0;
  let i = 0;
  for (; i < whole; i += 4) {
    const n = (values[text.charCodeAt(i)] << 18) | (values[text.charCodeAt(i + 1)] << 12) | (values[text.charCodeAt(i + 2)] << 6) | values[text.charCodeAt(i + 3)];
    out[length++] = n >> 16;
    out[length++] = (n >> 8) & 255;
    out[length++] = n & 255;
  }
  if (padding > 0) {
    const n = (values[text.charCodeAt(i)] << 18) | (values[text.charCodeAt(i + 1)] << 12) | (padding === 1 ? values[text.charCodeAt(i + 2)] << 6 : 0);
    out[length++] = n >> 16;
    if (padding === 1) out[length++] = (n >> 8) & 255;
  }
  return out;
}

/** Any other base64 (atob): whitespace and stray padding are skipped, URL-safe letters accepted. */
function decodeLenientBase64(text) {
  const out = new Uint8Array(Math.floor((text.length * 3) / 4) + 3);
  let length = 0;
  let bits = 0;
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const value = code < 128 ? BASE64_VALUES[code] : -1;
    if (value < 0) continue;
    bits = (bits << 6) | value;
    count++;
    if (count === 4) {
      out[length++] = (bits >> 16) & 255;
      out[length++] = (bits >> 8) & 255;
      out[length++] = bits & 255;
      bits = 0;
      count = 0;
    }
  }
  if (count === 2) out[length++] = (bits >> 4) & 255;
  else if (count === 3) {
    out[length++] = (bits >> 10) & 255;
    out[length++] = (bits >> 2) & 255;
  }
  return out.slice(0, length);
}

function utf8Bytes(text) {
  return new Uint8Array(text_encode(text));
}

if (typeof globalThis.TextEncoder !== "function") {
  globalThis.TextEncoder = class TextEncoder {
    get encoding() { return "utf-8"; }
    encode(text = "") { return utf8Bytes(String(text)); }
  };
}
if (typeof globalThis.TextDecoder !== "function") {
  globalThis.TextDecoder = class TextDecoder {
    constructor(label = "utf-8") {
      if (!/^utf-?8$/i.test(String(label).trim())) throw new RangeError("TextDecoder supports only utf-8 in this sandbox");
    }
    get encoding() { return "utf-8"; }
    decode(input) {
      if (input === undefined) return "";
      const view = ArrayBuffer.isView(input) ? new Uint8Array(input.buffer, input.byteOffset, input.byteLength) : new Uint8Array(input);
      return text_decode(view.slice().buffer);
    }
  };
}
if (typeof globalThis.btoa !== "function") {
  globalThis.btoa = function btoa(text) {
    text = String(text);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code > 255) throw new Error("btoa: the string has characters outside of Latin-1");
      bytes[i] = code;
    }
    return base64Encode(bytes);
  };
  globalThis.atob = function atob(text) {
    const bytes = base64Decode(String(text));
    const parts = [];
    for (let i = 0; i < bytes.length; i += 8192) parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 8192)));
    return parts.join("");
  };
}

// --- SIP input ---------------------------------------------------------------------------------------

const frameHeader = new Uint8Array(FRAME_HEADER_BYTES);

/** The next frame, or null at the end of input. Blocks until the frame has arrived. */
function readFrame() {
  // A FILE that once saw the end of input reports it forever: between persistent calls the channel
  // reports end of input until the next frame is sent.
  std.in.clearerr();
  const got = std.in.read(frameHeader.buffer, 0, FRAME_HEADER_BYTES);
  if (got === 0) return null;
  if (got !== FRAME_HEADER_BYTES) fatal("standard input ended inside a SIP frame header");
  const length = frameHeader[1] * 0x1000000 + ((frameHeader[2] << 16) | (frameHeader[3] << 8) | frameHeader[4]);
  return { mode: String.fromCharCode(frameHeader[0]), text: length > 0 ? std.in.readAsString(length) : "" };
}

function reviveWire(key, value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const keys = Object.keys(value);
  if (keys.length !== 1 || keys[0][0] !== TAG_PREFIX) return value;
  const payload = value[keys[0]];
  switch (keys[0]) {
    case TAG_BIGINT:
      return BigInt(payload);
    case TAG_BYTES:
      return base64Decode(String(payload));
    case TAG_FLOAT:
      switch (payload) {
        case "nan": return NaN;
        case "inf": return Infinity;
        case "-inf": return -Infinity;
        case "-0": return -0;
      }
      // A float whose integral value JSON would give as an integer. Its digits go through BigInt, whose
      // conversion is exact: this interpreter's own reading of long numbers is not.
      if (typeof payload === "string" && /^-?\d+$/.test(payload)) return Number(BigInt(payload));
      if (typeof payload === "string" && payload.trim() !== "" && !isNaN(payload)) return Number(payload);
      throw new SyntaxError("unknown float payload " + JSON.stringify(payload));
    case TAG_OBJECT: {
      const out = {};
      for (const [name, item] of payload) Object.defineProperty(out, name, { value: item, enumerable: true, writable: true, configurable: true });
      return out;
    }
  }
  // Not a wire tag: an ordinary object with one key that starts like one (kwargs are not escaped).
  return value;
}

// --- result output -----------------------------------------------------------------------------------

function serializationError(path, value, hint) {
  const where = path === "result" ? "" : " at " + path;
  return new SerializationError("return value of type '" + valueTypeName(value) + "'" + where + " is not serializable" + (hint ? ": " + hint : ""));
}

function propertyPath(path, key) {
  return IDENTIFIER.test(key) ? path + "." + key : path + "[" + JSON.stringify(key) + "]";
}

/**
 * Whether a number is an integral float beyond 2^53 that JSON writes without an exponent: it travels as
 * `$float` with its exact digits (this interpreter's own printing of such numbers loses precision).
 */
function isUnsafeIntegralFloat(value) {
  return Number.isInteger(value) && !Number.isSafeInteger(value) && Math.abs(value) < 1e21;
}

/** The wire JSON text of a tag, from the JSON text of its payload. */
function taggedText(tag, payloadText) {
  return '{"' + tag + '":' + payloadText + "}";
}

/** The wire JSON text of a return value (see src/protocol/wire-value.ts). */
function wireText(value, path, ancestors) {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "number":
      if (value !== value) return taggedText(TAG_FLOAT, '"nan"');
      if (value === Infinity) return taggedText(TAG_FLOAT, '"inf"');
      if (value === -Infinity) return taggedText(TAG_FLOAT, '"-inf"');
      if (value === 0 && 1 / value < 0) return taggedText(TAG_FLOAT, '"-0"');
      if (isUnsafeIntegralFloat(value)) return taggedText(TAG_FLOAT, '"' + BigInt(value).toString() + '"');
      return String(value);
    case "bigint":
      return taggedText(TAG_BIGINT, '"' + value.toString() + '"');
    case "boolean":
      return value ? "true" : "false";
    case "undefined":
      return "null";
    case "function":
    case "symbol":
      throw serializationError(path, value);
  }
  if (value === null) return "null";
  if (ancestors.indexOf(value) >= 0) throw new SerializationError("circular reference at " + path);
  if (ancestors.length >= MAX_WIRE_DEPTH) throw new SerializationError("return value is nested deeper than " + MAX_WIRE_DEPTH + " levels");
  if (value instanceof Uint8Array) return taggedText(TAG_BYTES, '"' + base64Encode(value) + '"');
  if (value instanceof ArrayBuffer) return taggedText(TAG_BYTES, '"' + base64Encode(new Uint8Array(value)) + '"');
  if (value instanceof DataView) return taggedText(TAG_BYTES, '"' + base64Encode(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)) + '"');
  if (value instanceof Promise) throw serializationError(path, value, "await it before returning");
  ancestors.push(value);
  try {
    if (Array.isArray(value) || ArrayBuffer.isView(value)) {
      const items = [];
      for (let i = 0; i < value.length; i++) items.push(wireText(value[i], path + "[" + i + "]", ancestors));
      return "[" + items.join(",") + "]";
    }
    if (typeof value.toJSON === "function") return wireText(value.toJSON(), path, ancestors);
    if (value instanceof String || value instanceof Number || value instanceof Boolean) return wireText(value.valueOf(), path, ancestors);
    if (value instanceof Set) {
      const items = [];
      let i = 0;
      value.forEach((item) => items.push(wireText(item, path + "[" + i++ + "]", ancestors)));
      return "[" + items.join(",") + "]";
    }
    const entries = [];
    if (value instanceof Map) {
      value.forEach((item, key) => {
        const name = mapKeyText(key, path);
        entries.push([name, wireText(item, propertyPath(path, name), ancestors)]);
      });
    } else {
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) throw serializationError(path, value, "return plain objects, arrays and primitives, or give the class a toJSON() method");
      for (const key of Object.keys(value)) {
        const item = value[key];
        if (item === undefined) continue; // as in JSON
        entries.push([key, wireText(item, propertyPath(path, key), ancestors)]);
      }
    }
    if (entries.length === 1 && entries[0][0][0] === TAG_PREFIX) return taggedText(TAG_OBJECT, "[[" + JSON.stringify(entries[0][0]) + "," + entries[0][1] + "]]");
    return "{" + entries.map((entry) => JSON.stringify(entry[0]) + ":" + entry[1]).join(",") + "}";
  } finally {
    ancestors.pop();
  }
}

function mapKeyText(key, path) {
  switch (typeof key) {
    case "string": return key;
    case "number":
    case "bigint":
    case "boolean": return String(key);
  }
  if (key === null) return "null";
  throw new SerializationError("Map key of type '" + valueTypeName(key) + "' at " + path + " is not serializable");
}

function valueTypeName(value) {
  if (value === null) return "null";
  const type = typeof value;
  if (type === "function") return value.name ? "function " + value.name : "function";
  if (type !== "object") return type;
  return constructorName(value) || Object.prototype.toString.call(value).slice(8, -1);
}

function encodeResult(value) {
  let text;
  try {
    text = fastWireText(value);
  } catch (ignored) {
    // Something the fast path does not handle, or cannot describe: the exact walk says what and where.
  }
  try {
    if (text === undefined) text = wireText(value, "result", []);
    return { ok: true, text: '{"ok":true,"value":' + text + "}" };
  } catch (error) {
    if (error instanceof SerializationError) return { ok: false, error: { type: "SerializationError", message: error.message, traceback: "", line: 0 } };
    if (isStackOverflow(error)) return { ok: false, error: { type: "SerializationError", message: "return value is nested too deeply to serialize", traceback: "", line: 0 } };
    // A getter or toJSON() of the user's threw.
    return { ok: false, error: describeError(error) };
  }
}

// The fast path: the engine's own JSON.stringify, with a replacer for what JSON cannot say. It is several
// times faster than walking the value in JavaScript. It gives up (throws, or returns undefined) on
// anything unusual: values that cannot be sent, cycles, user objects with a "$" key (which may need the
// $object escape); wireText() then handles the value and names the problem.

/** Prototype of the tag objects the replacer creates, to tell them from user objects with "$" keys. */
const WIRE_TAG = Object.freeze(Object.create(null));
let replacerHolders = [];
let replacerLastObject = null;
let replacerSawDollarKey = false;

function wireTag(tag, payload) {
  const object = Object.create(WIRE_TAG);
  object[tag] = payload;
  replacerLastObject = object;
  return object;
}

function fastWireText(value) {
  replacerHolders = [];
  replacerLastObject = null;
  replacerSawDollarKey = false;
  try {
    const text = JSON.stringify(value, wireReplacer);
    if (replacerSawDollarKey) return undefined;
    return text === undefined ? "null" : text;
  } finally {
    replacerHolders = [];
    replacerLastObject = null;
  }
}

function wireReplacer(key, value) {
  // Track the nesting depth from the holders: JSON.stringify descends into the value the replacer just
  // returned, and comes back up to a holder already on the stack.
  const holders = replacerHolders;
  if (this !== holders[holders.length - 1]) {
    if (this === replacerLastObject) holders.push(this);
    else {
      while (holders.length > 0 && holders[holders.length - 1] !== this) holders.pop();
      if (holders.length === 0) holders.push(this);
    }
  }
  if (key[0] === TAG_PREFIX && Object.getPrototypeOf(this) !== WIRE_TAG && !Array.isArray(this)) replacerSawDollarKey = true;
  switch (typeof value) {
    case "number":
      if (value !== value) return wireTag(TAG_FLOAT, "nan");
      if (value === Infinity) return wireTag(TAG_FLOAT, "inf");
      if (value === -Infinity) return wireTag(TAG_FLOAT, "-inf");
      if (value === 0 && 1 / value < 0) return wireTag(TAG_FLOAT, "-0");
      if (isUnsafeIntegralFloat(value)) return wireTag(TAG_FLOAT, BigInt(value).toString());
      return value;
    case "string":
    case "boolean":
    case "undefined":
      return value;
    case "bigint":
      return wireTag(TAG_BIGINT, value.toString());
    case "function":
    case "symbol":
      throw new SerializationError("not serializable");
  }
  if (value === null) return null;
  if (holders.length >= MAX_WIRE_DEPTH) throw new SerializationError("too deep");
  const proto = Object.getPrototypeOf(value);
  let out;
  if (proto === Object.prototype || proto === Array.prototype || proto === null) out = value;
  else if (value instanceof Uint8Array) out = wireTag(TAG_BYTES, base64Encode(value));
  else if (value instanceof ArrayBuffer) out = wireTag(TAG_BYTES, base64Encode(new Uint8Array(value)));
  else if (value instanceof DataView) out = wireTag(TAG_BYTES, base64Encode(new Uint8Array(value.buffer, value.byteOffset, value.byteLength)));
  else if (ArrayBuffer.isView(value) || value instanceof Set) out = Array.from(value);
  else if (value instanceof String || value instanceof Number || value instanceof Boolean) return value.valueOf();
  else throw new SerializationError("not serializable"); // Map, class instances, promises…: see wireText
  replacerLastObject = out;
  return out;
}

function isStackOverflow(error) {
  return error instanceof Error && (error.name === "InternalError" || error.name === "RangeError") && /stack overflow|call stack/i.test(String(error.message));
}

// Number of the call being served, echoed first in its result frame so that the host never takes an
// answer for another call's.
let callNumber = null;

function sendFrame(outcome) {
  const json = outcome.ok ? outcome.text : JSON.stringify({ ok: false, error: outcome.error });
  // The JSON's opening brace is replaced by the call number's: a large value is not copied again.
  const prefix = text_encode('{"call":' + (Number.isSafeInteger(callNumber) ? callNumber : "null") + ",");
  const body = text_encode(json);
  const length = prefix.byteLength + body.byteLength - 1;
  flushUserStreams();
  const header = new Uint8Array([RESULT_MARK, (length >>> 24) & 255, (length >>> 16) & 255, (length >>> 8) & 255, length & 255]);
  resultFile.write(header.buffer, 0, FRAME_HEADER_BYTES);
  resultFile.write(prefix, 0, prefix.byteLength);
  resultFile.write(body, 1, body.byteLength - 1);
  resultFile.flush();
}

// --- errors ------------------------------------------------------------------------------------------

function safeString(read) {
  try {
    const value = read();
    return value === undefined || value === null ? "" : String(value);
  } catch (ignored) {
    return "";
  }
}

function isErrorLike(value) {
  return value instanceof Error || (value !== null && typeof value === "object" && "message" in value && "stack" in value);
}

/** The error class: its own name, unless it only inherits "Error" from a subclass that did not set one. */
function errorTypeName(error) {
  const name = safeString(() => error.name);
  const ctor = constructorName(error);
  if (name && (name !== "Error" || !ctor)) return name;
  return ctor || "Error";
}

/** Name of the type of a thrown value that is not an Error (`throw "oops"` gives String). */
function thrownTypeName(value) {
  if (value === null) return "null";
  switch (typeof value) {
    case "string": return "String";
    case "number": return "Number";
    case "bigint": return "BigInt";
    case "boolean": return "Boolean";
    case "symbol": return "Symbol";
    case "undefined": return "undefined";
    case "function": return "Function";
  }
  return constructorName(value) || "Object";
}

function thrownValueText(value) {
  if (typeof value === "string") return value;
  if (value !== null && typeof value === "object") return safeString(() => JSON.stringify(value)) || inspect(value, 1, []);
  return inspect(value, 1, []);
}

/** Frames of a QuickJS stack: "    at name (file:line)", "    at file:line" or "    at name (native)". */
function parseStack(stack) {
  const frames = [];
  for (const text of stack.split("\n")) {
    const match = /^\s*at (.*)$/.exec(text);
    if (!match) continue;
    let location = match[1];
    let functionName = "";
    const call = /^(.*?) \((.*)\)$/.exec(location);
    if (call) {
      functionName = call[1];
      location = call[2];
    }
    const position = /^(.*):(\d+)$/.exec(location);
    frames.push({ text: text.trim(), file: position ? position[1] : location, line: position ? Number(position[2]) : 0, functionName });
  }
  return frames;
}

/**
 * The frames worth showing, innermost first: everything down to the outermost frame of the user's file.
 * The proxy's frames (and anything that called into user code from the proxy) are left out; what user
 * code called (a native function, another module) stays.
 */
function userFrames(frames) {
  let last = -1;
  for (let i = 0; i < frames.length; i++) if (frames[i].file === USER_CODE_PATH) last = i;
  const shown = frames.slice(0, last + 1).filter((frame) => frame.file !== PROXY_PATH);
  for (const frame of shown) {
    if (frame.file !== USER_CODE_PATH || frame.line > 0) continue;
    // QuickJS gives no line while execution is on a function's first line (`function f() { throw … }`):
    // for a top-level function, that line is known.
    const line = functionFact("lines", frame.functionName);
    if (typeof line === "number" && line > 0) {
      frame.line = line;
      frame.text = "at " + frame.functionName + " (" + USER_CODE_PATH + ":" + line + ")";
    }
  }
  return shown;
}

/** The error info of a result frame for a thrown value. Never throws: a call must always get its frame. */
function describeError(thrown) {
  try {
    return describeThrown(thrown);
  } catch (ignored) {
    return { type: "Error", message: "the error thrown by the user's code could not be described", traceback: "", line: 0 };
  }
}

function describeThrown(thrown) {
  if (!isErrorLike(thrown)) {
    // `throw "oops"`: no stack to show, and no line.
    return { type: thrownTypeName(thrown), message: thrownValueText(thrown), traceback: formatTraceback(thrown, [], 0), line: 0 };
  }
  const type = errorTypeName(thrown);
  const message = safeString(() => thrown.message);
  const frames = userFrames(parseStack(safeString(() => thrown.stack)));
  let line = 0;
  for (const frame of frames) {
    if (frame.file === USER_CODE_PATH && frame.line > 0) {
      line = frame.line;
      break;
    }
  }
  if (line === 0 && safeString(() => thrown.fileName) === USER_CODE_PATH) line = Number(thrown.lineNumber) || 0;
  return { type, message, traceback: formatTraceback(thrown, [], 0), line };
}

function formatTraceback(error, seen, depth) {
  if (!isErrorLike(error)) return thrownTypeName(error) + ": " + thrownValueText(error) + "\n";
  let text = errorTypeName(error) + ": " + safeString(() => error.message) + "\n";
  const frames = userFrames(parseStack(safeString(() => error.stack)));
  const shown = frames.length > MAX_TRACEBACK_FRAMES ? frames.slice(0, MAX_TRACEBACK_FRAMES) : frames;
  for (const frame of shown) text += "    " + frame.text + "\n";
  if (frames.length > shown.length) text += "    ... " + (frames.length - shown.length) + " more frames\n";
  seen.push(error);
  let cause;
  try { cause = Object.prototype.hasOwnProperty.call(error, "cause") ? error.cause : undefined; } catch (ignored) {}
  if (cause !== undefined && seen.indexOf(cause) < 0 && depth < 5) text += "Caused by: " + formatTraceback(cause, seen, depth + 1);
  return text;
}

// --- calling -----------------------------------------------------------------------------------------

let userModule;
let userFunctions;

/** What the generator found about the user's function `name` (`options` or `lines`), read when needed. */
function functionFact(kind, name) {
  if (userFunctions === undefined) {
    let parsed = null;
    try { parsed = JSON.parse(std.loadFile(FUNCTIONS_PATH) || "null"); } catch (ignored) {}
    userFunctions = parsed !== null && typeof parsed === "object" ? parsed : {};
  }
  const facts = userFunctions[kind];
  return facts && Object.prototype.hasOwnProperty.call(facts, name) ? facts[name] : undefined;
}

function invoke(payload) {
  const name = payload.functionName;
  const fn = Object.prototype.hasOwnProperty.call(userModule, name) ? userModule[name] : undefined;
  if (typeof fn !== "function") throw new ReferenceError("function '" + name + "' is not defined in the user's code");
  const args = Array.isArray(payload.args) ? payload.args.slice() : [];
  const kwargs = payload.kwargs || {};
  if (Object.keys(kwargs).length > 0) {
    // JavaScript has no keyword arguments: they travel as the trailing options object.
    const index = functionFact("options", name);
    if (index === undefined) throw new TypeError(name + "() does not take an options object, so it cannot receive keyword arguments");
    while (args.length < index) args.push(undefined);
    args.length = index;
    args.push(kwargs);
  }
  return fn(...args);
}

/**
 * The call in flight: `phase` is "running" until its promise settles, then "draining" until the callbacks
 * it scheduled have run. `finish` ends it with an outcome ({ok, text} or {ok: false, error}).
 */
let currentCall = null;
let idleCheckScheduled = false;

function afterTimerActivity() {
  if (currentCall !== null && pendingCallbacks.size === 0 && !idleCheckScheduled) {
    idleCheckScheduled = true;
    // As a macrotask: it runs once every microtask (promise reaction) queued so far has run.
    nativeSetTimeout(checkIdle, 0);
  }
}

function checkIdle() {
  idleCheckScheduled = false;
  const call = currentCall;
  if (call === null || pendingCallbacks.size > 0) return;
  if (call.phase === "draining") {
    call.finish(call.outcome);
  } else if (activeIntervals.size === 0) {
    // Nothing is left that could settle the promise: it never will.
    call.finish({
      ok: false,
      error: describeError(new UnsettledPromiseError(call.name + "() returned a promise that never settles: no timer or other pending work is left that could settle it")),
    });
  }
}

function uncaughtError(error) {
  // Like an uncaught exception in Node, an error thrown by a timer callback ends the call.
  if (currentCall !== null) currentCall.finish({ ok: false, error: describeError(error) });
}

/** Runs one call to its end; resolves with its outcome and whether the user's module could be loaded. */
function runCall(payload) {
  return new Promise((resolve) => {
    const call = {
      name: String(payload.functionName),
      phase: "running",
      outcome: undefined,
      moduleLoaded: true,
      finish(outcome) {
        if (currentCall !== call) return;
        currentCall = null;
        cancelAllTimers();
        resolve({ outcome, moduleLoaded: call.moduleLoaded });
      },
    };
    currentCall = call;
    const settled = (outcome) => {
      if (currentCall !== call || call.phase !== "running") return;
      call.phase = "draining";
      call.outcome = outcome;
      afterTimerActivity();
    };
    const returned = (value) => settled(encodeResult(value));
    const failed = (error) => settled({ ok: false, error: describeError(error) });
    const start = () => {
      let value;
      let thenable;
      try {
        value = invoke(payload);
        thenable = value !== null && (typeof value === "object" || typeof value === "function") && typeof value.then === "function";
      } catch (error) {
        failed(error);
        return;
      }
      if (thenable) {
        Promise.resolve(value).then(returned, failed);
        afterTimerActivity();
      } else {
        returned(value);
      }
    };
    if (userModule !== undefined) {
      start();
    } else {
      import(USER_CODE_PATH).then(
        (module) => {
          userModule = module;
          start();
        },
        (error) => {
          call.moduleLoaded = false;
          // Callbacks the module's top level scheduled do not run: the module is unusable.
          call.finish({ ok: false, error: describeError(error) });
        },
      );
    }
  });
}

async function serve() {
  for (;;) {
    const frame = readFrame();
    if (frame === null) return;
    callNumber = null;
    let payload;
    try {
      // Tags are objects whose first key starts with TAG_PREFIX: without one, no reviver is needed (it halves the speed).
      payload = frame.text.indexOf('{"' + TAG_PREFIX) >= 0 ? JSON.parse(frame.text, reviveWire) : JSON.parse(frame.text);
      callNumber = payload.call;
    } catch (error) {
      sendFrame({ ok: false, error: { type: "ProxyError", message: "bad call payload: " + safeString(() => error.message), traceback: "", line: 0 } });
      if (frame.mode !== SIP_PERSISTENT) return;
      continue;
    }
    const { outcome, moduleLoaded } = await runCall(payload);
    sendFrame(outcome);
    if (frame.mode !== SIP_PERSISTENT || !moduleLoaded) return;
  }
}

serve().then(
  () => {
    // Everything the call wrote is flushed and its result sent: skip the rest of the event loop.
    flushUserStreams();
    std.exit(0);
  },
  (error) => fatal("internal error: " + formatTraceback(error, [], 0)),
);
