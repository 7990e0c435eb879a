/**
 * The C and C++ types a call can pass and return, and how each maps to wire values.
 *
 * Type text comes from signature inference (`const char*`, `std::vector<int>`, `unsigned long`). It is
 * read into a {@link NativeType}, or refused with a message that names the type, before anything
 * compiles. Sizes are those of wasm32: `long` is 32 bits, `long long` 64.
 */
import type { JsonSchema, TypeTable } from '../type-schema.js';
import type { NativeDialect } from './inference.js';

/** A supported type, as the dispatcher converts it. */
export type NativeType =
  | { kind: 'void' }
  | { kind: 'bool' }
  | {
      kind: 'integer';
      /** Canonical C spelling, e.g. `unsigned long long`. */
      spelling: string;
      signed: boolean;
      /** The smallest and largest values of the type, as C constant expressions of the type (`<limits.h>`'s). */
      min: string;
      max: string;
      /** The same, as numbers. */
      range: readonly [bigint, bigint];
    }
  | { kind: 'float'; spelling: 'float' | 'double' }
  /** `char*` or `const char*`: a string, or null as NULL. */
  | { kind: 'cstring'; constant: boolean }
  /** `const T*` for a scalar T: null as NULL, anything else as a pointer to the converted value. */
  | { kind: 'pointer'; target: ScalarType; constant: boolean }
  /** C++ `std::string`. */
  | { kind: 'string' }
  /** C++ `std::vector<T>`. */
  | { kind: 'vector'; element: NativeType }
  /** C++ `std::map<std::string, T>` or `std::unordered_map<std::string, T>`. */
  | { kind: 'map'; ordered: boolean; value: NativeType }
  /** C++17 `std::optional<T>`: null as `std::nullopt`. */
  | { kind: 'optional'; value: NativeType }
  /** `sandbox_json` (sandbox.h): any value, as JSON text. */
  | { kind: 'json' };

/** Types a nullable pointer may point to. */
export type ScalarType = Extract<NativeType, { kind: 'bool' | 'integer' | 'float' }>;

/** A type as read from a signature: supported, or refused with the reason. */
export type TypeReading = { ok: true; type: NativeType; reference: boolean } | { ok: false; reason: string };

/** The integer types by canonical spelling: their sign and width on wasm32 (`long` is 32 bits). */
const INTEGERS: Record<string, { signed: boolean; bits: number }> = {
  'signed char': { signed: true, bits: 8 },
  'unsigned char': { signed: false, bits: 8 },
  short: { signed: true, bits: 16 },
  'unsigned short': { signed: false, bits: 16 },
  int: { signed: true, bits: 32 },
  'unsigned int': { signed: false, bits: 32 },
  long: { signed: true, bits: 32 },
  'unsigned long': { signed: false, bits: 32 },
  'long long': { signed: true, bits: 64 },
  'unsigned long long': { signed: false, bits: 64 },
};

/** The suffix a C constant of an integer type needs (`4294967295U` is an `unsigned int`). */
const LITERAL_SUFFIX: Record<string, string> = { 'unsigned int': 'U', long: 'L', 'unsigned long': 'UL', 'long long': 'LL', 'unsigned long long': 'ULL' };

/** The integer type of a canonical spelling, with its range as numbers and as C constants. */
function integerType(spelling: string): NativeType {
  const { signed, bits } = INTEGERS[spelling];
  const max = signed ? 2n ** BigInt(bits - 1) - 1n : 2n ** BigInt(bits) - 1n;
  const min = signed ? -max - 1n : 0n;
  const suffix = LITERAL_SUFFIX[spelling] ?? '';
  // The positive constant 2^(n-1) does not fit a type of n bits: -2^(n-1) is written -(2^(n-1) - 1) - 1.
  const minText = !signed ? '0' : bits >= 32 ? `(-${max}${suffix} - 1)` : `${min}`;
  return { kind: 'integer', spelling, signed, min: minText, max: `${max}${suffix}`, range: [min, max] };
}

/** Fixed-width and size typedefs, as the wasm32 C library defines them. */
const INTEGER_TYPEDEFS: Record<string, string> = {
  int8_t: 'signed char',
  uint8_t: 'unsigned char',
  int16_t: 'short',
  uint16_t: 'unsigned short',
  int32_t: 'int',
  uint32_t: 'unsigned int',
  int64_t: 'long long',
  uint64_t: 'unsigned long long',
  size_t: 'unsigned long',
  ssize_t: 'long',
  ptrdiff_t: 'long',
  intptr_t: 'long',
  uintptr_t: 'unsigned long',
};

/** What a message lists as supported. */
export function supportedTypesText(dialect: NativeDialect): string {
  const scalars =
    'bool, char* / const char*, signed/unsigned char, short, int, long, long long (and unsigned), float, double, int8_t…uint64_t, size_t, const T* of a number or bool (nullable), sandbox_json (any value as JSON text, from sandbox.h)';
  return dialect === 'c'
    ? `${scalars}; void as a return type`
    : `${scalars}, std::string, std::vector<T>, std::map<std::string, T>, std::unordered_map<std::string, T>, std::optional<T> of these; void as a return type`;
}

