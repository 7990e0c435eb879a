/**
 * Turns how a job ended (exit, trap, timeout, result frames) into the one {@link ExecutionResult} shape.
 *
 * What the host observed beats what the guest claims: a result frame is written by code inside the
 * sandbox (the proxy, or user code that reaches the proxy's open descriptor), so it counts only when it
 * is the one frame of the call, answers the call's number, and the program then finishes normally
 * (exits with 0, or, in a session, asks for its next call). Otherwise the observed end is reported.
 */
import type { ExecutionErrorInfo, ExecutionResult, ExecutionStatus, ExecutionUsage, Language } from '../types.js';
import type { JobOutcome } from '../runtime/worker-handle.js';
import { ResultFrameTooLarge, type ResultFrame } from '../protocol/result-frame.js';
import type { OutputCollector } from '../runtime/output-collector.js';

/** `error.type` of a call whose result frame announced more than `maxResultBytes`. */
export const RESULT_TOO_LARGE = 'ResultTooLarge';
/** `error.type` of a script that exited with a code other than 0 (`exit(3)`, C's `return 3;` from `main`). */
export const SCRIPT_EXIT = 'Exit';
/** `error.type` of a call whose program broke the result protocol (frames that cannot be trusted). */
export const PROTOCOL_ERROR = 'ProtocolError';

/** Marker appended to stdout when the output limit cut a program off. */
export const OUTPUT_TRUNCATED_MARKER = (limit: number): string => `\n[sandbox-executor: output truncated at ${limit} bytes]\n`;

/** What the executor knows at the end of one call. */
export interface CallEnd {
  id: string;
  language: Language;
  functionName: string;
  outcome: JobOutcome | undefined;
  /** Every result frame the call's program wrote, oldest first. */
  frames: readonly ResultFrame[];
  /** The call number sent in the request frame; the frame must echo it. */
  callNumber: number;
  /** A session's program asked for its next call after this one (a normal end of the call). */
  idle?: boolean;
  /**
   * A script or a snippet rather than a call: its result frame (the last expression's value) is
   * optional, and an exit with a non-zero code is the script's error, not a crash.
   */
  script?: boolean;
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
  /** The call ran on a prestarted instance. */
  prestarted?: boolean;
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
  } else {
    const verdict = end.script ? judgeScript(end, stderr) : judge(end, stderr);
    ({ status, value, error } = verdict);
    if (verdict.truncated) stdout += OUTPUT_TRUNCATED_MARKER(end.maxOutputBytes);
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
      prestarted: end.prestarted === true,
    },
  };
  // A script or snippet without a value has no `result` (a call's value is at least null).
  if (status === 'success' && value !== undefined) result.result = value;
  if (error) result.error = error;
  return result;
}

/** The result of a call that failed before running (the user's code did not build). */
export function buildFailureResult(failure: {
  id: string;
  language: Language;
  functionName: string;
  error: ExecutionErrorInfo;
  stderr: string;
  durationMs: number;
}): ExecutionResult {
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
  return { wallMs: round(wallMs), queueMs: 0, peakMemoryBytes: 0, stdoutBytes: 0, stderrBytes: 0, filesWritten: 0, bytesWritten: 0, prestarted: false };
}

const round = (ms: number): number => Math.round(ms * 1000) / 1000;

interface Verdict {
  status: ExecutionStatus;
  value?: unknown;
  error?: ExecutionErrorInfo;
  /** The output limit stopped the program (stdout gets the truncation marker). */
  truncated?: boolean;
}

/**
 * The verdict when the result channel cannot be trusted (a result over the limit, corrupted bytes,
 * several frames, an answer to another call, a second frame begun); undefined when it can.
 */
function untrustedFrames(end: CallEnd): Verdict | undefined {
  const outcome = end.outcome;
  const frameError = end.collector.frameError;
  const tooLarge =
    outcome?.type === 'done' && outcome.end.kind === 'result-limit' ? outcome.end : frameError instanceof ResultFrameTooLarge ? frameError : undefined;
  if (tooLarge) {
    return {
      status: 'error',
      error: {
        type: RESULT_TOO_LARGE,
        message: `The result was ${tooLarge.announcedBytes} bytes, more than maxResultBytes (${tooLarge.limitBytes}); the program was stopped before sending it.`,
      },
    };
  }
  if (frameError) return protocolError(`The result channel was corrupted: ${frameError.message}.`);
  const frames = end.frames;
  if (frames.length > 1) return protocolError(`The program wrote ${frames.length} result frames for one call; none of them is trusted.`);
  if (frames.length === 1 && frames[0].call !== end.callNumber) {
    return protocolError(`The program answered call ${frames[0].call ?? '(no number)'} while call ${end.callNumber} was running; the answer was dropped.`);
  }
  if (frames.length === 1 && end.collector.partialFrameBytes > 0) {
    return protocolError('The program began a second result frame after its answer; the answer is not trusted.');
  }
  return undefined;
}

