/**
 * The HTTP adapter in front of a queue (`createSandboxServer({ queue })`): `POST /exec` submits the call
 * and `GET /exec/{id}/events` follows it from Redis, so that any instance behind a load balancer can
 * answer for a call another instance accepted. Nothing of a call is kept in the server's memory.
 */
import type { ServerResponse } from 'node:http';
import type { ExecutionRequest } from '../types.js';
import type { ExecutionQueue, QueuedCallEvent } from '../queue/index.js';
import { HttpError } from './http-error.js';
import { errorToJson, resultToJson } from './json-result.js';

/** Submits a call; answers its id at once (`background`), or waits for its result. */
export async function execThroughQueue(
  queue: ExecutionQueue,
  request: ExecutionRequest,
  background: boolean,
  res: ServerResponse,
  eventsPath: (id: string) => string,
): Promise<{ status: number; body: unknown }> {
  const call = await queue.submit(request);
  if (background) return { status: 202, body: { id: call.id, events: eventsPath(call.id) } };
  // A client that goes away while waiting does not need its call any more.
  const onClose = (): void => {
    if (!res.writableFinished) call.cancel('the HTTP client disconnected').catch(() => undefined);
  };
  res.on('close', onClose);
  try {
    const result = await call.result();
    return { status: 200, body: { id: call.id, ...resultToJson(result) } };
  } finally {
    res.off('close', onClose);
  }
}

/**
 * Streams a queued call's events as Server-Sent Events: `execution-start` (each attempt),
 * `execution-output`, then `execution-complete` or `execution-failed`. A late follower gets the call's
 * events from the first, as long as Redis keeps them (the queue's `retainMs` after the end).
 */
export async function followQueuedCall(queue: ExecutionQueue, id: string, res: ServerResponse, streams: Set<ServerResponse>): Promise<void> {
  const call = await queue.attach(id).catch((error: unknown) => {
    if ((error as { code?: unknown }).code === 'CALL_NOT_FOUND')
      throw new HttpError(404, 'EXECUTION_NOT_FOUND', `No execution ${id} (it may have ended more than a while ago).`);
    throw error;
  });
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
  streams.add(res);
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  heartbeat.unref();
  const events = call.events();
  const stop = (): void => {
    events.return?.().catch(() => undefined);
  };
  res.on('close', stop);
  const send = (type: string, data: object): void => {
    res.write(`event: ${type}\ndata: ${JSON.stringify({ id, ...data })}\n\n`);
  };
  try {
    for await (const event of events as AsyncIterable<QueuedCallEvent>) {
      if (event.type === 'start') send('execution-start', { attempt: event.attempt, worker: event.worker });
      else if (event.type === 'output') send('execution-output', { stream: event.stream, data: event.data });
      else if (event.type === 'result') send('execution-complete', { result: resultToJson(event.result) });
      else if (event.type === 'failed') send('execution-failed', { error: errorToJson(event.error).error });
    }
  } catch (error) {
    send('execution-failed', { error: errorToJson(error).error });
  } finally {
    clearInterval(heartbeat);
    res.off('close', stop);
    streams.delete(res);
    res.end();
  }
}
