/**
 * Constructor arguments for every error class the package exports, so that tests can make one of each
 * and check its `name`. A class missing here fails the tests that use this table: add it.
 */
const result = { error: { type: 'ValueError', message: 'bad' } };

export const ERROR_CONSTRUCTOR_ARGUMENTS: Record<string, readonly unknown[]> = {
  SandboxError: ['SOME_CODE', 'message'],
  InvalidRequestError: ['field', 'message'],
  UnsupportedLanguageError: ['cobol', ['python']],
  FunctionNotFoundError: ['ad', ['add']],
  AmbiguousFunctionError: [['a', 'b']],
  UnserializableValueError: ['args[0]', 'function'],
  PayloadTooLargeError: [10, 5],
  ExecutorClosedError: [],
  QueueFullError: [1],
  ExecutionCancelledError: [result],
  RuntimeUnavailableError: ['message'],
  ArgumentValidationError: ['f', [{ path: 'args[0]', message: 'expected string' }]],
  SessionLimitError: [1],
  SessionClosedError: ['closed by close()'],
  MountError: ['/tmp/x', 'message'],
  PackageError: ['/tmp/pkg', 'message', { file: 'x.so' }],
  SyncError: ['message', { state: 'failed', written: [], denied: [] }],
  SyncConflictError: ['message', { state: 'conflict', written: [], denied: [] }, '/tmp/x'],
  ExecutionError: ['SOME_CODE', 'message', result],
  UserCodeError: [result],
  ExecutionTimeoutError: [result],
  SandboxCrashError: [result],
  ResultTooLargeError: [result],
};

/**
 * Source of a function that makes one instance of every exported error class of `api` and returns
 * `{ [exportName]: error.name }` (or `missing arguments` for a class the table lacks). It runs in the
 * test process and, as text, inside projects that use the packed package.
 */
export function errorNamesOf(api: Record<string, unknown>, table: Record<string, readonly unknown[]>): Record<string, string> {
  const names: Record<string, string> = {};
  for (const [name, value] of Object.entries(api)) {
    if (typeof value !== 'function' || !(value.prototype instanceof Error)) continue;
    const args = table[name];
    names[name] = args ? (Reflect.construct(value, args) as Error).name : 'missing arguments';
  }
  return names;
}

/** The same for the error classes of `sandbox-executor/queue`. */
export const QUEUE_ERROR_CONSTRUCTOR_ARGUMENTS: Record<string, readonly unknown[]> = {
  QueueDependencyError: [['bullmq']],
  QueueRequestTooLargeError: [10, 5],
  CallNotFoundError: ['call-1'],
  QueueClosedError: [],
};
