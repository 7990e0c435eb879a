/**
 * Turns how a job ended (exit, trap, timeout, result frame) into the one {@link ExecutionResult} shape.
 */
import type { ExecutionErrorInfo, ExecutionResult, ExecutionStatus, ExecutionUsage, Language } from '../types.js';
import type { JobOutcome } from '../runtime/worker-handle.js';
import type { ResultFrame } from '../protocol/result-frame.js';
import type { OutputCollector } from './output-collector.js';

/** Marker appended to stdout when the output limit cut a program off. */
export const OUTPUT_TRUNCATED_MARKER = (limit: number): string => `\n[sandbox-executor: output truncated at ${limit} bytes]\n`;

/** What the executor knows at the end of one call. */
export interface CallEnd {
  id: string;
  language: Language;
  functionName: string;
  outcome: JobOutcome | undefined;
  frame: ResultFrame | undefined;
  collector: OutputCollector;
  durationMs: number;
  timedOut: boolean;
  cancelled: boolean;
  timeoutMs: number;
  maxOutputBytes: number;
  /** Milliseconds waited for a worker. */
  queueMs?: number;
  /** Milliseconds from the call to now; defaults to `durationMs` + `queueMs`. */
  wallMs?: number;
}

export function buildResult(end: CallEnd): ExecutionResult {
  let stdout = end.collector.stdout();
  const stderr = end.collector.stderr();
  const outcome = end.outcome;
  const exitCode = outcome?.type === 'done' && outcome.end.kind === 'exit' ? outcome.end.code : null;
  let status: ExecutionStatus;
  let error: ExecutionErrorInfo | undefined;
  let value: unknown;

  if (end.cancelled) {
    status = 'cancelled';
    error = { type: 'Cancelled', message: 'The execution was cancelled.' };
  } else if (end.timedOut) {
    status = 'timeout';
    error = { type: 'Timeout', message: `The execution exceeded its time limit of ${end.timeoutMs} ms and was stopped.` };
  } else if (end.frame?.ok === true) {
    status = 'success';
    value = end.frame.value;
  } else if (end.frame && end.frame.ok === false) {
    status = 'error';
    error = end.frame.error;
  } else if (outcome?.type === 'done' && outcome.end.kind === 'output-limit') {
    status = 'error';
    stdout += OUTPUT_TRUNCATED_MARKER(end.maxOutputBytes);
    error = { type: 'OutputLimitExceeded', message: `The program wrote more than ${end.maxOutputBytes} bytes to stdout and stderr (maxOutputBytes) and was stopped.` };
  } else {
    status = 'crash';
    error = describeCrash(outcome, stderr, end.collector.frameError);
  }

  const result: ExecutionResult = {
    id: end.id,
    status,
    stdout,
    stderr,
    exitCode,
    durationMs: round(end.durationMs),
    language: end.language,
    functionName: end.functionName,
    usage: {
      wallMs: round(end.wallMs ?? end.durationMs + (end.queueMs ?? 0)),
      queueMs: round(end.queueMs ?? 0),
      peakMemoryBytes: outcome?.type === 'done' ? outcome.memoryBytes : 0,
      stdoutBytes: end.collector.stdoutBytes,
      stderrBytes: end.collector.stderrBytes,
      filesWritten: outcome?.type === 'done' ? outcome.fsFilesWritten : 0,
      bytesWritten: outcome?.type === 'done' ? outcome.fsBytesWritten : 0,
    },
  };
  if (status === 'success') result.result = value;
  if (error) result.error = error;
  return result;
}

/** The result of a call that failed before running (the user's code did not build). */
export function buildFailureResult(failure: { id: string; language: Language; functionName: string; error: ExecutionErrorInfo; stderr: string; durationMs: number }): ExecutionResult {
  return {
    id: failure.id,
    status: 'error',
    stdout: '',
    stderr: failure.stderr,
    exitCode: null,
    durationMs: round(failure.durationMs),
    language: failure.language,
    functionName: failure.functionName,
    error: failure.error,
    usage: emptyUsage(failure.durationMs),
  };
}

/** Usage of an execution that never ran a program. */
export function emptyUsage(wallMs: number): ExecutionUsage {
  return { wallMs: round(wallMs), queueMs: 0, peakMemoryBytes: 0, stdoutBytes: 0, stderrBytes: 0, filesWritten: 0, bytesWritten: 0 };
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

function describeCrash(outcome: JobOutcome | undefined, stderr: string, frameError: Error | undefined): ExecutionErrorInfo {
  if (frameError) return { type: 'ProtocolError', message: `The result channel was corrupted: ${frameError.message}` };
  if (!outcome) return { type: 'Crash', message: 'The execution ended without an outcome.' };
  if (outcome.type === 'lost') return { type: 'WorkerLost', message: outcome.reason };
  const tail = lastLines(stderr, 5);
  const detail = tail ? `\n${tail}` : '';
  switch (outcome.end.kind) {
    case 'trap':
      if (outcome.memoryAtLimit) {
        return { type: 'MemoryLimitExceeded', message: `The program ran out of memory at ${formatBytes(outcome.memoryBytes)} (memoryLimitMb) and was stopped (${outcome.end.message}).${detail}` };
      }
      if (/call stack/i.test(outcome.end.message)) return { type: 'StackOverflow', message: `The program exhausted its call stack.${detail}` };
      return { type: 'Trap', message: `The program trapped: ${outcome.end.message}.${detail}` };
    case 'exit':
      if (outcome.memoryAtLimit) {
        return { type: 'MemoryLimitExceeded', message: `The program ran out of memory at ${formatBytes(outcome.memoryBytes)} (memoryLimitMb) and exited with code ${outcome.end.code}.${detail}` };
      }
      return { type: 'ProcessExit', message: `The program exited with code ${outcome.end.code} before returning a result.${detail}` };
    case 'failed':
      return { type: 'SandboxFailure', message: outcome.end.message };
    default:
      return { type: 'Crash', message: `The program ended unexpectedly (${outcome.end.kind}).` };
  }
}

function lastLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}

function formatBytes(bytes: number): string {
  return `${Math.round((bytes / 1024 / 1024) * 10) / 10} MiB`;
}
