/**
 * The messages of the WebSocket endpoint (`{basePath}/ws`), as plain JSON types that a browser client can
 * import (`import type { … } from 'sandbox-executor/server'`): nothing here needs Node.
 *
 * Every message is one JSON object per text frame; its `event` field names it, as the `event:` line of
 * the Server-Sent Events stream does. Values that JSON cannot hold (big integers, bytes, NaN) travel with
 * the wire tags of docs/values.md (`{"$bigint": "…"}`, `{"$bytes": "<base64>"}`).
 *
 * @packageDocumentation
 */

/** A JSON value, with the wire tags for what JSON cannot hold. */
export type WsJsonValue = null | boolean | number | string | WsJsonValue[] | { [key: string]: WsJsonValue };

/**
 * Client → server: run code. Without `sessionId`, the fields are those of `POST /exec` (the same
 * checks and ceilings): no `functionName`, `args` or `kwargs` (or `kind: 'script'`) runs the code as a
 * script, otherwise it calls a function. Its standard input is `stdin`, then whatever `stdin-data`
 * sends, until `stdin-end`. With `sessionId` (a session created with `POST /sessions` by the same
 * token), `code` is a snippet run in the session's context, or `functionName` (`args`, `kwargs`) a
 * function it calls; `timeoutMs` may be given, nothing else.
 *
 * The server answers `execution-started` (or an `error` carrying `requestId` when the request is
 * refused before it starts).
 */
export interface WsExecuteMessage {
  event: 'execute';
  /** The client's name for this request (a non-empty string of at most 200 characters), echoed in `execution-started` and in errors. */
  requestId: string;
  /** Language of `code`; not needed with `sessionId`. */
  language?: string;
  /** The code to run; with `sessionId`, a snippet for a context. */
  code?: string;
  /** The function to call; absent for a script or a snippet. */
  functionName?: string;
  /** Positional arguments of the call. */
  args?: WsJsonValue[];
  /** Keyword arguments of the call. */
  kwargs?: Record<string, WsJsonValue>;
  /** Standard input given at once (more can follow with `stdin-data`). */
  stdin?: string;
  /** Environment variables the code sees. */
  env?: Record<string, string>;
  /** Command-line arguments the code sees. */
  argv?: string[];
  /** Time limit in milliseconds (at most the server's `maxTimeoutMs`). */
  timeoutMs?: number;
  /** Run in a session or context that `POST {basePath}/sessions` created with the same token. */
  sessionId?: string;
  /** `'script'` or `'call'`, when the presence of `functionName`/`args`/`kwargs` should not decide. */
  kind?: 'call' | 'script';
  /** Files placed in the sandbox (path → text, or `{"$bytes": "<base64>"}`). */
  files?: Record<string, WsJsonValue>;
  /** Other fields of `POST /exec`: `memoryLimitMb`, `maxOutputBytes`, `compileTimeoutMs`, `returnFileContents`, `deterministic`, `validateArgs`, `mounts`, `permissions`, `sync`. */
  [field: string]: unknown;
}

/** Client → server: text for the standard input of a run this socket started (UTF-8). */
export interface WsStdinDataMessage {
  event: 'stdin-data';
  executionId: string;
  data: string;
}

/** Client → server: ends the standard input of a run this socket started (a read past the data sees end of input). */
export interface WsStdinEndMessage {
  event: 'stdin-end';
  executionId: string;
}

/**
 * Client → server: cancels a run this socket started, or one the same token started over HTTP. The run
 * ends with `execution-complete`, status `cancelled`, for the sockets that follow it.
 */
export interface WsCancelMessage {
  event: 'cancel';
  executionId: string;
}

/**
 * Client → server: follow a run that the same token started elsewhere (`POST /exec?wait=false`, another
 * socket): what happened so far is replayed, then its events come as they happen, until
 * `execution-complete`. A run can be joined until a while after it ended (the server's `retainMs`).
 */
export interface WsJoinMessage {
  event: 'join';
  executionId: string;
}

/** Any message a client may send. */
export type WsClientMessage = WsExecuteMessage | WsStdinDataMessage | WsStdinEndMessage | WsCancelMessage | WsJoinMessage;

/** Server → client: a run was accepted; its events carry `executionId` from now on. */
export interface WsExecutionStartedMessage {
  event: 'execution-started';
  requestId: string;
  executionId: string;
}

