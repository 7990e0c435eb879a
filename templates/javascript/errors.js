// Sandbox Executor: JavaScript proxy, errors: types, messages and tracebacks in the user's lines.
// One part of the proxy: the parts are joined into one program, in the order of JAVASCRIPT_PROXY_PARTS
// (src/languages/javascript/index.ts).

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

/** Whether a file is the user's: the user's file, or a snippet of a context. */
function isUserFile(file) {
  return file === USER_CODE_PATH || (file.startsWith(SNIPPET_PREFIX) && file.endsWith(".js"));
}

/**
 * The frames worth showing, innermost first: everything down to the outermost frame of the user's file.
 * The proxy's frames (and anything that called into user code from the proxy) are left out; what user
 * code called (a native function, another module) stays.
 */
function userFrames(frames) {
  let last = -1;
  for (let i = 0; i < frames.length; i++) if (isUserFile(frames[i].file)) last = i;
  const shown = frames.slice(0, last + 1).filter((frame) => frame.file !== PROXY_PATH);
  for (const frame of shown) {
    if (frame.line === 0 && frame.functionName === "<eval>" && isUserFile(frame.file)) {
      // The top level of a script (or snippet) is a function whose first line is line 1.
      frame.line = 1;
      frame.text = "at <eval> (" + frame.file + ":1)";
      continue;
    }
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
    if (isUserFile(frame.file) && frame.line > 0) {
      line = frame.line;
      break;
    }
  }
  if (line === 0 && isUserFile(safeString(() => thrown.fileName))) line = Number(thrown.lineNumber) || 0;
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

function isStackOverflow(error) {
  return error instanceof Error && (error.name === "InternalError" || error.name === "RangeError") && /stack overflow|call stack/i.test(String(error.message));
}