/** Reads a type written in a signature. */
export function readType(text: string | undefined, dialect: NativeDialect, position: 'parameter' | 'return'): TypeReading {
  if (text === undefined || text.trim() === '') return { ok: false, reason: 'has no declared type' };
  const tokens = typeTokens(text);
  let reference = false;
  if (tokens[tokens.length - 1] === '&' || tokens[tokens.length - 1] === '&&') {
    if (dialect === 'c') return { ok: false, reason: 'is a reference, which C does not have' };
    reference = true;
    tokens.pop();
  }
  const reading = readTokens(tokens, dialect);
  if (typeof reading === 'string') return { ok: false, reason: reading };
  if (reading.kind === 'void' && position === 'parameter') return { ok: false, reason: 'is void' };
  if (reading.kind === 'void' && reference) return { ok: false, reason: 'is a reference to void' };
  return { ok: true, type: reading, reference };
}

function typeTokens(text: string): string[] {
  return text.match(/::|&&|[A-Za-z_$][\w$]*|\d+|\S/g) ?? [];
}

/** Reads tokens (without a trailing reference) into a type, or returns why it is not supported. */
function readTokens(input: string[], dialect: NativeDialect): NativeType | string {
  let tokens = input.slice();
  // Pointers: everything after the first '*' belongs to the declarator (only `* const` is allowed).
  const star = tokens.indexOf('*');
  if (star >= 0) {
    const after = tokens.slice(star + 1).filter((t) => t !== 'const' && t !== 'volatile');
    if (after.length > 0) return 'is a pointer to a pointer or to an array';
    const target = tokens.slice(0, star);
    const constant = target.includes('const');
    const pointee = target.filter((t) => t !== 'const' && t !== 'volatile');
    if (pointee.length === 1 && pointee[0] === 'char') return { kind: 'cstring', constant };
    const base = readTokens(pointee, dialect);
    if (typeof base !== 'string' && (base.kind === 'bool' || base.kind === 'integer' || base.kind === 'float'))
      return { kind: 'pointer', target: base, constant };
    return 'is a pointer to a type other than char, a number or bool';
  }
  tokens = tokens.filter((t) => t !== 'const' && t !== 'volatile');
  if (tokens.some((t) => t === '[' || t === ']')) return 'is an array (pass a pointer, or in C++ a std::vector)';
  if (tokens.length === 0) return 'is not a type';
  const joined = tokens.join(' ');
  if (joined === 'void') return { kind: 'void' };
  if (joined === 'sandbox_json') return { kind: 'json' };
  if (joined === 'bool' || joined === '_Bool') return { kind: 'bool' };
  if (joined === 'float' || joined === 'double') return { kind: 'float', spelling: joined };

  const integer = integerSpelling(tokens, dialect);
  if (integer) return integerType(integer);

  if (dialect === 'cpp') {
    const template = readTemplate(tokens);
    if (template) {
      const { name, args } = template;
      if (name === 'string' && args === undefined) return { kind: 'string' };
      if (name === 'vector' && args?.length === 1) {
        const element = readTokens(args[0], dialect);
        if (typeof element === 'string') return `has elements whose type ${element}`;
        if (element.kind === 'void' || element.kind === 'pointer' || element.kind === 'json') return 'has elements of an unsupported type';
        return { kind: 'vector', element };
      }
      if ((name === 'map' || name === 'unordered_map') && args?.length === 2) {
        const key = readTokens(args[0], dialect);
        if (typeof key === 'string' || key.kind !== 'string') return 'has keys that are not std::string (JSON object keys are strings)';
        const value = readTokens(args[1], dialect);
        if (typeof value === 'string' || value.kind === 'void' || value.kind === 'pointer' || value.kind === 'json') return 'has values of an unsupported type';
        return { kind: 'map', ordered: name === 'map', value };
      }
      if (name === 'optional' && args?.length === 1) {
        const value = readTokens(args[0], dialect);
        if (typeof value === 'string' || value.kind === 'void' || value.kind === 'pointer' || value.kind === 'cstring' || value.kind === 'json')
          return 'holds an unsupported type';
        return { kind: 'optional', value };
      }
    }
  }
  if (joined === 'char') return 'is a plain char (use int for a number, char* for a string)';
  if (tokens[0] === 'struct' || tokens[0] === 'union' || tokens[0] === 'enum' || tokens[0] === 'class') return 'is a user-defined type';
  return 'is not one of the supported types';
}

