/**
 * Device nodes of the sandbox: standard streams, the result channel, the control device and the usual
 * `/dev/null`, `/dev/zero`, `/dev/urandom`.
 */
import { Errno } from '../wasi/abi.js';
import type { Device } from '../vfs/virtual-fs.js';
import type { SandboxClock } from '../wasi/sandbox-wasi.js';
import { OutputChannel, type OutputRingWriter } from '../output-ring.js';
import { SIP_ATOMIC } from '../../protocol/proxy-contract.js';
import { FrameTracker } from '../../protocol/sip.js';
import type { ClaimSpec, ControlMessage } from '../worker-protocol.js';
import type { ControlLink } from './control-link.js';

/** Thrown from a write that goes over the output limit; unwinds the program. */
export class OutputLimitExceeded extends Error {}

/** Thrown from a blocked read when the host releases a prestarted instance; unwinds the program. */
export class InstanceReleased extends Error {}

/** Thrown from a write whose result frame header announces more than the limit; unwinds the program. */
export class ResultLimitExceeded extends Error {
  constructor(
    readonly announcedBytes: number,
    readonly limitBytes: number,
  ) {
    super(`A result frame announced ${announcedBytes} bytes, more than the limit of ${limitBytes}`);
  }
}

const EMPTY = new Uint8Array(0);
const SIP_MODE_ATOMIC = SIP_ATOMIC.charCodeAt(0);

/** Shared byte budget of stdout + stderr. */
export class OutputBudget {
  used = 0;
  constructor(public limit: number) {}
}

/** A write-only stream device (stdout or stderr) feeding the output ring. */
export function outputDevice(channel: typeof OutputChannel.STDOUT | typeof OutputChannel.STDERR, ring: OutputRingWriter, budget: OutputBudget): Device {
  return {
    write(bytes: Uint8Array): number {
      const room = budget.limit - budget.used;
      if (bytes.byteLength > room) {
        if (room > 0) ring.write(channel, bytes.subarray(0, room));
        budget.used = budget.limit;
        throw new OutputLimitExceeded();
      }
      budget.used += bytes.byteLength;
      ring.write(channel, bytes);
      return Errno.SUCCESS;
    },
  };
}

/**
 * Standard input of a proxy: hands out exactly one SIP frame at a time.
 *
 * After an atomic (`A`) frame, what follows is the user's own stdin data, then end of input. After a
 * persistent (`P`) frame, reads return end of input until the proxy has written its result, so user code
 * that reads stdin during a call can never swallow the next request.
 */
export class StdinStream implements Device {
  private chunks: Uint8Array[] = [];
  private ended = false;
  private readonly frames = new FrameTracker();
  private state: 'frame' | 'raw' | 'paused';
  private announcedPrestarted = false;
  /** A persistent call was answered and the program has not read since. */
  private answered = false;

  constructor(
    private readonly link: ControlLink,
    private readonly hooks: {
      /** Prestarted instances: called once, when the proxy first waits for input. */
      onPrestarted?: () => void;
      /** A persistent (`P`) request frame has been read whole: its call is now running. */
      onPersistentFrame?: () => void;
      /** After a persistent call's result frame, the program reads standard input again: it wants its next call. */
      onAwaitingFrame?: () => void;
      /** Applies a claim; returns nothing. Until it arrives, a prestarted instance waits. */
      onClaim?: (claim: ClaimSpec) => void;
      /** The host asks for the filesystem changes so far (a session's sync). */
      onChangesRequest?: () => void;
      /** The host dealt with the changes it was last sent. */
      onChangesAccepted?: () => void;
    },
    framed: boolean,
    private awaitingClaim: boolean,
    /** The job this stream belongs to; control messages for any other job are stale and dropped. */
    private jobId: number,
  ) {
    this.state = framed ? 'frame' : 'raw';
  }

  /** Lets the next frame through (called when a result frame is complete). */
  resume(): void {
    if (this.state !== 'paused') return;
    this.state = 'frame';
    this.answered = true;
  }

