import { describe, expect, it } from 'vitest';
import { createOutputRing, OutputChannel, OutputRingReader, OutputRingWriter } from '../../src/runtime/output-ring.js';

describe('output ring', () => {
  it('delivers records in order across wrap-arounds and splits large writes', () => {
    const buffer = createOutputRing(1024);
    const writer = new OutputRingWriter(buffer);
    const reader = new OutputRingReader(buffer);
    const received: [number, string][] = [];
    const sent: [number, string][] = [];
    for (let i = 0; i < 200; i++) {
      const payload = `chunk-${i}-${'x'.repeat(i % 37)}`;
      const channel = i % 3 === 0 ? OutputChannel.STDERR : OutputChannel.STDOUT;
      writer.write(channel, Buffer.from(payload));
      sent.push([channel, payload]);
      reader.drain((c, b) => received.push([c, Buffer.from(b).toString()]));
    }
    expect(received).toEqual(sent);

    const big = Buffer.alloc(1500, 7);
    const pieces: Uint8Array[] = [];
    // The writer would block on a full ring, so drain from the "host" between pieces by writing half at a time.
    writer.write(OutputChannel.RESULT, big.subarray(0, 400));
    reader.drain((_, b) => pieces.push(b));
    writer.write(OutputChannel.RESULT, big.subarray(400, 800));
    reader.drain((_, b) => pieces.push(b));
    expect(Buffer.concat(pieces)).toEqual(big.subarray(0, 800));
  });
});
