/**
 * Clocks, randomness, `poll_oneoff` and `sched_yield`. Time and random bytes come from a
 * {@link SandboxClock} (the host's, or a virtual one for deterministic runs); a poll that has to wait
 * sleeps through the clock, which blocks the thread instead of spinning a core.
 */
import { ClockId, Errno, EventType, SUBSCRIPTION_CLOCK_ABSTIME, type AbiFlavor } from './abi.js';
import { EVENT_SIZE, readSubscription, subscriptionSize, writeEvent, type Subscription } from './abi-structs.js';
import type { DescriptorTable } from './descriptor-table.js';
import type { GuestMemory } from './guest-memory.js';

/** Time and randomness sources, replaceable for deterministic runs. */
export interface SandboxClock {
  /** Wall-clock time in nanoseconds since the epoch. */
  realtimeNs(): bigint;
  /** Monotonic time in nanoseconds. */
  monotonicNs(): bigint;
  /** Blocks the calling thread for `ns` nanoseconds (or returns at once for a virtual clock). */
  sleepNs(ns: bigint): void;
  /** Fills `target` with random bytes. */
  fillRandom(target: Uint8Array): void;
}

/** Resolution reported for every clock: 1 µs. */
const RESOLUTION_NS = 1000n;

/** An event `poll_oneoff` reports. */
interface PollEvent {
  sub: Subscription;
  errno: number;
  nbytes: bigint;
}

export class ClockCalls {
  /** Start of the process, for the CPU-time clocks (which count time since then). */
  private readonly startNs: bigint;

  constructor(
    private readonly clock: SandboxClock,
    private readonly table: DescriptorTable,
    private readonly memory: GuestMemory,
  ) {
    this.startNs = clock.monotonicNs();
  }

  resGet(id: number, resolutionOut: number): number {
    if (!isClockId(id)) return Errno.INVAL;
    this.memory.setU64(resolutionOut, RESOLUTION_NS);
    return Errno.SUCCESS;
  }

  timeGet(id: number, timeOut: number): number {
    if (!isClockId(id)) return Errno.INVAL;
    this.memory.setU64(timeOut, this.now(id));
    return Errno.SUCCESS;
  }

  random(buf: number, bufLen: number): number {
    this.clock.fillRandom(this.memory.bytes(buf, bufLen));
    return Errno.SUCCESS;
  }

  /** There is one thread: yielding returns at once. */
  yield(): number {
    return Errno.SUCCESS;
  }

  /**
   * Waits for the first of the subscribed events. Descriptors are always ready (files hold their bytes;
   * devices block in the read or write itself); when no descriptor is subscribed, the call sleeps until
   * the earliest clock deadline. Subscriptions that cannot be waited on (unknown clock or type, closed
   * descriptor) are reported at once with their errno.
   */
  poll(input: number, output: number, count: number, neventsOut: number, flavor: AbiFlavor): number {
    if (count >>> 0 === 0) return Errno.INVAL;
    const nowNs = this.clock.monotonicNs();
    const ready: PollEvent[] = [];
    const clocks: { sub: Subscription; deadline: bigint }[] = [];
    for (let i = 0; i < count >>> 0; i++) {
      const sub = readSubscription(this.memory, input + i * subscriptionSize(flavor), flavor);
      if (sub.kind === 'clock') {
        if (!isClockId(sub.clockId)) ready.push({ sub, errno: Errno.INVAL, nbytes: 0n });
        else clocks.push({ sub, deadline: this.deadline(sub.clockId, sub.timeout, sub.flags, nowNs) });
      } else if (sub.kind === 'fd') {
        const entry = this.table.find(sub.fd);
        if (!entry) ready.push({ sub, errno: Errno.BADF, nbytes: 0n });
        else if (entry.type === 'file' && sub.type === EventType.FD_READ)
          ready.push({ sub, errno: Errno.SUCCESS, nbytes: BigInt(Math.max(0, entry.node.size - entry.offset)) });
        else ready.push({ sub, errno: Errno.SUCCESS, nbytes: 1n });
      } else {
        ready.push({ sub, errno: Errno.INVAL, nbytes: 0n });
      }
    }
    if (ready.length === 0) {
      const earliest = clocks.reduce((min, c) => (c.deadline < min ? c.deadline : min), clocks[0].deadline);
      const wait = earliest - this.clock.monotonicNs();
      if (wait > 0n) this.clock.sleepNs(wait);
      for (const c of clocks) if (c.deadline <= earliest) ready.push({ sub: c.sub, errno: Errno.SUCCESS, nbytes: 0n });
    }
    for (const [i, { sub, errno, nbytes }] of ready.entries()) writeEvent(this.memory, output + i * EVENT_SIZE, sub.userdata, errno, sub.type, nbytes);
    this.memory.setU32(neventsOut, ready.length);
    return Errno.SUCCESS;
  }

  private now(id: number): bigint {
    if (id === ClockId.REALTIME) return this.clock.realtimeNs();
    if (id === ClockId.MONOTONIC) return this.clock.monotonicNs();
    return this.clock.monotonicNs() - this.startNs;
  }

  /** The monotonic time at which a clock subscription fires. */
  private deadline(id: number, timeout: bigint, flags: number, nowNs: bigint): bigint {
    if (!(flags & SUBSCRIPTION_CLOCK_ABSTIME)) return nowNs + timeout;
    if (id === ClockId.REALTIME) return nowNs + (timeout - this.clock.realtimeNs());
    if (id === ClockId.MONOTONIC) return timeout;
    return this.startNs + timeout;
  }
}

function isClockId(id: number): boolean {
  return id >= ClockId.REALTIME && id <= ClockId.THREAD_CPUTIME;
}
