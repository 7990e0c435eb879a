// Sandbox Executor: JavaScript proxy, frames: SIP requests in, result frames out.
// One part of the proxy: the parts are joined into one program, in the order of JAVASCRIPT_PROXY_PARTS
// (src/languages/javascript/index.ts).

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

// --- result output -----------------------------------------------------------------------------------

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
