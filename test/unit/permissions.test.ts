import { describe, expect, it } from 'vitest';
import { InvalidRequestError } from '../../src/index.js';
import { PermissionResolver } from '../../src/fs/permissions.js';

const decide = (resolver: PermissionResolver, operation: 'read' | 'create' | 'modify' | 'delete', path: string) =>
  resolver.decide(operation, path, `/workspace/${path}`);

describe('PermissionResolver', () => {
  it('without options: read allowed, writes denied', () => {
    const resolver = new PermissionResolver(undefined);
    expect(decide(resolver, 'read', 'a.txt')).toEqual({ allowed: true, by: 'default' });
    for (const op of ['create', 'modify', 'delete'] as const) expect(decide(resolver, op, 'a.txt').allowed).toBe(false);
  });

  it('an explicit default applies to every operation, reading included', () => {
    expect(decide(new PermissionResolver({ default: 'deny' }), 'read', 'a.txt').allowed).toBe(false);
    expect(decide(new PermissionResolver({ default: 'allow' }), 'delete', 'a.txt').allowed).toBe(true);
  });

  it('more literal segments win, then more literal characters', () => {
    const resolver = new PermissionResolver({
      rules: [
        { pattern: '**', allow: ['create'] },
        { pattern: '**/*.csv', deny: ['create'] },
        { pattern: 'out/**', allow: ['create'] },
        { pattern: 'out/*.csv', deny: ['create'] },
        { pattern: 'out/report.csv', allow: ['create'] },
      ],
    });
    expect(decide(resolver, 'create', 'notes.txt')).toEqual({ allowed: true, by: '**' });
    expect(decide(resolver, 'create', 'x/data.csv')).toEqual({ allowed: false, by: '**/*.csv' });
    expect(decide(resolver, 'create', 'out/deep/data.csv')).toEqual({ allowed: true, by: 'out/**' });
    expect(decide(resolver, 'create', 'out/data.csv')).toEqual({ allowed: false, by: 'out/*.csv' });
    expect(decide(resolver, 'create', 'out/report.csv')).toEqual({ allowed: true, by: 'out/report.csv' });
  });

  it('deny wins at equal specificity, whatever the order of the rules', () => {
    for (const rules of [
      [
        { pattern: 'src/*', allow: ['modify'] as const },
        { pattern: 'src/*', deny: ['modify'] as const },
      ],
      [
        { pattern: 'src/*', deny: ['modify'] as const },
        { pattern: 'src/*', allow: ['modify'] as const },
      ],
    ]) {
      expect(decide(new PermissionResolver({ rules, default: 'allow' }), 'modify', 'src/a.ts').allowed).toBe(false);
    }
  });

  it('rules only decide the operations they mention', () => {
    const resolver = new PermissionResolver({ rules: [{ pattern: 'logs/**', allow: ['create'] }], default: 'allow' });
    expect(decide(resolver, 'delete', 'logs/a.log')).toEqual({ allowed: true, by: 'default' });
  });

  it('dot files match, and absolute patterns match virtual paths', () => {
    const resolver = new PermissionResolver({
      rules: [
        { pattern: '**', allow: ['create'] },
        { pattern: '/workspace/secret/**', deny: ['create'] },
      ],
    });
    expect(decide(resolver, 'create', '.env').allowed).toBe(true);
    expect(decide(resolver, 'create', 'secret/key').allowed).toBe(false);
  });

  it('malformed options are typed errors', () => {
    expect(() => new PermissionResolver({ rules: [{ pattern: '', allow: ['create'] }] })).toThrow(InvalidRequestError);
    expect(() => new PermissionResolver({ rules: [{ pattern: 'x', allow: ['write' as never] }] })).toThrow(/Unknown operation "write"/);
    expect(() => new PermissionResolver({ default: 'maybe' as never })).toThrow(InvalidRequestError);
    expect(() => new PermissionResolver({ rules: 'x' as never })).toThrow(InvalidRequestError);
  });
});
