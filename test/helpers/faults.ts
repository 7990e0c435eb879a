/**
 * Fault injection for the reliability tests: one object whose fields a test sets, read by every executor
 * given it with `executor.injectFaults(faults)` where each fault applies. Every field is off by default.
 */
import type { ExecutorFaults } from '../../src/executor.js';

export const faults: ExecutorFaults = {
  failDiskSyncOnStep: 0,
  killWorkerAfterMs: undefined,
  templatesDir: undefined,
  afterDiskWrite: undefined,
  stallTools: undefined,
};
