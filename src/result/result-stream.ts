/**
 * A call as an async iterator: its output as it is written, then its result (what `stream()` returns).
 */
import type { ExecutionRequest, ExecutionResult, StreamEvent } from '../types.js';

/**
 * Runs `request` through `invoke` and yields `{ type: 'stdout' | 'stderr', data }` and `{ type: 'phase', … }`
 * events in order, ending with `{ type: 'result', result }`. Leaving the loop early cancels the call.
 */
export function resultStream(invoke: (request: ExecutionRequest) => Promise<ExecutionResult>, request: ExecutionRequest): AsyncIterableIterator<StreamEvent> {
  const controller = new AbortController();
  const signal = request.signal ? AbortSignal.any([request.signal, controller.signal]) : controller.signal;
  const events: StreamEvent[] = [];
  let wake: (() => void) | undefined;
  let finished = false;
  let failure: unknown;
  const push = (event: StreamEvent): void => {
    events.push(event);
    wake?.();
  };
  invoke({
    ...request,
    signal,
    onStdout: (data) => {
      request.onStdout?.(data);
      push({ type: 'stdout', data });
    },
    onStderr: (data) => {
      request.onStderr?.(data);
      push({ type: 'stderr', data });
    },
    onPhase: (event) => {
      try {
        request.onPhase?.(event);
      } finally {
        push({ type: 'phase', ...event });
      }
    },
  }).then(
    (result) => push({ type: 'result', result }),
    (error: unknown) => {
      failure = error;
      finished = true;
      wake?.();
    },
  );
  const iterator = (async function* (): AsyncGenerator<StreamEvent> {
    try {
      for (;;) {
        const event = events.shift();
        if (event) {
          yield event;
          if (event.type === 'result') return;
          continue;
        }
        if (finished) {
          if (failure !== undefined) throw failure;
          return;
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    } finally {
      // The consumer stopped early (break/return/throw): nobody wants the rest, so stop the call.
      if (!finished && !events.some((e) => e.type === 'result')) controller.abort();
    }
  })();
  return iterator;
}
