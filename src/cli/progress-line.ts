/**
 * The command line's progress indicator: one line on stderr, shown once a phase before the run (loading
 * the runtime, compiling) has lasted about half a second, updated in place, and erased when the program
 * starts running or the call ends. A first C call spends seconds there in silence otherwise.
 */
import { languageFor } from '../languages/registry.js';
import type { ExecutionPhaseEvent } from '../types.js';

/** When and where the line is shown. */
export interface ProgressLineOptions {
  /** Whether to show anything (stderr is a terminal and `--quiet` was not given). */
  enabled: boolean;
  /** How long a phase lasts before it is shown, in ms (default 500; 0 shows it at once). */
  delayMs?: number;
  /** How often the shown line is redrawn with the time so far, in ms (default 250). */
  refreshMs?: number;
}

/** Moves to the start of the line and erases it. */
const ERASE = '\r\x1b[2K';

export class ProgressLine {
  private current: { event: ExecutionPhaseEvent; since: number } | undefined;
  private shown = false;
  private delay: NodeJS.Timeout | undefined;
  private refresh: NodeJS.Timeout | undefined;
  private readonly delayMs: number;
  private readonly refreshMs: number;

  constructor(
    private readonly stream: NodeJS.WritableStream,
    private readonly options: ProgressLineOptions,
  ) {
    this.delayMs = options.delayMs ?? 500;
    this.refreshMs = options.refreshMs ?? 250;
  }

  /** Follows the call's phases (pass it as the request's `onPhase`). */
  readonly onPhase = (event: ExecutionPhaseEvent): void => {
    if (!this.options.enabled) return;
    // The program's own output may come from now on: the line must be gone.
    if (event.phase === 'running') {
      this.clear();
      return;
    }
    if (event.state === 'start') {
      this.clear();
      this.current = { event, since: Date.now() };
      if (this.delayMs <= 0) this.show();
      else {
        this.delay = setTimeout(() => this.show(), this.delayMs);
        this.delay.unref();
      }
    } else if (this.current?.event.phase === event.phase) {
      if (event.state === 'end') this.clear();
      else {
        this.current.event = event;
        if (this.shown) this.render();
      }
    }
  };

  /** Erases the line (if shown) and stops following the phase. */
  clear(): void {
    clearTimeout(this.delay);
    clearInterval(this.refresh);
    this.delay = this.refresh = undefined;
    this.current = undefined;
    if (this.shown) this.stream.write(ERASE);
    this.shown = false;
  }

  private show(): void {
    this.shown = true;
    this.render();
    this.refresh = setInterval(() => this.render(), this.refreshMs);
    this.refresh.unref();
  }

  private render(): void {
    if (!this.current) return;
    const { event, since } = this.current;
    const seconds = ((Date.now() - since) / 1000).toFixed(1);
    this.stream.write(`${ERASE}sandbox-executor: ${describePhase(event)}… ${seconds} s`);
  }
}

/** What the line says a phase is doing. */
function describePhase(event: ExecutionPhaseEvent): string {
  const language = languageFor(event.language).displayName;
  switch (event.phase) {
    case 'loading-runtime':
      return `loading the ${language} runtime`;
    case 'compiling':
      return `compiling ${language}`;
    case 'loading-packages': {
      const { filesDone, bytesDone } = event.progress ?? {};
      const done = [filesDone === undefined ? '' : `${filesDone} files`, bytesDone === undefined ? '' : `${(bytesDone / 1e6).toFixed(1)} MB`];
      const detail = done.filter(Boolean).join(', ');
      return `loading packages${detail ? ` (${detail})` : ''}`;
    }
    default:
      return event.phase;
  }
}
