/**
 * Generates the dispatcher of a C or C++ build: the translation unit that includes the user's file and,
 * after it, one call function per callable signature (decode each argument to the declared type, call,
 * encode the result) plus `sbx_dispatch`, which picks one by name.
 *
 * The user's file is included as is (`#include "user_code.c"`), so clang reports its errors with the
 * user's own file name and line numbers, C++ default arguments are visible at the call, and the user's
 * headers (`<string>`, `<vector>`…) are parsed once. The user's `main`, if any, is renamed so that it
 * does not clash with the runtime's.
 */
import type { FunctionSignature } from '../signature.js';
import type { TemplateSource } from '../templates.js';
import type { NativeDialect } from './inference.js';
import { cppHeaders, cppSpelling, readType, type NativeType } from './type-table.js';

/** A signature whose types are all supported, with its types read. */
export interface CallableSignature {
  signature: FunctionSignature;
  params: NativeType[];
  result: NativeType;
}

/** Reads the types of `signature`; undefined when one of them is not supported. */
export function callableSignature(signature: FunctionSignature, dialect: NativeDialect): CallableSignature | undefined {
  const params: NativeType[] = [];
  for (const param of signature.params) {
    const reading = readType(param.type, dialect, 'parameter');
    if (!reading.ok || param.kind !== 'positional') return undefined;
    params.push(reading.type);
  }
  const result = readType(signature.returnType, dialect, 'return');
  if (!result.ok) return undefined;
  return { signature, params, result: result.type };
}

/** File name of the user's code in the build (its diagnostics and assert() messages show it). */
export function userFileName(dialect: NativeDialect): string {
  return dialect === 'c' ? 'user_code.c' : 'user_code.cpp';
}

/** The dispatcher source for the callable functions among `signatures` (the first of each name). */
export function generateDispatcher(signatures: readonly FunctionSignature[], dialect: NativeDialect, templates: TemplateSource): string {
  const callables: CallableSignature[] = [];
  const seen = new Set<string>();
  for (const signature of signatures) {
    if (seen.has(signature.name)) continue;
    const callable = callableSignature(signature, dialect);
    if (!callable) continue;
    seen.add(signature.name);
    callables.push(callable);
  }
  const calls = callables.map((callable, index) => (dialect === 'c' ? cCall(callable, index) : cppCall(callable, index))).join('\n');
  const dispatch = callables
    .map(
      (callable, index) =>
        `  if (__builtin_strcmp(sbx_name, "${callable.signature.name}") == 0) {\n    sbx_call_${index}(sbx_args, sbx_kwargs);\n    return 1;\n  }\n`,
    )
    .join('');
  const values: Record<string, string> = { USER_FILE: userFileName(dialect), CALLS: calls, DISPATCH: dispatch };
  if (dialect === 'cpp') {
    const headers = new Set<string>();
    for (const callable of callables) for (const type of [...callable.params, callable.result]) cppHeaders(type, headers);
    values.HEADERS = [...headers]
      .sort()
      .map((header) => `#define SBX_WITH_${header.toUpperCase()} 1\n#include <${header}>\n`)
      .join('');
  }
  return templates.template(dialect === 'c' ? 'c/program.c' : 'cpp/program.cpp', values);
}

// --- C --------------------------------------------------------------------------------------------------

function cSpelling(type: NativeType): string {
  switch (type.kind) {
    case 'bool':
      return '_Bool';
    case 'integer':
    case 'float':
      return type.spelling;
    case 'cstring':
    case 'json':
      return 'char*';
    default:
      throw new Error(`no C spelling for ${type.kind}`);
  }
}

/** C statements converting `value` (a `const sbx_value*`) into the variable `target`. */
function cDecode(type: NativeType, value: string, target: string, path: string): string {
  switch (type.kind) {
    case 'bool':
      return `{ int sbx_t; if (!sbx_to_bool(${value}, ${path}, &sbx_t)) return; ${target} = sbx_t != 0; }`;
    case 'integer':
      return type.signed
        ? `{ long long sbx_t; if (!sbx_to_signed(${value}, ${type.min}, ${type.max}, "${type.spelling}", ${path}, &sbx_t)) return; ${target} = (${type.spelling})sbx_t; }`
        : `{ unsigned long long sbx_t; if (!sbx_to_unsigned(${value}, ${type.max}, "${type.spelling}", ${path}, &sbx_t)) return; ${target} = (${type.spelling})sbx_t; }`;
    case 'float':
      return `if (!sbx_to_${type.spelling}(${value}, ${path}, &${target})) return;`;
    case 'cstring':
      return `if (!sbx_to_cstring(${value}, ${path}, &${target})) return;`;
    case 'json':
      return `if (!sbx_to_json(${value}, ${path}, &${target})) return;`;
    default:
      throw new Error(`no C decoding for ${type.kind}`);
  }
}

/** C statement sending `expression` (of `type`) as the result. */
function cReturn(type: NativeType, expression: string): string {
  switch (type.kind) {
    case 'void':
      return `${expression};\n  sbx_return_null();`;
    case 'bool':
      return `sbx_return_bool((${expression}) ? 1 : 0);`;
    case 'integer':
      return type.signed ? `sbx_return_signed((long long)(${expression}));` : `sbx_return_unsigned((unsigned long long)(${expression}));`;
    case 'float':
      return `sbx_return_${type.spelling}(${expression});`;
    case 'cstring':
      return `sbx_return_cstring(${expression});`;
    case 'json':
      return `sbx_return_json(${expression});`;
    case 'pointer': {
      const target = type.target;
      return `{\n    const ${cSpelling(target)} *sbx_r = ${expression};\n    if (!sbx_r) sbx_return_null();\n    else ${cReturn(target, '*sbx_r')}\n  }`;
    }
    default:
      throw new Error(`no C return for ${type.kind}`);
  }
}

