/**
 * The CommonJS view of the same declarations (`index.d.cts`, `server.d.cts`), compiled like consumer.mts.
 */
import { SandboxExecutor, FunctionNotFoundError, type ExecutionRequest } from 'sandbox-executor';
import { createSandboxServer } from 'sandbox-executor/server';

const request: ExecutionRequest = { language: 'ruby', code: 'def f = 1\n' };
// @ts-expect-error a typo of a language name
const wrong: ExecutionRequest = { language: 'rubby', code: 'def f = 1\n' };

export async function typed(): Promise<void> {
  const executor = new SandboxExecutor();
  const server = createSandboxServer({ executor });
  const error: unknown = await executor.invoke(request).catch((caught: unknown) => caught);
  if (error instanceof FunctionNotFoundError) console.log(error.candidates.join(', '));
  await server.close();
  await executor.close();
  console.log(wrong);
}

import { createExecutionQueue, QueueDependencyError } from 'sandbox-executor/queue';

export async function queued(): Promise<void> {
  const error: unknown = await createExecutionQueue({ connection: { port: 6379 }, name: 'calls' }).catch((caught: unknown) => caught);
  if (error instanceof QueueDependencyError) console.log(error.missing.join(', '));
}