/** The status of a call that was neither cancelled nor timed out, from its frames and its end. */
function judge(end: CallEnd, stderr: string): Verdict {
  const outcome = end.outcome;
  const untrusted = untrustedFrames(end);
  if (untrusted) return untrusted;
  const frames = end.frames;
  const outputLimit = outcome?.type === 'done' && outcome.end.kind === 'output-limit';
  if (frames.length === 0) {
    if (outputLimit) return outputLimitError(end.maxOutputBytes);
    return { status: 'crash', error: describeCrash(outcome, stderr) };
  }
  const frame = frames[0];
  // An error frame stands whatever follows: PHP ends with a trap after reporting a fatal error, and the
  // C runtime exits with 1 after sandbox_raise(). Only a value needs the program to finish normally.
  if (!frame.ok) return { status: 'error', error: frame.error };
  const normal = end.idle === true || (outcome?.type === 'done' && outcome.end.kind === 'exit' && outcome.end.code === 0);
  if (normal) return { status: 'success', value: frame.value };
  if (outputLimit) return outputLimitError(end.maxOutputBytes);
  const crash = describeCrash(outcome, stderr);
  const dropped = 'It had written a result frame first, which was dropped: a result only counts when the program then finishes normally.';
  if (outcome?.type === 'done' && outcome.end.kind === 'exit' && !outcome.memoryAtLimit) {
    const tail = lastLines(stderr, 5);
    return { status: 'crash', error: { type: crash.type, message: `The program exited with code ${outcome.end.code}. ${dropped}${tail ? `\n${tail}` : ''}` } };
  }
  return { status: 'crash', error: { type: crash.type, message: `${crash.message.split('\n')[0]} ${dropped}` } };
}

/**
 * The status of a script or snippet that was neither cancelled nor timed out. Its program ends by itself
 * (exits, or in a context asks for its next snippet); a result frame, when there is one, carries the
 * value of its last expression or the error that ended it. A frame with an error stands whatever follows
 * (the proxy exits with 1 after it, as the interpreter would); otherwise an exit code other than 0 is the
 * script's own error (`exit(3)`), and only an end the script did not choose (a trap, a lost worker) is a
 * crash.
 */
function judgeScript(end: CallEnd, stderr: string): Verdict {
  const outcome = end.outcome;
  const untrusted = untrustedFrames(end);
  if (untrusted) return untrusted;
  const frame = end.frames[0];
  if (frame && !frame.ok) return { status: 'error', error: frame.error };
  if (outcome?.type === 'done' && outcome.end.kind === 'output-limit') return outputLimitError(end.maxOutputBytes);
  const exitCode = outcome?.type === 'done' && outcome.end.kind === 'exit' ? outcome.end.code : undefined;
  if (end.idle !== true && exitCode === undefined) return { status: 'crash', error: describeCrash(outcome, stderr) };
  if (exitCode !== undefined && exitCode !== 0) {
    if (outcome?.type === 'done' && outcome.memoryAtLimit) return { status: 'crash', error: describeCrash(outcome, stderr) };
    const tail = lastLines(stderr, 5);
    return { status: 'error', error: { type: SCRIPT_EXIT, message: `The script exited with code ${exitCode}.${tail ? `\n${tail}` : ''}` } };
  }
  // The language's nothing (None, nil, null, undefined) is no value.
  return frame?.ok && frame.value !== null && frame.value !== undefined ? { status: 'success', value: frame.value } : { status: 'success' };
}

function protocolError(message: string): Verdict {
  return { status: 'crash', error: { type: PROTOCOL_ERROR, message } };
}

function outputLimitError(limit: number): Verdict {
  return {
    status: 'error',
    truncated: true,
    error: { type: 'OutputLimitExceeded', message: `The program wrote more than ${limit} bytes to stdout and stderr (maxOutputBytes) and was stopped.` },
  };
}

function describeCrash(outcome: JobOutcome | undefined, stderr: string): ExecutionErrorInfo {
  if (!outcome) return { type: 'Crash', message: 'The execution ended without an outcome.' };
  if (outcome.type === 'lost') return { type: 'WorkerLost', message: outcome.reason };
  const tail = lastLines(stderr, 5);
  const detail = tail ? `\n${tail}` : '';
  switch (outcome.end.kind) {
    case 'trap':
      if (outcome.memoryAtLimit) {
        return {
          type: 'MemoryLimitExceeded',
          message: `The program ran out of memory at ${formatBytes(outcome.memoryBytes)} (memoryLimitMb) and was stopped (${outcome.end.message}).${detail}`,
        };
      }
      if (/call stack/i.test(outcome.end.message)) return { type: 'StackOverflow', message: `The program exhausted its call stack.${detail}` };
      return { type: 'Trap', message: `The program trapped: ${outcome.end.message}.${detail}` };
    case 'exit':
      if (outcome.memoryAtLimit) {
        return {
          type: 'MemoryLimitExceeded',
          message: `The program ran out of memory at ${formatBytes(outcome.memoryBytes)} (memoryLimitMb) and exited with code ${outcome.end.code}.${detail}`,
        };
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
