/**
 * A typed object over a session: `mod.add(1, 2)` calls `add` in the sandbox. Keyword arguments go
 * through `mod.add.withKwargs({ … })(…args)`.
 */
import { inspect } from 'node:util';
import type { Session } from './session.js';

/**
 * What `load()` gives without a type argument: every name is a function that takes any arguments and
 * resolves with `unknown`, so results must be checked or cast before use (never `any`).
 */
export type UntypedModule = Record<string, (...args: unknown[]) => Promise<unknown>>;

/** A function of a loaded module: call it with positional arguments, or bind keyword arguments first. */
export type ModuleFunction<F> = F & {
  /** The same function with keyword arguments bound: `mod.greet.withKwargs({ greeting: 'Hi' })('Ada')`. */
  withKwargs(kwargs: Readonly<Record<string, unknown>>): F;
};

/**
 * What `SandboxExecutor.load()` returns: one async function per function of the code, plus the session
 * behind them. `T` describes the functions, for example `{ add(a: number, b: number): Promise<number> }`.
 */
export type LoadedModule<T> = { readonly [K in keyof T]: ModuleFunction<T[K]> } & {
  /** The session that runs the calls. */
  readonly $session: Session;
  /** Names of the callable functions found in the code. */
  readonly $functions: readonly string[];
  /** Closes the session. */
  $close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
};

/** Builds the proxy object. Unknown names are still forwarded, so the session reports them. */
export function createModuleProxy<T>(session: Session, functions: readonly string[]): LoadedModule<T> {
  const cache = new Map<string, unknown>();
  const functionFor = (name: string): unknown => {
    let fn = cache.get(name);
    if (!fn) {
      const call = (...args: unknown[]) => session.call(name, args);
      fn = Object.assign(call, {
        withKwargs:
          (kwargs: Readonly<Record<string, unknown>>) =>
          (...args: unknown[]) =>
            session.call(name, args, kwargs),
      });
      cache.set(name, fn);
    }
    return fn;
  };
  const target = {
    $session: session,
    $functions: functions,
    $close: () => session.close(),
    [Symbol.asyncDispose]: () => session.close(),
    // util.inspect looks at a proxy's target: print the functions, not the session's worker and timers.
    [inspect.custom]: () => `LoadedModule { language: ${session.language}, functions: [${functions.join(', ')}], session: ${session.state} }`,
  };
  return new Proxy(target, {
    get(object, property, receiver) {
      if (typeof property === 'symbol' || property in object) return Reflect.get(object, property, receiver);
      // Not a thenable: `await executor.load(…)` must resolve to the proxy itself.
      if (property === 'then') return undefined;
      return functionFor(property);
    },
    has(object, property) {
      return property in object || (typeof property === 'string' && functions.includes(property));
    },
    ownKeys() {
      return [...functions];
    },
    getOwnPropertyDescriptor(_object, property) {
      if (typeof property === 'string' && functions.includes(property)) return { enumerable: true, configurable: true, value: functionFor(property) };
      return undefined;
    },
  }) as unknown as LoadedModule<T>;
}
