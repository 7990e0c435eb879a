import { describe, expect, it } from 'vitest';
import { FrameTracker, decodeSipFrame, encodeSipFrame } from '../../src/protocol/sip.js';
import { ResultFrameReader } from '../../src/protocol/result-frame.js';

describe('SIP frames', () => {
  it('encodes mode, big-endian length and JSON payload', () => {
    const frame = encodeSipFrame('A', { functionName: 'add', args: [1, 2], kwargs: {} });
    const json = '{"functionName":"add","args":[1,2],"kwargs":{}}';
    expect(String.fromCharCode(frame[0])).toBe('A');
    expect(new DataView(frame.buffer).getUint32(1, false)).toBe(json.length);
    expect(Buffer.from(frame.subarray(5)).toString()).toBe(json);
  });

  it('decodes what it encodes, and waits for whole frames', () => {
    const frame = encodeSipFrame('P', { functionName: 'f', args: ['é'], kwargs: { k: null } });
    expect(decodeSipFrame(frame.subarray(0, frame.length - 1))).toBeUndefined();
    const decoded = decodeSipFrame(frame);
    expect(decoded?.mode).toBe('P');
    expect(decoded?.payload).toEqual({ functionName: 'f', args: ['é'], kwargs: { k: null } });
    expect(decoded?.consumed).toBe(frame.length);
  });

  it('rejects unknown modes', () => {
    expect(() => decodeSipFrame(Uint8Array.of(0x58, 0, 0, 0, 0))).toThrowError(/mode/);
  });

  it('tracks frame boundaries across arbitrary chunks', () => {
    const one = encodeSipFrame('P', { functionName: 'a', args: [], kwargs: {} });
    const two = encodeSipFrame('A', { functionName: 'b', args: ['x'.repeat(100)], kwargs: {} });
    const stream = Buffer.concat([one, two]);
    const tracker = new FrameTracker();
    let offset = 0;
    const ends: number[] = [];
    while (offset < stream.length) {
      const take = tracker.frameBytesWithin(Math.min(7, stream.length - offset));
      offset += take;
      if (tracker.advance(stream.subarray(offset - take, offset)) > 0) ends.push(offset);
    }
    expect(ends).toEqual([one.length, one.length + two.length]);
    expect(String.fromCharCode(tracker.tag)).toBe('A');
  });
});

describe('result frames', () => {
  const frame = (json: string): Uint8Array => {
    const body = Buffer.from(json);
    const head = Buffer.alloc(5);
    head[0] = 0x52;
    head.writeUInt32BE(body.length, 1);
    return Buffer.concat([head, body]);
  };

  it('reassembles frames split into pieces', () => {
    const bytes = Buffer.concat([
      frame('{"ok":true,"value":{"$bigint":"18446744073709551616"}}'),
      frame('{"ok":false,"error":{"type":"E","message":"m","line":3}}'),
    ]);
    const reader = new ResultFrameReader();
    const frames = [];
    for (let i = 0; i < bytes.length; i += 3) {
      reader.push(bytes.subarray(i, i + 3));
      for (let f = reader.next(); f; f = reader.next()) frames.push(f);
    }
    expect(frames).toEqual([
      { ok: true, value: 18446744073709551616n },
      { ok: false, error: { type: 'E', message: 'm', line: 3 } },
    ]);
  });

  it('rejects a frame without the marker byte', () => {
    const reader = new ResultFrameReader();
    reader.push(Buffer.from('hello world'));
    expect(() => reader.next()).toThrowError(/marker/);
  });
});
