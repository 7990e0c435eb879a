/**
 * Collects what a running program writes: stdout and stderr as raw bytes (decoded once at the end, so a
 * character split across writes survives), live text chunks for streaming listeners, and result frames.
 */
import { constants as bufferConstants } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { OutputChannel, type OutputChannelId } from './output-ring.js';
import { ResultFrameReader, type ResultFrame } from '../protocol/result-frame.js';

/**
 * Largest `maxOutputBytes` and `maxResultBytes` accepted: stdout, stderr and a result frame's JSON each
 * become one string, which V8 cannot make longer than this (with room left for the truncation marker).
 */
export const MAX_TEXT_BYTES = bufferConstants.MAX_STRING_LENGTH - 1024;

/** Live output listener: receives decoded text in order. */
export type OutputListener = (stream: 'stdout' | 'stderr', text: string) => void;

export class OutputCollector {
  private readonly stdoutChunks: Uint8Array[] = [];
  private readonly stderrChunks: Uint8Array[] = [];
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };
  private readonly frames: ResultFrameReader;
  private readonly results: ResultFrame[] = [];
  /** Error met while reading result frames (a corrupted channel, a frame over the limit). */
  frameError: Error | undefined;
  /** First exception thrown by the output listener, if any. */
  listenerError: unknown;
  stdoutBytes = 0;
  stderrBytes = 0;

  constructor(
    private readonly listener?: OutputListener,
    /** Called for each complete result frame (sessions use it to finish a call). */
    private readonly onResult?: (frame: ResultFrame) => void,
    /** Largest result frame body accepted (`maxResultBytes`); a header announcing more is refused unread. */
    maxResultBytes?: number,
  ) {
    this.frames = new ResultFrameReader(maxResultBytes);
  }

  /** Bytes of a result frame begun and not finished. */
  get partialFrameBytes(): number {
    return this.frames.pendingBytes;
  }

  /** The sink to give to the worker handle. */
  readonly sink = (channel: OutputChannelId, bytes: Uint8Array): void => {
    switch (channel) {
      case OutputChannel.STDOUT:
        this.stdoutChunks.push(bytes);
        this.stdoutBytes += bytes.byteLength;
        this.emit('stdout', bytes);
        return;
      case OutputChannel.STDERR:
        this.stderrChunks.push(bytes);
        this.stderrBytes += bytes.byteLength;
        this.emit('stderr', bytes);
        return;
      case OutputChannel.RESULT:
        this.readFrames(bytes);
        return;
    }
  };

  /** Result frames received so far, oldest first. */
  takeResults(): ResultFrame[] {
    return this.results.splice(0);
  }

  /** Everything written to stdout, decoded. */
  stdout(): string {
    return Buffer.concat(this.stdoutChunks).toString('utf8');
  }

  /** Everything written to stderr, decoded. */
  stderr(): string {
    return Buffer.concat(this.stderrChunks).toString('utf8');
  }

  /** Flushes characters held back by the live decoders (an incomplete sequence at the very end). */
  finish(): void {
    for (const stream of ['stdout', 'stderr'] as const) {
      const rest = this.decoders[stream].end();
      if (!rest || !this.listener) continue;
      try {
        this.listener(stream, rest);
      } catch (error) {
        this.listenerError ??= error;
      }
    }
  }

  private emit(stream: 'stdout' | 'stderr', bytes: Uint8Array): void {
    if (!this.listener) return;
    const text = this.decoders[stream].write(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (!text) return;
    try {
      this.listener(stream, text);
    } catch (error) {
      // A listener's own failure must not break the execution; it is kept for the caller to see.
      this.listenerError ??= error;
    }
  }

  private readFrames(bytes: Uint8Array): void {
    if (this.frameError) return;
    this.frames.push(bytes);
    try {
      for (let frame = this.frames.next(); frame; frame = this.frames.next()) {
        this.results.push(frame);
        this.onResult?.(frame);
      }
    } catch (error) {
      this.frameError = error as Error;
    }
  }
}
