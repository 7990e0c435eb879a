/**
 * The contract every language folder fulfils. A language is one folder under `src/languages/` plus one
 * line in `registry.ts`.
 */
import type { Language } from '../types.js';
import type { JobFile, RuntimeId } from '../runtime/worker-protocol.js';
import type { FunctionSignature } from './signature.js';

/** How to run the proxy of one call. */
export interface ProgramPlan {
  /** Interpreter (or compiled program) to run. */
  runtime: RuntimeId;
  argv: string[];
  env: Record<string, string>;
  /** Working directory of user code. */
  cwd: string;
  /**
   * Files that are the same for every call of this language (the proxy). A pre-started instance is
   * started with these and receives `callFiles` when it is claimed.
   */
  baseFiles: JobFile[];
  /** Files of this call: the user's code. */
  callFiles: JobFile[];
}

/** Everything the executor needs to know about one language. */
export interface LanguageDefinition {
  /** Canonical name used in requests and results. */
  id: Language;
  /** Other names accepted in requests. */
  aliases: readonly string[];
  /** Finds the callable top-level functions of `code`. Must not throw on any input. */
  inferSignatures(code: string): FunctionSignature[];
  /** The program that runs one call of `functionName`. */
  planProgram(code: string, signature: FunctionSignature): ProgramPlan;
}
