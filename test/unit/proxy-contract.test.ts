/**
 * The proxy contract comes from one source (src/protocol/proxy-contract.ts): the templates take its values
 * as placeholders, and none repeats one as a literal of its own code (the proxies run in every
 * integration test, filled).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { registeredLanguages } from '../../src/languages/registry.js';
import { PROXY_CONTRACT, RESULT_DEVICE, CONTROL_DEVICE, WIRE_TAGS } from '../../src/protocol/proxy-contract.js';

const TEMPLATES = fileURLToPath(new URL('../../templates', import.meta.url));
const files = [...new Set(registeredLanguages().flatMap((language) => language.templates))].flatMap((folder) =>
  readdirSync(join(TEMPLATES, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name).slice(TEMPLATES.length + 1)),
);

/** The lines of a template that are code, not comments. */
function codeLines(text: string): string[] {
  return text.split('\n').filter((line) => !/^\s*(\/\/|#|\*|\/\*)/.test(line));
}

describe('the proxy contract', () => {
  it.each(files.map((file) => [file]))('%s: no literal of the contract', (file) => {
    const code = codeLines(readFileSync(join(TEMPLATES, file), 'utf8')).join('\n');
    for (const device of [RESULT_DEVICE, CONTROL_DEVICE]) expect(code).not.toContain(device);
    for (const tag of Object.values(WIRE_TAGS)) expect(code).not.toMatch(new RegExp(`["'\\\\]\\${tag}["'\\\\]`));
  });

  it('the proxies use the contract: its device, frame header, wire tags and nesting limit', () => {
    const used = new Set(files.flatMap((file) => [...readFileSync(join(TEMPLATES, file), 'utf8').matchAll(/\{\{([A-Z0-9_]+)\}\}/g)].map((m) => m[1])));
    for (const name of [
      'RESULT_DEVICE',
      'FRAME_HEADER_BYTES',
      'RESULT_MARK',
      'SIP_PERSISTENT',
      'WIRE_TAG_PREFIX',
      'WIRE_BIGINT',
      'WIRE_BYTES',
      'WIRE_FLOAT',
      'WIRE_OBJECT',
      'WIRE_MAX_DEPTH',
      'MAX_SAFE_INTEGER',
    ]) {
      expect(used, name).toContain(name);
      expect(PROXY_CONTRACT[name], name).toBeDefined();
    }
  });
});
