// Sandbox Executor: JavaScript proxy, wire values: what a call receives and what it returns (see src/protocol/wire-value.ts).
// One part of the proxy: the parts are joined into one program, in the order of JAVASCRIPT_PROXY_PARTS
// (src/languages/javascript/index.ts).

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

// --- return values -----------------------------------------------------------------------------------

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
