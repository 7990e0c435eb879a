/**
 * Worker side of the control port: messages the host sends while a program runs (standard input, the
 * claim of a prestarted instance), received synchronously because the thread is inside WebAssembly.
 */
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { SIGNAL_CONTROL, type ControlMessage } from '../worker-protocol.js';

export class ControlLink {
  private readonly signal: Int32Array;

  constructor(
    private readonly port: MessagePort,
    signal: SharedArrayBuffer,
  ) {
    this.signal = new Int32Array(signal);
  }

  /** The next message if one is queued. */
  poll(): ControlMessage | undefined {
    return receiveMessageOnPort(this.port)?.message as ControlMessage | undefined;
  }

  /** The next message, blocking the thread until the host sends one. */
  next(): ControlMessage {
    for (;;) {
      // Read the counter before looking at the port: the host posts first and bumps the counter after,
      // so a message that arrives in between makes the wait return at once.
      const seen = Atomics.load(this.signal, SIGNAL_CONTROL);
      const message = this.poll();
      if (message) return message;
      Atomics.wait(this.signal, SIGNAL_CONTROL, seen);
    }
  }

  /** Drops messages left over from a previous run. */
  drain(): void {
    while (this.poll()) {
      // discard
    }
  }
}
