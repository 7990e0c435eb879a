// Sandbox Executor: JavaScript proxy, text and base64 (also offered to user code, which QuickJS leaves without them).
// One part of the proxy: the parts are joined into one program, in the order of JAVASCRIPT_PROXY_PARTS
// (src/languages/javascript/index.ts).

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
