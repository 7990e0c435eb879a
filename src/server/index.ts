/**
 * `sandbox-executor/server`: the HTTP adapter (optional import, so the core stays free of it).
 *
 * @packageDocumentation
 */
export { createSandboxServer } from './http-server.js';
export type { MountRoot, SandboxServer, SandboxServerOptions } from './http-server.js';
export type { ExecutionEvent } from './execution-log.js';
export { WS_PROTOCOL } from './ws-protocol.js';
export type {
  WsCancelMessage,
  WsClientMessage,
  WsErrorCode,
  WsErrorMessage,
  WsExecuteMessage,
  WsExecutionCompleteMessage,
  WsExecutionOutputMessage,
  WsExecutionPhaseMessage,
  WsExecutionStartedMessage,
  WsJoinMessage,
  WsJsonValue,
  WsServerMessage,
  WsStdinDataMessage,
  WsStdinEndMessage,
} from './ws-protocol.js';
