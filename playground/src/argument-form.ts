/**
 * The argument form of a function, generated from what `describe` says of its parameters: a number field for
 * numbers, a text field for strings, a checkbox for booleans, JSON for anything else (lists, objects, unions).
 * Values are checked against the parameter's schema before anything is sent.
 */

/** A parameter as `describe` gives it. */
export interface ParameterInfo {
  name: string;
  kind: 'positional' | 'positional-only' | 'keyword' | 'variadic' | 'variadic-keyword';
  required: boolean;
  type?: string;
  default?: string;
  schema?: JsonSchema;
}

export interface FunctionInfo {
  name: string;
  line?: number;
  doc?: string;
  parameters: ParameterInfo[];
}

export interface JsonSchema {
  type?: string | string[];
  minimum?: number;
  maximum?: number;
  default?: unknown;
  items?: JsonSchema;
  enum?: unknown[];
  anyOf?: JsonSchema[];
  description?: string;
}

type FieldKind = 'integer' | 'number' | 'string' | 'boolean' | 'json';

/** The kind of field that edits a value of this schema. */
function fieldKind(parameter: ParameterInfo): FieldKind {
  if (parameter.kind === 'variadic' || parameter.kind === 'variadic-keyword') return 'json';
  const type = parameter.schema?.type;
  if (type === 'integer' || type === 'number' || type === 'string' || type === 'boolean') return type;
  return 'json';
}

/** The arguments of a call, or what is wrong with the form. */
export type FormValues = { ok: true; args: JsonValue[]; kwargs: Record<string, JsonValue> } | { ok: false; errors: Record<string, string> };

/** A value as JSON holds it (what the form's fields give: numbers, strings, booleans, parsed JSON). */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export class ArgumentForm {
  private fn: FunctionInfo | undefined;

  constructor(
    private readonly form: HTMLFormElement,
    /** Called on every edit with the raw text of each field (kept in the page's link). */
    private readonly onEdit: (texts: Record<string, string>) => void,
  ) {}

  /** Shows the fields of `fn`, filled from `texts` (the raw values of a previous form or of the link). */
  render(fn: FunctionInfo | undefined, texts: Record<string, string>): void {
    this.fn = fn;
    this.form.replaceChildren();
    if (!fn) return;
    if (fn.parameters.length === 0) {
      const note = document.createElement('p');
      note.className = 'note';
      note.textContent = `${fn.name}() takes no arguments.`;
      this.form.append(note);
    }
    for (const parameter of fn.parameters) this.form.append(this.field(parameter, texts[parameter.name]));
  }

  private field(parameter: ParameterInfo, text: string | undefined): HTMLElement {
    const kind = fieldKind(parameter);
    const id = `arg-${parameter.name}`;
    const wrapper = document.createElement('div');
    wrapper.className = 'field argument';
    const label = document.createElement('label');
    label.htmlFor = id;
    const prefix = parameter.kind === 'variadic' ? '*' : parameter.kind === 'variadic-keyword' ? '**' : '';
    label.textContent = `${prefix}${parameter.name}`;
    const hint = document.createElement('span');
    hint.className = 'hint';
    const typeText = parameter.type ?? (kind === 'json' ? 'JSON' : kind);
    hint.textContent = ` ${typeText}${kind === 'json' && parameter.type ? ' (JSON)' : ''}${parameter.required ? '' : ' · optional'}`;
    label.append(hint);

    const input = document.createElement('input');
    input.id = id;
    input.name = parameter.name;
    input.dataset.kind = kind;
    if (kind === 'boolean') {
      input.type = 'checkbox';
      input.checked = text === 'true' || (text === undefined && parameter.schema?.default === true);
    } else {
      input.type = kind === 'integer' || kind === 'number' ? 'number' : 'text';
      if (kind === 'integer') input.step = '1';
      if (kind === 'number') input.step = 'any';
      if (parameter.schema?.minimum !== undefined && Number.isSafeInteger(parameter.schema.minimum)) input.min = String(parameter.schema.minimum);
      if (parameter.schema?.maximum !== undefined && Number.isSafeInteger(parameter.schema.maximum)) input.max = String(parameter.schema.maximum);
      input.value = text ?? '';
      input.placeholder =
        parameter.default !== undefined
          ? `default: ${parameter.default}`
          : kind === 'json'
            ? parameter.kind === 'variadic-keyword'
              ? '{"name": value}'
              : '[1, 2, 3]'
            : '';
      input.required = parameter.required;
      input.spellcheck = false;
    }
    const message = document.createElement('span');
    message.className = 'field-error';
    message.id = `${id}-error`;
    message.setAttribute('role', 'alert');
    input.setAttribute('aria-describedby', message.id);
    input.addEventListener('input', () => {
      input.removeAttribute('aria-invalid');
      message.textContent = '';
      this.onEdit(this.texts());
    });
    wrapper.append(label, input, message);
    return wrapper;
  }

  /** The raw text of every field. */
  texts(): Record<string, string> {
    const texts: Record<string, string> = {};
    for (const input of this.form.querySelectorAll('input')) texts[input.name] = input.type === 'checkbox' ? String(input.checked) : input.value;
    return texts;
  }

  /** Checks every field against its parameter and, if all are right, returns the call's arguments. */
  values(): FormValues {
    const errors: Record<string, string> = {};
    const args: JsonValue[] = [];
    const kwargs: Record<string, JsonValue> = {};
    let positionalGap = false;
    for (const parameter of this.fn?.parameters ?? []) {
      const input = this.form.querySelector<HTMLInputElement>(`#${CSS.escape(`arg-${parameter.name}`)}`);
      if (!input) continue;
      const parsed = parseField(parameter, input);
      const message = this.form.querySelector<HTMLElement>(`#${CSS.escape(`arg-${parameter.name}-error`)}`);
      if ('error' in parsed) {
        errors[parameter.name] = parsed.error;
        input.setAttribute('aria-invalid', 'true');
        if (message) message.textContent = parsed.error;
        continue;
      }
      input.removeAttribute('aria-invalid');
      if (message) message.textContent = '';
      if (!('value' in parsed)) {
        // An optional positional left empty: those after it go by name.
        if (parameter.kind === 'positional' || parameter.kind === 'positional-only') positionalGap = true;
        continue;
      }
      const value = parsed.value as JsonValue;
      if (parameter.kind === 'variadic') args.push(...(value as JsonValue[]));
      else if (parameter.kind === 'variadic-keyword') Object.assign(kwargs, value as Record<string, JsonValue>);
      else if (parameter.kind === 'keyword' || (positionalGap && parameter.kind === 'positional')) kwargs[parameter.name] = value;
      else args.push(value);
    }
    if (Object.keys(errors).length > 0) {
      this.form.querySelector<HTMLInputElement>('[aria-invalid="true"]')?.focus();
      return { ok: false, errors };
    }
    return { ok: true, args, kwargs };
  }
}

