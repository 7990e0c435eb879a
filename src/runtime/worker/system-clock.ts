/**
 * The real clock and randomness of a sandboxed program: nanosecond time from the host, sleeps that block the
 * worker thread on `Atomics.wait` (no busy loop; `worker.terminate()` still interrupts them), and random
 * bytes from the host's CSPRNG.
 */
import { randomFillSync } from 'node:crypto';
import type { SandboxClock } from '../wasi/sandbox-wasi.js';

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
const RANDOM_CHUNK = 65_536;

export function createSystemClock(): SandboxClock {
  const originNs = BigInt(Date.now()) * 1_000_000n;
  const originHr = process.hrtime.bigint();
  return {
    realtimeNs: () => originNs + (process.hrtime.bigint() - originHr),
    monotonicNs: () => process.hrtime.bigint(),
    sleepNs(ns: bigint): void {
      const deadline = process.hrtime.bigint() + ns;
      for (;;) {
        const left = deadline - process.hrtime.bigint();
        if (left <= 0n) return;
        Atomics.wait(sleepCell, 0, 0, Number(left) / 1e6);
      }
    },
    fillRandom(target: Uint8Array): void {
      for (let offset = 0; offset < target.byteLength; offset += RANDOM_CHUNK) {
        randomFillSync(target.subarray(offset, Math.min(target.byteLength, offset + RANDOM_CHUNK)));
      }
    },
  };
}
