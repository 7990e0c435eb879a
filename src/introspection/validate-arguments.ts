/**
 * Checks the arguments of a call against a function's description before anything runs
 * (`validateArgs: true`): binds them to parameters the way the call would, then checks each value
 * against its schema. Every violation is reported, not only the first.
 */
import type { FunctionDescription } from './describe.js';
import type { JsonSchema } from '../languages/type-schema.js';

/** One thing wrong with the arguments of a call. */
export interface ArgumentViolation {
  /** Where: `args[1]`, `kwargs.name`, `kwargs.name.items[0]`… */
  path: string;
  message: string;
}

export function validateArguments(fn: FunctionDescription, args: readonly unknown[], kwargs: Readonly<Record<string, unknown>>): ArgumentViolation[] {
  const violations: ArgumentViolation[] = [];
  const bound = new Map<string, string>();
  const positional = fn.parameters.filter((p) => p.kind === 'positional' || p.kind === 'positional-only');
  const variadic = fn.parameters.find((p) => p.kind === 'variadic');
  const variadicKeyword = fn.parameters.find((p) => p.kind === 'variadic-keyword');

  args.forEach((value, index) => {
    const param = positional[index];
    const path = `args[${index}]`;
    if (param) {
      bound.set(param.name, path);
      check(value, param.schema, path, violations);
    } else if (variadic) {
      check(value, variadic.schema, path, violations);
    } else if (index === positional.length) {
      violations.push({
        path,
        message: `${fn.name}() takes ${positional.length} positional argument${positional.length === 1 ? '' : 's'} but ${args.length} were given`,
      });
    }
  });

  for (const name of Object.keys(kwargs)) {
    const path = `kwargs.${name}`;
    const param = fn.parameters.find((p) => p.name === name && (p.kind === 'positional' || p.kind === 'keyword' || p.kind === 'positional-only'));
    if (param?.kind === 'positional-only') {
      violations.push({ path, message: `'${name}' can only be passed by position` });
    } else if (param) {
      if (bound.has(name)) violations.push({ path, message: `'${name}' is given twice (also as ${bound.get(name)})` });
      bound.set(name, path);
      check(kwargs[name], param.schema, path, violations);
    } else if (variadicKeyword) {
      check(kwargs[name], variadicKeyword.schema, path, violations);
    } else {
      violations.push({ path, message: `${fn.name}() has no parameter named '${name}'` });
    }
  }

  for (const param of fn.parameters) {
    if (param.required && !bound.has(param.name)) violations.push({ path: param.name, message: `missing required argument '${param.name}'` });
  }
  return violations;
}

function check(value: unknown, schema: JsonSchema, path: string, out: ArgumentViolation[]): void {
  if (schema.anyOf) {
    // When the value's kind picks out one member (an array for `list[str] | None`), report inside it.
    const sameKind = schema.anyOf.filter((member) => !member.type || hasType(value, member.type));
    if (sameKind.length === 1) {
      check(value, sameKind[0], path, out);
      return;
    }
    if (!schema.anyOf.some((member) => errorsOf(value, member, path).length === 0)) {
      out.push({ path, message: `expected ${schema.anyOf.map(describeSchema).join(' or ')}, got ${describeValue(value)}` });
    }
    return;
  }
  if (schema.type && !hasType(value, schema.type)) {
    out.push({ path, message: `expected ${describeSchema(schema)}, got ${describeValue(value)}` });
    return;
  }
  if (schema.enum && !schema.enum.some((allowed) => allowed === value)) out.push({ path, message: `expected one of ${JSON.stringify(schema.enum)}` });
  if (typeof value === 'number' || typeof value === 'bigint') {
    if (schema.minimum !== undefined && value < schema.minimum) out.push({ path, message: `must be >= ${schema.minimum}` });
    if (schema.maximum !== undefined && value > schema.maximum) out.push({ path, message: `must be <= ${schema.maximum}` });
  }
  if (Array.isArray(value)) {
    value.forEach((item, index) => {
      const itemSchema = schema.prefixItems?.[index] ?? schema.items;
      if (itemSchema === false) out.push({ path: `${path}[${index}]`, message: `no more than ${schema.prefixItems?.length ?? 0} items are allowed` });
      else if (itemSchema) check(item, itemSchema, `${path}[${index}]`, out);
    });
    if (schema.prefixItems && value.length < schema.prefixItems.length)
      out.push({ path, message: `expected ${schema.prefixItems.length} items, got ${value.length}` });
  } else if (isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const itemSchema = schema.properties?.[key] ?? (typeof schema.additionalProperties === 'object' ? schema.additionalProperties : undefined);
      if (itemSchema) check(item, itemSchema, `${path}.${key}`, out);
      else if (schema.additionalProperties === false && schema.properties) out.push({ path: `${path}.${key}`, message: 'is not an allowed property' });
    }
    for (const key of schema.required ?? []) if (!(key in value)) out.push({ path: `${path}.${key}`, message: 'is required' });
  }
}

function errorsOf(value: unknown, schema: JsonSchema, path: string): ArgumentViolation[] {
  const out: ArgumentViolation[] = [];
  check(value, schema, path, out);
  return out;
}

function hasType(value: unknown, type: NonNullable<JsonSchema['type']>): boolean {
  switch (type) {
    case 'integer':
      return typeof value === 'bigint' || (typeof value === 'number' && Number.isInteger(value));
    case 'number':
      return typeof value === 'number' || typeof value === 'bigint';
    case 'string':
      return typeof value === 'string';
    case 'boolean':
      return typeof value === 'boolean';
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return isPlainObject(value);
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function describeSchema(schema: JsonSchema): string {
  if (schema.anyOf) return schema.anyOf.map(describeSchema).join(' or ');
  if (schema.type === 'array' && schema.items) return `array of ${describeSchema(schema.items)}`;
  if (schema.type === 'integer') return 'an integer';
  if (schema.type === 'array' || schema.type === 'object') return `an ${schema.type}`;
  return schema.type ?? 'any value';
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'bytes';
  if (typeof value === 'number') return Number.isInteger(value) ? `integer ${value}` : `number ${value}`;
  if (typeof value === 'string') return `string ${JSON.stringify(value.length > 30 ? `${value.slice(0, 30)}…` : value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}
