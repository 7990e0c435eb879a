/**
 * The WASI system interface of one sandboxed program, assembled from its parts:
 * - the descriptor table (descriptor-table.ts): standard stream devices, the preopened root, open files;
 * - path and descriptor calls (path-calls.ts, fd-calls.ts) over a {@link VirtualFS} tree with real
 *   directories, copy-on-write files and a byte cap, whose paths never leave it; devices read and write
 *   byte-exactly and may block on the host;
 * - clocks, randomness and polling (clock-calls.ts) from a {@link SandboxClock}: nanosecond clocks, any
 *   length of random bytes, sleeps that block instead of spinning;
 * - arguments, environment and exit (process-calls.ts);
 * - the program's memory (guest-memory.ts), where a bad pointer fails its call with EFAULT.
 *
 * Both import namespaces are served (import-table.ts): `wasi_snapshot_preview1` and the older
 * `wasi_unstable` (used by the clang toolchain), which differ in the layout of file stats and clock
 * subscriptions and in the numbering of `whence`.
 */
import type { VDevice, VirtualFS } from '../vfs/virtual-fs.js';
import { ClockCalls, type SandboxClock } from './clock-calls.js';
import { DescriptorTable } from './descriptor-table.js';
import { FdCalls } from './fd-calls.js';
import { GuestMemory } from './guest-memory.js';
import { guardErrnos, importTable, type SystemCalls } from './import-table.js';
import { PathCalls } from './path-calls.js';
import { ProcessCalls, ProcessExit } from './process-calls.js';

export { ProcessExit };
export type { SandboxClock };

/** What a {@link SandboxWASI} is built from. */
export interface SandboxWASIOptions {
  args: string[];
  env: Record<string, string>;
  fs: VirtualFS;
  /** Device nodes behind file descriptors 0, 1 and 2. */
  stdio: [VDevice, VDevice, VDevice];
  clock: SandboxClock;
}

/** WASI implementation of one sandboxed program. */
export class SandboxWASI {
  private readonly memory = new GuestMemory();
  private readonly calls: SystemCalls;

  constructor(options: SandboxWASIOptions) {
    const { fs, clock } = options;
    const table = new DescriptorTable(fs, options.stdio);
    const now = (): bigint => clock.realtimeNs();
    this.calls = {
      process: new ProcessCalls(options.args, options.env, this.memory),
      clocks: new ClockCalls(clock, table, this.memory),
      fds: new FdCalls(table, fs, this.memory, now),
      paths: new PathCalls(table, fs, this.memory, now),
    };
  }

  /** Imports for both WASI namespaces. */
  sandboxImports(): { wasi_snapshot_preview1: WebAssembly.ModuleImports; wasi_unstable: WebAssembly.ModuleImports } {
    return {
      wasi_snapshot_preview1: guardErrnos(importTable(this.calls, 'preview1')),
      wasi_unstable: guardErrnos(importTable(this.calls, 'unstable')),
    };
  }

  /** Runs the program's `_start` and returns its exit code. Traps and other errors propagate. */
  run(instance: WebAssembly.Instance, memory: WebAssembly.Memory): number {
    this.memory.attach(memory);
    const start = instance.exports._start;
    if (typeof start !== 'function') throw new Error('The module does not export _start');
    try {
      (start as () => void)();
      return 0;
    } catch (error) {
      if (error instanceof ProcessExit) return error.code;
      throw error;
    }
  }
}
