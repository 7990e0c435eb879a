/**
 * Compiled by `tsc --strict` (no skipLibCheck, `types: ["node"]`) against the packed package's
 * declarations in test/integration/packaging.test.ts. Every `@ts-expect-error` is a typo or misuse the
 * types must refuse: if one compiles, tsc reports the directive as unused and the test fails.
 */
import {
  InvalidRequestError,
  SandboxExecutor,
  UserCodeError,
  type ExecutionResult,
  type LanguageInput,
  type LoadedModule,
  type UntypedModule,
} from 'sandbox-executor';
import { createSandboxServer, type SandboxServer } from 'sandbox-executor/server';

const code = 'def add(a, b):\n    return a + b\n';

export async function typed(): Promise<void> {
  await using executor = new SandboxExecutor({ poolSize: 1 });

  // Language names are a union of the supported names and aliases.
  const aliases: LanguageInput[] = ['python', 'py', 'python3', 'ruby', 'rb', 'javascript', 'js', 'php', 'c', 'cpp', 'c++', 'cxx'];
  // @ts-expect-error a typo of a language name
  await executor.invoke({ language: 'pyhton', code });
  // @ts-expect-error an option that does not exist (timeoutMs does)
  await executor.invoke({ language: 'python', code, timeout: 500 });

  const result: ExecutionResult<number> = await executor.invoke<number>({ language: aliases[0]!, code, args: [1, 2] });
  const value: number | undefined = result.result;
  const sum: number = await executor.call<number>({ language: 'python', code, args: [1, 2] });

  // load() without a type argument: functions take anything and resolve with unknown, never any.
  const untyped: LoadedModule<UntypedModule> = await executor.load({ language: 'python', code });
  const returned = await untyped.add(1, 2);
  // @ts-expect-error unknown is not a number until checked
  const unchecked: number = returned;
  const checked: number = typeof returned === 'number' ? returned : 0;

  // With a type argument: checked calls, and withKwargs keeps the function's type.
  const math = await executor.load<{ add(a: number, b: number): Promise<number>; greet(name: string): Promise<string> }>({ language: 'python', code });
  const total: number = await math.add(1, 2);
  // @ts-expect-error a string where the function takes a number
  await math.add('1', 2);
  const greeting: string = await math.greet.withKwargs({ greeting: 'Hi' })('Ada');
  await math.$close();

  try {
    await executor.call({ language: 'python', code, functionName: 'add', args: [1] });
  } catch (error) {
    // instanceof narrows to the class's fields.
    if (error instanceof UserCodeError) console.log(error.type, error.line, error.result.stdout);
    else if (error instanceof InvalidRequestError) console.log(error.field);
  }

  const server: SandboxServer = createSandboxServer({ executor });
  await server.close();
  console.log(value, sum, unchecked, checked, total, greeting);
}

/** The queue adapter's declarations compile without bullmq or ioredis installed (they are optional peers). */
import { createExecutionQueue, createExecutionWorker, QueueDependencyError, type QueuedExecutionResult } from 'sandbox-executor/queue';

export async function queued(): Promise<void> {
  const queue = await createExecutionQueue({ connection: 'redis://127.0.0.1:6379', name: 'calls' });
  const call = await queue.submit<number>({ language: 'python', code, args: [1, 2] }, { priority: 1, timeoutMs: 5000 });
  call.on('output', (event) => process.stdout.write(event.data));
  // @ts-expect-error a function cannot travel on a queue (listen to the handle's output events)
  await queue.submit({ language: 'python', code, onStdout: (chunk: string) => console.log(chunk) });
  const result: QueuedExecutionResult<number> = await call.result();
  const attempt: number = result.queue.attempt;
  const worker = await createExecutionWorker({ connection: { host: 'redis', port: 6379 }, name: 'calls', concurrency: 2 });
  const server = createSandboxServer({ queue });
  await server.close();
  await worker.close();
  await queue.close();
  const missing = new QueueDependencyError(['bullmq']);
  console.log(attempt, missing.missing);
}