  read(max: number): Uint8Array {
    if (this.state === 'paused') return EMPTY;
    if (this.answered) {
      this.answered = false;
      this.hooks.onAwaitingFrame?.();
    }
    while (this.chunks.length === 0 && !this.ended) {
      if (this.awaitingClaim && !this.announcedPrestarted) {
        this.announcedPrestarted = true;
        this.hooks.onPrestarted?.();
      }
      this.handle(this.link.next());
    }
    if (this.chunks.length === 0) return EMPTY;

    let allowed = max;
    if (this.state === 'frame') allowed = this.frames.frameBytesWithin(max);
    const head = this.chunks[0];
    const taken = head.subarray(0, Math.min(allowed, head.byteLength));
    if (taken.byteLength === head.byteLength) this.chunks.shift();
    else this.chunks[0] = head.subarray(taken.byteLength);

    if (this.state === 'frame' && this.frames.advance(taken) > 0) {
      this.state = this.frames.tag === SIP_MODE_ATOMIC ? 'raw' : 'paused';
      if (this.state === 'paused') this.hooks.onPersistentFrame?.();
    }
    return taken;
  }

  private handle(message: ControlMessage): void {
    if (message.jobId !== this.jobId) return;
    switch (message.type) {
      case 'stdin':
        if (message.data.byteLength > 0) this.chunks.push(message.data);
        return;
      case 'stdin-end':
        this.ended = true;
        return;
      case 'claim':
        this.awaitingClaim = false;
        this.jobId = message.claim.jobId;
        this.hooks.onClaim?.(message.claim);
        return;
      case 'release':
        throw new InstanceReleased();
      case 'changes':
        this.hooks.onChangesRequest?.();
        return;
      case 'changes-accepted':
        this.hooks.onChangesAccepted?.();
        return;
    }
  }
}

/**
 * The result channel: only the first open succeeds (the proxy opens it before loading user code), and
 * each complete result frame resumes standard input. A frame whose header announces more than
 * `maxBodyBytes()` stops the program before any byte of its body leaves the sandbox.
 */
export function resultDevice(ring: OutputRingWriter, onFrame: () => void, maxBodyBytes: () => number): Device {
  let opened = false;
  const frames = new FrameTracker((_tag, bodyBytes) => {
    const limit = maxBodyBytes();
    if (bodyBytes > limit) throw new ResultLimitExceeded(bodyBytes, limit);
  });
  return {
    open(): number {
      if (opened) return Errno.ACCES;
      opened = true;
      return Errno.SUCCESS;
    },
    write(bytes: Uint8Array): number {
      // Checked before anything is sent: the tracker throws on a header over the limit.
      const completed = frames.advance(bytes);
      ring.write(OutputChannel.RESULT, bytes);
      if (completed > 0) onFrame();
      return Errno.SUCCESS;
    },
  };
}

/** Text commands from the proxy to the host. Today: `sleep <nanoseconds>`. */
export function controlDevice(clock: SandboxClock): Device {
  return {
    write(bytes: Uint8Array): number {
      const command = Buffer.from(bytes).toString('latin1').trim();
      const sleep = /^sleep (\d+)$/.exec(command);
      if (sleep) {
        clock.sleepNs(BigInt(sleep[1]));
        return Errno.SUCCESS;
      }
      return Errno.INVAL;
    },
  };
}

export const nullDevice: Device = {
  read: () => EMPTY,
  write: () => Errno.SUCCESS,
};

export const zeroDevice: Device = {
  read: (max) => new Uint8Array(Math.min(max, 65_536)),
  write: () => Errno.SUCCESS,
};

export function randomDevice(clock: SandboxClock): Device {
  return {
    read(max: number): Uint8Array {
      const out = new Uint8Array(Math.min(max, 65_536));
      clock.fillRandom(out);
      return out;
    },
    write: () => Errno.SUCCESS,
  };
}