/** Server → client: output of a run, in the order it was written. */
export interface WsExecutionOutputMessage {
  event: 'execution-output';
  executionId: string;
  /** Which stream the program wrote to. */
  type: 'stdout' | 'stderr';
  /** Decoded text. */
  data: string;
  /** When the server received it, in milliseconds since 1970 (`Date.now()`). */
  timestamp: number;
}

/** Server → client: a phase of a run starts, advances or ends (`loading-runtime`, `compiling`, `running`; see docs/streaming.md). */
export interface WsExecutionPhaseMessage {
  event: 'execution-phase';
  executionId: string;
  language: string;
  phase: string;
  state: 'start' | 'progress' | 'end';
  /** Milliseconds from the start of the run to this event. */
  elapsedMs: number;
  /** Milliseconds since the phase started: 0 at `start`, its duration at `end`. */
  phaseMs: number;
  /** How much of the phase's work is done, for phases that count it. */
  progress?: { filesDone?: number; filesTotal?: number; bytesDone?: number; bytesTotal?: number };
  timestamp: number;
}

/** Server → client: the run ended. The last message about it. */
export interface WsExecutionCompleteMessage {
  event: 'execution-complete';
  executionId: string;
  /** `success`, `error`, `timeout`, `crash` or `cancelled`. */
  status: 'success' | 'error' | 'timeout' | 'crash' | 'cancelled';
  /** The program's exit code, or null when it was stopped before it exited. */
  exitCode: number | null;
  /** The value (a call's return value, a script's or a snippet's last expression); absent when it has none. */
  result?: WsJsonValue;
  /** What went wrong, when `status` is not `success`: `type`, `message`, `line`, `traceback`. */
  error?: { type: string; message: string; line?: number; traceback?: string; [field: string]: unknown };
  /** Resources used (`wallMs`, `peakMemoryBytes`, `stdoutBytes`…). */
  usage: Record<string, number | boolean>;
  /** Files created, modified and deleted, when the request had files. */
  files?: { created: WsJsonValue[]; modified: WsJsonValue[]; deleted: WsJsonValue[]; sync: WsJsonValue };
  timestamp: number;
}

/**
 * The stable codes of `error` messages: those below, and the codes of the HTTP API's errors for a refused
 * `execute` (`INVALID_REQUEST`, `UNSUPPORTED_LANGUAGE`, `FUNCTION_NOT_FOUND`, `OVER_SERVER_LIMIT`,
 * `MOUNT_NOT_ALLOWED`, `PAYLOAD_TOO_LARGE`, `SERVER_BUSY`, `SESSION_CLOSED`…).
 */
export type WsErrorCode =
  /** Not JSON, not an object, or a field missing or of the wrong type. */
  | 'BAD_MESSAGE'
  /** An `event` the server does not know. */
  | 'UNKNOWN_MESSAGE'
  /** A message larger than the server's `maxMessageBytes` (it was dropped; twice that closes the socket with code 1009). */
  | 'MESSAGE_TOO_LARGE'
  /** This socket already has `maxRunsPerSocket` runs that have not ended. */
  | 'TOO_MANY_RUNS'
  /** No run with this `executionId` that this socket (or token) may use; or it has ended. */
  | 'EXECUTION_NOT_FOUND'
  /** `stdin-data` for a run whose input is closed: after `stdin-end`, or a session run (which reads none). */
  | 'STDIN_CLOSED'
  /** No session with this `sessionId` for this token. */
  | 'SESSION_NOT_FOUND'
  /** Every job slot of the server is taken (`maxConcurrentJobs` + `maxPendingJobs`); try again later. */
  | 'SERVER_BUSY'
  | (string & {});

/**
 * Server → client: something went wrong. With `requestId`, an `execute` was refused before it started;
 * with `executionId`, a run failed to start or was lost (it gets no `execution-complete`); with neither,
 * a message was refused.
 */
export interface WsErrorMessage {
  event: 'error';
  code: WsErrorCode;
  message: string;
  requestId?: string;
  executionId?: string;
  /** The request field at fault, for a refused `execute`. */
  field?: string;
}

/** Any message the server sends. */
export type WsServerMessage = WsExecutionStartedMessage | WsExecutionOutputMessage | WsExecutionPhaseMessage | WsExecutionCompleteMessage | WsErrorMessage;

/**
 * The WebSocket subprotocol a browser offers, with its token as a second entry `bearer.<token>` when
 * the server has one: `new WebSocket(url, [WS_PROTOCOL, 'bearer.' + token])`. The server selects this
 * one (never echoes the token).
 */
export const WS_PROTOCOL = 'sandbox-executor';
