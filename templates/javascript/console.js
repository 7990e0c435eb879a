// Sandbox Executor: JavaScript proxy, the console (console.log and friends, inspection of values).
// One part of the proxy: the parts are joined into one program, in the order of JAVASCRIPT_PROXY_PARTS
// (src/languages/javascript/index.ts).

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
