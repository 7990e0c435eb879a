/**
 * Fault injection: a proxy template missing. In its own file so that no earlier test has read (and
 * cached) the template.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RuntimeUnavailableError, SandboxExecutor } from '../../src/index.js';
import { faults } from '../helpers/faults.js';
import { rejection } from '../helpers/rejection.js';

const ADD = 'def add(a, b):\n    return a + b\n';

describe('a missing proxy template', () => {
  it('rejects with RuntimeUnavailableError naming the file, and recovers once it is back', async () => {
    // A fresh executor and module state: this file's first read of the Python template happens here.
    const empty = await mkdtemp(join(tmpdir(), 'sandbox-no-templates-'));
    const executor = new SandboxExecutor({ poolSize: 1, prestart: 0 });
    executor.injectFaults(faults);
    try {
      faults.templatesDir = empty;
      const error = await rejection(executor.invoke({ language: 'python', code: ADD, args: [1, 2] }));
      expect(error).toBeInstanceOf(RuntimeUnavailableError);
      expect(error.message).toContain(join(empty, 'python'));
      faults.templatesDir = undefined;
      expect((await executor.invoke({ language: 'python', code: ADD, args: [1, 2] })).result).toBe(3);
    } finally {
      await executor.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
