/**
 * Function descriptions for callers that need to know what they can call (AI-agent tool runners, test
 * harnesses): every callable top-level function, its parameters, and a JSON Schema of its arguments.
 */
import type { LanguageDefinition } from '../languages/language.js';
import type { FunctionSignature, ParameterKind } from '../languages/signature.js';
import type { Language } from '../languages/registry.js';
import type { JsonSchema } from '../languages/type-schema.js';

/** One parameter as `describe()` reports it. */
export interface ParameterDescription {
  /** Name as written in the source (without `$`, `*` or `&` sigils). */
  name: string;
  /** `positional` (by position or name), `positional-only`, `keyword` (by name only), `variadic` (`*args`, `...rest`), `variadic-keyword` (`**kwargs`). */
  kind: 'positional' | 'positional-only' | 'keyword' | 'variadic' | 'variadic-keyword';
  /** Whether a call must give it. */
  required: boolean;
  /** Source text of the default value. */
  default?: string;
  /** Declared type as written in the source (annotation, type hint, JSDoc or YARD tag). */
  type?: string;
  /** Schema of one value of this parameter (of each extra value, for variadic parameters). */
  schema: JsonSchema;
}

/** One callable function. */
export interface FunctionDescription {
  /** Name to pass as `functionName`. */
  name: string;
  /** 1-based line of the definition. */
  line: number;
  /** Docstring or doc comment. */
  doc?: string;
  /** Whether the function is `async` (its result is awaited). */
  isAsync: boolean;
  /** Declared return type as written in the source. */
  returnType?: string;
  /** Parameters in order (Ruby block parameters are left out: a call cannot fill them). */
  parameters: ParameterDescription[];
  /**
   * JSON Schema of the arguments as one object by parameter name (the shape of `kwargs` when every
   * argument is passed by name). Variadic parameters appear as an array (`*args`) and as
   * `additionalProperties` (`**kwargs`).
   */
  schema: JsonSchema;
}

/** What `SandboxExecutor.describe()` returns. */
export interface CodeDescription {
  /** Canonical name of the language. */
  language: Language;
  /** Callable top-level functions, in order of definition. */
  functions: FunctionDescription[];
  /** Present when the code defines no function: what to do with it instead (run it as a script). */
  note?: string;
}

/** The note of a description without functions. */
export const SCRIPT_NOTE = 'The code defines no top-level function to call: run it as a script with run() (or `sandbox-executor run <file>`).';

const KINDS: Record<Exclude<ParameterKind, 'block'>, ParameterDescription['kind']> = {
  positional: 'positional',
  'positional-only': 'positional-only',
  'keyword-only': 'keyword',
  'var-positional': 'variadic',
  'var-keyword': 'variadic-keyword',
};

export function describeFunction(signature: FunctionSignature, language: LanguageDefinition): FunctionDescription {
  const parameters: ParameterDescription[] = [];
  for (const param of signature.params) {
    if (param.kind === 'block') continue;
    const described: ParameterDescription = {
      name: param.name,
      kind: KINDS[param.kind],
      required: param.default === undefined && param.kind !== 'var-positional' && param.kind !== 'var-keyword',
      schema: language.types.schemaOf(param.type),
    };
    if (param.default !== undefined) {
      described.default = param.default;
      const value = literalDefault(param.default);
      if (value !== undefined) described.schema = { ...described.schema, default: value.value };
    }
    if (param.type !== undefined) described.type = param.type;
    parameters.push(described);
  }
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  let additional: boolean | JsonSchema = false;
  for (const param of parameters) {
    if (param.kind === 'variadic') properties[param.name] = { type: 'array', items: param.schema };
    else if (param.kind === 'variadic-keyword') additional = param.schema;
    else {
      properties[param.name] = param.schema;
      if (param.required) required.push(param.name);
    }
  }
  const schema: JsonSchema = { type: 'object', properties, additionalProperties: additional };
  if (required.length > 0) schema.required = required;
  if (signature.doc) schema.description = signature.doc;
  const description: FunctionDescription = { name: signature.name, line: signature.line, isAsync: signature.isAsync === true, parameters, schema };
  if (signature.doc) description.doc = signature.doc;
  if (signature.returnType) description.returnType = signature.returnType;
  return description;
}

/** The value of a default written as a plain literal (number, string, boolean, null), if it is one. */
function literalDefault(text: string): { value: unknown } | undefined {
  const trimmed = text.trim();
  if (/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(trimmed)) return { value: Number(trimmed) };
  if (/^(True|true|TRUE)$/.test(trimmed)) return { value: true };
  if (/^(False|false|FALSE)$/.test(trimmed)) return { value: false };
  if (/^(None|null|NULL|nil|undefined)$/.test(trimmed)) return { value: null };
  const quoted = /^(['"])((?:\\.|(?!\1).)*)\1$/.exec(trimmed);
  if (quoted && !quoted[2].includes('\\') && !quoted[2].includes('#{') && !quoted[2].includes('$')) return { value: quoted[2] };
  return undefined;
}
