/**
 * sandbox-executor: call functions written in Python (and more) from Node.js, inside a WebAssembly/WASI
 * sandbox, in-process.
 *
 * @packageDocumentation
 */
export { SandboxExecutor } from './executor.js';
export { Session } from './session/session.js';
export { Context } from './session/context.js';
export { Execution } from './result/execution-handle.js';
export type { SessionMode } from './session/session.js';
export type { LoadedModule, ModuleFunction, UntypedModule } from './session/module-proxy.js';
export * from './errors.js';
export * from './fs/sync-errors.js';
export * from './result/execution-errors.js';
export type {
  ContextOptions,
  ContextRunOptions,
  ExecutionErrorInfo,
  ExecutionPhase,
  ExecutionPhaseEvent,
  ExecutionRequest,
  ExecutionResult,
  ExecutionStatus,
  ExecutionUsage,
  ExecutorEvents,
  ExecutorStatus,
  Language,
  LanguageAlias,
  LanguageInput,
  PhaseProgress,
  ProgramPhase,
  SandboxExecutorOptions,
  ScriptRequest,
  SessionCallRequest,
  SessionOptions,
  StartRequest,
  StreamEvent,
  PackageSource,
  TemplateDefinition,
  TemplateInfo,
  WarmupOptions,
  WarmupProgressEvent,
  WarmupTarget,
} from './types.js';
export type {
  AfterSyncHook,
  BeforeSyncHook,
  FileChange,
  FileOptions,
  FileOperation,
  FilesReport,
  MountOptions,
  PendingChanges,
  PermissionOptions,
  PermissionRule,
  SyncOptions,
  SyncReport,
} from './fs/fs-types.js';
export type { CodeDescription, FunctionDescription, ParameterDescription } from './introspection/describe.js';
export type { JsonSchema } from './languages/type-schema.js';
export type { FunctionSignature, ParameterInfo, ParameterKind } from './languages/signature.js';
export { SUPPORTED_LANGUAGES } from './languages/registry.js';
