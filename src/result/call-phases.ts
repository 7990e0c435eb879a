/**
 * The phases of one call as events (`loading-runtime`, `compiling`, `running`…): each starts, may report
 * progress, and ends when the next one starts or the call is over.
 */
import type { PhaseProgress } from '../languages/language.js';
import type { ExecutionPhase, ExecutionPhaseEvent, Language } from '../types.js';

export class CallPhases {
  private current: { phase: ExecutionPhase; started: number } | undefined;

  /**
   * @param callStarted when the call was made (`performance.now()`), which `elapsedMs` counts from
   * @param emit receives every event
   */
  constructor(
    private readonly id: string,
    private readonly language: Language,
    private readonly callStarted: number,
    private readonly emit: (event: ExecutionPhaseEvent) => void,
  ) {}

  /** Starts `phase` (ending the current one), or reports the progress of the phase under way. */
  report(phase: ExecutionPhase, progress?: PhaseProgress): void {
    if (this.current?.phase !== phase) {
      this.end();
      this.current = { phase, started: performance.now() };
      this.send('start');
    }
    if (progress) this.send('progress', progress);
  }

  /** Ends the current phase, if any. */
  end(): void {
    if (!this.current) return;
    this.send('end');
    this.current = undefined;
  }

  private send(state: ExecutionPhaseEvent['state'], progress?: PhaseProgress): void {
    const current = this.current!;
    const now = performance.now();
    const event: ExecutionPhaseEvent = {
      id: this.id,
      language: this.language,
      phase: current.phase,
      state,
      elapsedMs: round(now - this.callStarted),
      phaseMs: state === 'start' ? 0 : round(now - current.started),
    };
    if (progress) event.progress = { ...progress };
    this.emit(event);
  }
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;