/** The canonical spelling of an integer type, if `tokens` spell one. */
function integerSpelling(tokens: string[], dialect: NativeDialect): string | undefined {
  const words = dialect === 'cpp' && tokens[0] === 'std' && tokens[1] === '::' ? tokens.slice(2) : tokens;
  if (words.length === 1 && INTEGER_TYPEDEFS[words[0]]) return INTEGER_TYPEDEFS[words[0]];
  if (words.length === 0 || words.some((w) => !['signed', 'unsigned', 'short', 'long', 'int', 'char'].includes(w))) return undefined;
  const count = (w: string) => words.filter((x) => x === w).length;
  const unsigned = count('unsigned');
  const signed = count('signed');
  const longs = count('long');
  const shorts = count('short');
  const ints = count('int');
  const chars = count('char');
  if (unsigned + signed > 1 || ints > 1 || chars > 1 || longs > 2 || shorts > 1) return undefined;
  if (chars === 1) {
    if (longs || shorts || ints) return undefined;
    if (unsigned) return 'unsigned char';
    if (signed) return 'signed char';
    return undefined; // plain char
  }
  const prefix = unsigned ? 'unsigned ' : '';
  if (shorts) return longs ? undefined : `${prefix}short`;
  if (longs === 2) return `${prefix}long long`;
  if (longs === 1) return `${prefix}long`;
  return unsigned ? 'unsigned int' : 'int';
}

/** Reads `std::name<args>` (or `name<args>`, after `using namespace std`). */
function readTemplate(tokens: string[]): { name: string; args?: string[][] } | undefined {
  let at = 0;
  if (tokens[0] === 'std' && tokens[1] === '::') at = 2;
  const name = tokens[at];
  if (!name || !/^[A-Za-z_]\w*$/.test(name)) return undefined;
  if (at + 1 === tokens.length) return { name };
  if (tokens[at + 1] !== '<' || tokens[tokens.length - 1] !== '>') return undefined;
  const args: string[][] = [[]];
  let depth = 0;
  for (const t of tokens.slice(at + 2, -1)) {
    if (t === '<') depth++;
    if (t === '>') depth--;
    if (t === ',' && depth === 0) args.push([]);
    else args[args.length - 1].push(t);
  }
  return depth === 0 ? { name, args } : undefined;
}

/**
 * The type table of C or C++: a declared type's JSON Schema is read by the same rules as the call reads
 * it ({@link readType}), so `describe()` accepts exactly the types a call does, integers within the range
 * of their type (64-bit bounds are as exact as a JSON number read into a double can be). A type a call
 * cannot pass gives `{}`: the call itself reports why.
 */
export function nativeTypeTable(dialect: NativeDialect): TypeTable {
  return {
    schemaOf(text) {
      const reading = readType(text, dialect, 'parameter');
      return reading.ok ? schemaOf(reading.type) : {};
    },
  };
}

function schemaOf(type: NativeType): JsonSchema {
  switch (type.kind) {
    case 'void':
      return { type: 'null' };
    case 'bool':
      return { type: 'boolean' };
    case 'integer':
      return { type: 'integer', minimum: Number(type.range[0]), maximum: Number(type.range[1]) };
    case 'float':
      return { type: 'number' };
    case 'cstring':
    case 'string':
      return { type: 'string' };
    case 'pointer':
      return { anyOf: [schemaOf(type.target), { type: 'null' }] };
    case 'vector':
      return { type: 'array', items: schemaOf(type.element) };
    case 'map':
      return { type: 'object', additionalProperties: schemaOf(type.value) };
    case 'optional':
      return { anyOf: [schemaOf(type.value), { type: 'null' }] };
    case 'json':
      return {};
  }
}

/** C++ spelling of a supported type, for declaring the dispatcher's variables. */
export function cppSpelling(type: NativeType): string {
  switch (type.kind) {
    case 'void':
      return 'void';
    case 'bool':
      return 'bool';
    case 'integer':
      return type.spelling;
    case 'float':
      return type.spelling;
    case 'cstring':
      return type.constant ? 'const char*' : 'char*';
    case 'pointer':
      return `${type.constant ? 'const ' : ''}${cppSpelling(type.target)}*`;
    case 'string':
      return 'std::string';
    case 'vector':
      return `std::vector<${cppSpelling(type.element)}>`;
    case 'map':
      return `std::${type.ordered ? 'map' : 'unordered_map'}<std::string, ${cppSpelling(type.value)}>`;
    case 'optional':
      return `std::optional<${cppSpelling(type.value)}>`;
    case 'json':
      return 'char*';
  }
}

/** The standard headers a C++ type needs (the dispatcher includes them after the user's code). */
export function cppHeaders(type: NativeType, into: Set<string>): void {
  switch (type.kind) {
    case 'string':
      into.add('string');
      break;
    case 'vector':
      into.add('vector');
      cppHeaders(type.element, into);
      break;
    case 'map':
      into.add('string');
      into.add(type.ordered ? 'map' : 'unordered_map');
      cppHeaders(type.value, into);
      break;
    case 'optional':
      into.add('optional');
      cppHeaders(type.value, into);
      break;
    default:
  }
}
