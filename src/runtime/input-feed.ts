/**
 * Standard input written while a program runs (an interactive script answering `input()` prompts).
 * Writes made before the program has a worker wait here, in order, and go through once it starts.
 */

/** Where a feed writes once its program runs (a job, see `job-runner.ts`). */
export interface InputSink {
  write(chunk: Uint8Array): void;
  endInput(): void;
}

export class InputFeed {
  private pending: Uint8Array[] = [];
  private sink: InputSink | undefined;
  private ended = false;
  private detached = false;

  /** Whether `end()` has been called. */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Sends bytes to the program's standard input (kept until it starts; dropped once it has ended). */
  write(chunk: Uint8Array): void {
    if (this.ended || this.detached || chunk.byteLength === 0) return;
    if (this.sink) this.sink.write(chunk);
    else this.pending.push(chunk);
  }

  /** Ends the program's standard input: its next read past what was written sees end of input. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.sink?.endInput();
  }

  /** Connects the feed to the started program: what was written so far goes first. */
  attach(sink: InputSink): void {
    if (this.detached) return;
    this.sink = sink;
    for (const chunk of this.pending.splice(0)) sink.write(chunk);
    if (this.ended) sink.endInput();
  }

  /** The program has ended: later writes go nowhere. */
  detach(): void {
    this.detached = true;
    this.sink = undefined;
    this.pending = [];
  }
}
