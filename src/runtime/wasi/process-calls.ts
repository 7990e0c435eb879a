/**
 * The program's arguments and environment, and its exit: `args_*`, `environ_*`, `proc_exit`, `proc_raise`.
 */
import { Errno } from './abi.js';
import type { GuestMemory } from './guest-memory.js';

/** Thrown by `proc_exit` to unwind the program. */
export class ProcessExit extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

const encoder = new TextEncoder();

/** A list of strings as the program receives it: NUL-terminated UTF-8, one after the other. */
class StringList {
  private readonly items: Uint8Array[];
  readonly bufferSize: number;

  constructor(strings: string[]) {
    this.items = strings.map((text) => encoder.encode(`${text}\0`));
    this.bufferSize = this.items.reduce((n, item) => n + item.byteLength, 0);
  }

  get count(): number {
    return this.items.length;
  }

  /** Writes the pointer array at `pointers` and the strings at `buffer`. */
  write(memory: GuestMemory, pointers: number, buffer: number): void {
    let at = buffer >>> 0;
    for (const [i, item] of this.items.entries()) {
      memory.setU32(pointers + i * 4, at);
      memory.write(at, item);
      at += item.byteLength;
    }
  }
}

export class ProcessCalls {
  private readonly args: StringList;
  private readonly env: StringList;

  constructor(
    args: string[],
    env: Record<string, string>,
    private readonly memory: GuestMemory,
  ) {
    this.args = new StringList(args);
    this.env = new StringList(Object.entries(env).map(([name, value]) => `${name}=${value}`));
  }

  argsGet(argv: number, argvBuf: number): number {
    this.args.write(this.memory, argv, argvBuf);
    return Errno.SUCCESS;
  }

  argsSizesGet(argcOut: number, bufSizeOut: number): number {
    this.memory.setU32(argcOut, this.args.count);
    this.memory.setU32(bufSizeOut, this.args.bufferSize);
    return Errno.SUCCESS;
  }

  environGet(environ: number, environBuf: number): number {
    this.env.write(this.memory, environ, environBuf);
    return Errno.SUCCESS;
  }

  environSizesGet(countOut: number, bufSizeOut: number): number {
    this.memory.setU32(countOut, this.env.count);
    this.memory.setU32(bufSizeOut, this.env.bufferSize);
    return Errno.SUCCESS;
  }

  exit(code: number): never {
    throw new ProcessExit(code);
  }

  /** Signals are not delivered: a program cannot raise one. */
  raise(): number {
    return Errno.NOSYS;
  }
}