type Parsed = { value: unknown } | { error: string } | Record<string, never>;

/** One field's value, checked against its parameter's schema. */
function parseField(parameter: ParameterInfo, input: HTMLInputElement): Parsed {
  const kind = input.dataset.kind as FieldKind;
  if (kind === 'boolean') return { value: input.checked };
  const text = input.value.trim();
  if (text === '') {
    if (parameter.kind === 'variadic' || parameter.kind === 'variadic-keyword' || !parameter.required) return {};
    return { error: 'Required.' };
  }
  const schema = parameter.schema ?? {};
  if (kind === 'integer' || kind === 'number') {
    const value = Number(text);
    if (!Number.isFinite(value)) return { error: 'Enter a number.' };
    if (kind === 'integer' && !Number.isInteger(value)) return { error: 'Enter a whole number.' };
    if (kind === 'integer' && !Number.isSafeInteger(value)) return { value: { $bigint: text } };
    if (schema.minimum !== undefined && value < schema.minimum) return { error: `At least ${schema.minimum}.` };
    if (schema.maximum !== undefined && value > schema.maximum) return { error: `At most ${schema.maximum}.` };
    return { value };
  }
  if (kind === 'string') return { value: input.value };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { error: 'Enter valid JSON, e.g. [1, 2] or {"a": 1} or "text".' };
  }
  if (parameter.kind === 'variadic' && !Array.isArray(value)) return { error: 'Enter a JSON list of the extra arguments.' };
  if (parameter.kind === 'variadic-keyword' && (value === null || typeof value !== 'object' || Array.isArray(value)))
    return { error: 'Enter a JSON object of the extra keyword arguments.' };
  const problem = checkSchema(value, schema);
  return problem ? { error: problem } : { value };
}

/** A light check of a JSON value against the common parts of a schema (type, items); the server checks the rest. */
function checkSchema(value: unknown, schema: JsonSchema): string | undefined {
  if (schema.anyOf) return schema.anyOf.some((option) => checkSchema(value, option) === undefined) ? undefined : 'Does not match any of the accepted types.';
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  if (types.length > 0 && !types.some((type) => matchesType(value, type))) return `Expected ${types.join(' or ')}.`;
  if (Array.isArray(value) && schema.items) {
    for (const [index, item] of value.entries()) {
      const problem = checkSchema(item, schema.items);
      if (problem) return `Item ${index}: ${problem}`;
    }
  }
  return undefined;
}

function matchesType(value: unknown, type: string): boolean {
  switch (type) {
    case 'null':
      return value === null;
    case 'array':
      return Array.isArray(value);
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'integer':
      return typeof value === 'number' && Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    default:
      return typeof value === type;
  }
}
