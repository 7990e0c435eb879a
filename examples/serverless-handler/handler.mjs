// A serverless-style handler (AWS Lambda, Cloud Functions…) that runs user-submitted functions.
// The executor is created once per container and reused across invocations: the first call pays for
// loading the interpreter, later calls start from prestarted instances.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { SandboxExecutor, SandboxError } from 'sandbox-executor';

const executor = new SandboxExecutor({ poolSize: 1, timeoutMs: 5_000, memoryLimitMb: 128 });

/**
 * @param {{ body: string }} event an HTTP event whose body is JSON: { language, code, functionName?, args?, kwargs? }
 * @returns {Promise<{ statusCode: number, body: string }>}
 */
export async function handler(event) {
  let request;
  try {
    request = JSON.parse(event.body);
  } catch {
    return { statusCode: 400, body: JSON.stringify({ error: 'The body must be JSON.' }) };
  }
  try {
    const { language, code, functionName, args, kwargs } = request;
    const result = await executor.invoke({ language, code, functionName, args, kwargs });
    const body = { status: result.status, result: result.result, stdout: result.stdout, error: result.error, ms: result.durationMs };
    return { statusCode: result.status === 'success' ? 200 : 422, body: JSON.stringify(body) };
  } catch (error) {
    // Typed request errors (unknown language, function not found…) are the caller's mistake.
    if (error instanceof SandboxError) return { statusCode: 400, body: JSON.stringify({ error: error.message, code: error.code }) };
    throw error;
  }
}

/** Whether node was started with this file, whatever the path looked like (relative, a link, spaces…). */
function startedDirectly() {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

// Run directly: `node examples/serverless-handler/handler.mjs` calls the handler once and exits.
if (startedDirectly()) {
  const response = await handler({
    body: JSON.stringify({ language: 'python', code: 'def area(w, h):\n    return w * h\n', args: [3, 4] }),
  });
  console.log(response);
  await executor.close();
}

export { executor };
