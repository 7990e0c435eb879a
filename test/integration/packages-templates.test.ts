/**
 * Templates: defined by the executor's owner, listed, redefined (the old definition's prestarted
 * instances are dismissed), named by requests, sessions and contexts; over HTTP listed and used, never
 * defined by clients, and `packages` refused from clients.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidRequestError, PackageError, SandboxExecutor } from '../../src/index.js';
import { createSandboxServer } from '../../src/server/index.js';
import { rejection } from '../helpers/rejection.js';

const fixtures = fileURLToPath(new URL('../fixtures/packages/', import.meta.url));
const greetingWheel = `${fixtures}python/greeting-1.0-py3-none-any.whl`;
// No prestarted instances of the languages themselves: the pool's instances are the templates' alone.
const executor = new SandboxExecutor({ poolSize: 2, prestart: 0 });
afterAll(() => executor.close());

const VERSION_CODE = 'import sys\ndef version():\n    return getattr(sys, "template_version", None)\n';

describe('templates', () => {
  it("run setup once per interpreter, before the call: what setup imports and sets is there for the call's code", async () => {
    await executor.defineTemplate('greet', {
      language: 'python',
      packages: [greetingWheel],
      files: { 'data/name.txt': 'template' },
      env: { GREETING_MODE: 'template' },
      setup: 'import sys, greeting\nsys.template_version = 1\n',
      limits: { timeoutMs: 20_000 },
      prestart: 1,
    });
    const r = await executor.invoke({
      template: 'greet',
      language: 'python',
      code: 'import os, sys, greeting\ndef run():\n    return [greeting.greet(open("data/name.txt").read()), os.environ["GREETING_MODE"], sys.template_version, "greeting" in sys.modules]\n',
      functionName: 'run',
    });
    expect(r.error).toBeUndefined();
    expect(r.result).toEqual(['Hello, template!', 'template', 1, true]);
    expect(executor.templates()).toContainEqual(
      expect.objectContaining({
        name: 'greet',
        language: 'python',
        packages: [greetingWheel],
        files: ['data/name.txt'],
        env: { GREETING_MODE: 'template' },
        prestart: 1,
      }),
    );
  });

  it('redefinition dismisses the prestarted instances of the old definition', async () => {
    const own = new SandboxExecutor({ poolSize: 2, prestart: 0 });
    // The pool's instances by key (status() adds them up per language).
    const instances = (): Record<string, number> => (own as unknown as { pool: { status(): { prestarted: Record<string, number> } } }).pool.status().prestarted;
    try {
      await own.defineTemplate('versioned', { language: 'python', setup: 'import sys\nsys.template_version = 1\n', prestart: 2 });
      await own.warmup(['python']);
      const [oldKey, ...others] = Object.keys(instances());
      expect(others).toEqual([]);
      expect(instances()[oldKey!]).toBe(2);
      expect(await own.call({ template: 'versioned', language: 'python', code: VERSION_CODE, functionName: 'version' })).toBe(1);
      await own.defineTemplate('versioned', { language: 'python', setup: 'import sys\nsys.template_version = 2\n', prestart: 2 });
      expect(instances()[oldKey!]).toBeUndefined();
      expect(await own.call({ template: 'versioned', language: 'python', code: VERSION_CODE, functionName: 'version' })).toBe(2);
      expect(own.templates().filter((t) => t.name === 'versioned')).toHaveLength(1);
    } finally {
      await own.close();
    }
  });

  it('serve sessions and contexts too', async () => {
    await executor.defineTemplate('greet-session', {
      language: 'python',
      packages: [greetingWheel],
      setup: 'import sys\nsys.template_version = 7\n',
      prestart: 0,
    });
    const session = await executor.createSession({
      template: 'greet-session',
      language: 'python',
      code: 'import greeting, sys\ndef hi(n):\n    return [greeting.greet(n), sys.template_version]\n',
    });
    try {
      expect(await session.call('hi', ['session'])).toEqual(['Hello, session!', 7]);
    } finally {
      await session.close();
    }
    const context = await executor.createContext({ template: 'greet-session', language: 'python' });
    try {
      expect((await context.run('import greeting\ngreeting.greet("context")')).result).toBe('Hello, context!');
    } finally {
      await context.close();
    }
  });

  it('refuse what is wrong: an unknown template, another language, a bad definition, a package that cannot load', async () => {
    const unknown = await rejection(executor.invoke({ template: 'gret', language: 'python', code: VERSION_CODE, functionName: 'version' }));
    expect(unknown).toBeInstanceOf(InvalidRequestError);
    expect(unknown.message).toMatch(/no template "gret" \(did you mean greet\?\)/);
    const other = await rejection(executor.invoke({ template: 'greet', language: 'ruby', code: 'def f; end', functionName: 'f' }));
    expect(other.message).toMatch(/Template greet is Python/);
    expect(await rejection(executor.defineTemplate('bad name!', { language: 'python' }))).toBeInstanceOf(InvalidRequestError);
    expect((await rejection(executor.defineTemplate('typo', { language: 'python', setpu: 'x' } as never))).message).toMatch(/did you mean setup/);
    expect(
      await rejection(executor.defineTemplate('native', { language: 'python', packages: [`${fixtures}python/fastmath-1.0-cp311-cp311-linux_x86_64.whl`] })),
    ).toBeInstanceOf(PackageError);
    expect(executor.templates().map((t) => t.name)).not.toContain('native');
  });
});

describe('templates over HTTP', () => {
  it('are listed and used by clients, who can neither define templates nor send packages', async () => {
    const server = createSandboxServer({
      executor,
      templates: { 'http-greet': { language: 'python', packages: [greetingWheel], env: { SECRET: 'operator' }, setup: 'import greeting\n', prestart: 0 } },
    });
    const address = await server.listen(0);
    const base = `http://127.0.0.1:${address.port}/api/sandbox`;
    try {
      const listed = (await (await fetch(`${base}/templates`)).json()) as { templates: Record<string, unknown>[] };
      const http = listed.templates.find((t) => t.name === 'http-greet');
      // Host paths and environment values are the operator's: clients see names only.
      expect(http).toEqual(
        expect.objectContaining({ language: 'python', packages: ['greeting-1.0-py3-none-any.whl'], env: ['SECRET'], setup: 'import greeting\n' }),
      );
      expect(JSON.stringify(listed)).not.toContain(fixtures);
      expect(JSON.stringify(listed)).not.toContain('operator');

      const post = (body: unknown) => fetch(`${base}/exec`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const ran = await post({
        template: 'http-greet',
        code: 'import greeting\ndef hi(n):\n    return greeting.greet(n)\n',
        functionName: 'hi',
        args: ['http'],
      });
      expect(ran.status).toBe(200);
      expect(((await ran.json()) as { result: unknown }).result).toBe('Hello, http!');

      const withPackages = await post({
        language: 'python',
        code: 'def f():\n    return 1\n',
        functionName: 'f',
        packages: ['/usr/lib/python3/dist-packages'],
      });
      expect(withPackages.status).toBe(403);
      expect(((await withPackages.json()) as { error: { code: string } }).error.code).toBe('PACKAGES_NOT_ALLOWED');

      const define = await fetch(`${base}/templates`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'mine', language: 'python' }),
      });
      expect(define.status).toBe(405);
      expect(executor.templates().map((t) => t.name)).not.toContain('mine');
    } finally {
      await server.close();
    }
  });
});