/** The opening shared by C and C++ call functions: checks the call and finds each argument. */
function callPrologue(callable: CallableSignature, index: number, nullPointer: string): string[] {
  const { signature } = callable;
  const names = signature.params.map((p) => `"${p.name}"`).join(', ');
  const lines = [`static void sbx_call_${index}(const sbx_value *sbx_args, const sbx_value *sbx_kwargs) {`];
  if (signature.params.length > 0) lines.push(`  static const char *const sbx_names[] = {${names}};`);
  lines.push(
    `  if (!sbx_check_call("${signature.name}", sbx_args, sbx_kwargs, ${signature.params.length}, ${signature.params.length > 0 ? 'sbx_names' : nullPointer})) return;`,
  );
  signature.params.forEach((param, i) => {
    lines.push(`  const sbx_value *sbx_v${i} = sbx_argument(sbx_args, sbx_kwargs, ${i}, "${param.name}");`);
    lines.push(`  sbx_path sbx_p${i} = {${nullPointer}, "${param.name}", ${nullPointer}, 0};`);
  });
  return lines;
}

function cCall(callable: CallableSignature, index: number): string {
  const { signature, params, result } = callable;
  const lines = callPrologue(callable, index, '0');
  const argumentsText: string[] = [];
  params.forEach((type, i) => {
    const name = signature.params[i].name;
    lines.push(`  if (!sbx_v${i}) { sbx_missing("${signature.name}", "${name}"); return; }`);
    if (type.kind === 'pointer') {
      lines.push(`  ${cSpelling(type.target)} sbx_s${i};`, `  ${cSpelling(type.target)} *sbx_a${i} = 0;`);
      lines.push(`  if (!sbx_is_null(sbx_v${i})) {\n    ${cDecode(type.target, `sbx_v${i}`, `sbx_s${i}`, `&sbx_p${i}`)}\n    sbx_a${i} = &sbx_s${i};\n  }`);
    } else {
      lines.push(`  ${cSpelling(type)} sbx_a${i};`, `  ${cDecode(type, `sbx_v${i}`, `sbx_a${i}`, `&sbx_p${i}`)}`);
    }
    argumentsText.push(`sbx_a${i}`);
  });
  lines.push(`  ${cReturn(result, `${signature.name}(${argumentsText.join(', ')})`)}`, '}', '');
  return lines.join('\n');
}

// --- C++ ------------------------------------------------------------------------------------------------

function cppCall(callable: CallableSignature, index: number): string {
  const { signature, params, result } = callable;
  const lines = callPrologue(callable, index, 'nullptr');
  const required = requiredCount(signature);
  params.forEach((type, i) => {
    const param = signature.params[i];
    if (type.kind === 'pointer') {
      const target = cppSpelling(type.target);
      lines.push(`  ${target} sbx_s${i}{};`, `  ${target} *sbx_a${i} = nullptr;`);
      lines.push(
        `  if (sbx_v${i} && !sbx_is_null(sbx_v${i})) {\n    if (!sbx_codec<${target}>::decode(sbx_v${i}, sbx_s${i}, &sbx_p${i})) return;\n    sbx_a${i} = &sbx_s${i};\n  }`,
      );
    } else if (type.kind === 'json') {
      lines.push(`  char *sbx_a${i} = nullptr;`, `  if (sbx_v${i} && !sbx_to_json(sbx_v${i}, &sbx_p${i}, &sbx_a${i})) return;`);
    } else {
      const spelling = cppSpelling(type);
      lines.push(`  ${spelling} sbx_a${i}{};`, `  if (sbx_v${i} && !sbx_codec<${spelling}>::decode(sbx_v${i}, sbx_a${i}, &sbx_p${i})) return;`);
    }
    if (param.default === undefined) lines.push(`  if (!sbx_v${i}) { sbx_missing("${signature.name}", "${param.name}"); return; }`);
  });
  const call = (count: number) => {
    // `::name`: the user's function at file scope, whatever the call's own scope holds.
    const expression = `::${signature.name}(${params
      .slice(0, count)
      .map((_, i) => `sbx_a${i}`)
      .join(', ')})`;
    if (result.kind === 'void') return `${expression};\n    sbx_return_null();`;
    // sandbox_json is a typedef of const char*: overloads cannot tell it from a string.
    return result.kind === 'json' ? `sbx_return_json(${expression});` : `sbx_finish(${expression});`;
  };
  if (required === params.length) {
    lines.push(`  ${call(params.length)}`);
  } else {
    // Trailing arguments left out take the function's own defaults: call with fewer arguments. A left-out
    // argument followed by a given one (possible with keyword arguments) gets its default's source text.
    lines.push('  size_t sbx_count = 0;');
    params.forEach((_, i) => lines.push(`  if (sbx_v${i}) sbx_count = ${i + 1};`));
    params.forEach((_, i) => {
      const fallback = signature.params[i].default;
      if (fallback === undefined) return;
      lines.push(`  if (!sbx_v${i} && sbx_count > ${i}) sbx_a${i} = (${fallback});`);
    });
    lines.push('  switch (sbx_count) {');
    for (let count = required; count <= params.length; count++) {
      const label = count === required ? `  default:\n` : '';
      lines.push(`${label}  case ${count}:\n    ${call(count)}\n    break;`);
    }
    lines.push('  }');
  }
  lines.push('}', '');
  return lines.join('\n');
}

/** Parameters before the first one with a default. */
function requiredCount(signature: FunctionSignature): number {
  const first = signature.params.findIndex((p) => p.default !== undefined);
  return first < 0 ? signature.params.length : first;
}
