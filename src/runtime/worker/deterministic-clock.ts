/**
 * Clock and randomness of a deterministic run: the same program sees the same times and the same random
 * bytes every time.
 *
 * Time is virtual: it starts at the requested instant and moves only by what the program does: 1 µs per
 * clock reading (so loops that wait for time to pass still end) and the full length of each sleep. Sleeps
 * also block for real, so that time limits keep their meaning. Random bytes come from SHA-256 in counter
 * mode over the seed: reproducible, not secret.
 */
import { createHash } from 'node:crypto';
import type { SandboxClock } from '../wasi/sandbox-wasi.js';
import type { DeterministicSpec } from '../worker-protocol.js';
import { createSystemClock } from './system-clock.js';

const TICK_NS = 1_000n;
/** Monotonic time starts here rather than at 0, which some runtimes treat as "unset". */
const MONOTONIC_START_NS = 1_000_000_000n;

export function createDeterministicClock(spec: DeterministicSpec): SandboxClock {
  const realSleep = createSystemClock().sleepNs;
  const startNs = BigInt(Math.round(spec.nowMs)) * 1_000_000n;
  let elapsedNs = 0n;
  const random = seededBytes(spec.seed);
  return {
    realtimeNs: () => startNs + (elapsedNs += TICK_NS),
    monotonicNs: () => MONOTONIC_START_NS + (elapsedNs += TICK_NS),
    sleepNs(ns: bigint): void {
      realSleep(ns);
      elapsedNs += ns;
    },
    fillRandom: random,
  };
}

/** A reproducible byte stream: SHA-256(seed, block index), block after block. */
function seededBytes(seed: number): (target: Uint8Array) => void {
  let block = new Uint8Array(0);
  let used = 0;
  let index = 0;
  return (target) => {
    for (let offset = 0; offset < target.byteLength;) {
      if (used === block.byteLength) {
        block = createHash('sha256').update(`sandbox-executor:${seed}:${index++}`).digest();
        used = 0;
      }
      const take = Math.min(block.byteLength - used, target.byteLength - offset);
      target.set(block.subarray(used, used + take), offset);
      used += take;
      offset += take;
    }
  };
}
