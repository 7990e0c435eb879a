/**
 * The plans of scripts and contexts: an interpreted language runs a script with the program of its calls
 * (the frame says what to do), so that scripts use the prestarted instances of calls, and a request's
 * environment never changes the program (it travels in the frame).
 */
import { describe, expect, it } from 'vitest';
import type { ProgramInput } from '../../src/languages/language.js';
import { registeredLanguages } from '../../src/languages/registry.js';
import type { ProgramPlan } from '../../src/runtime/program.js';

const MIB = 1024 * 1024;
const proxy = { entry: '/sandbox/main', files: [{ path: '/sandbox/main', data: new Uint8Array([1, 2, 3]) }] };

/** What makes two prestarted instances interchangeable (see ProgramPlanner.prestartKey). */
const instance = (plan: ProgramPlan) => ({
  runtime: plan.runtime.id,
  argv: plan.argv,
  env: plan.env,
  cwd: plan.cwd,
  baseFiles: plan.baseFiles,
  stdin: plan.stdin ?? 'sip',
});

describe.each(registeredLanguages().filter((language) => language.prestart !== false))('$id', (language) => {
  const plan = (code: string, input: ProgramInput, env: Record<string, string> = {}, argv: string[] = []) =>
    language.planProgram({
      code,
      analysis: language.analyze(code),
      input,
      runtime: language.runtimes[0],
      prepared: proxy,
      toolbox: undefined as never,
      memoryBytes: 256 * MIB,
      env,
      argv,
    }) as ProgramPlan;

  it('a script, a context and a call with env and argv run the program of the prestarted instances', () => {
    const prestarted = instance(plan('', { kind: 'module' }));
    expect(instance(plan('x = 1\n', { kind: 'script' }, { A: '1' }, ['a']))).toEqual(prestarted);
    expect(instance(plan('', { kind: 'context' }, { A: '1' }))).toEqual(prestarted);
    expect(instance(plan('x = 1\n', { kind: 'module' }, { A: '1' }, ['a']))).toEqual(prestarted);
  });
});
