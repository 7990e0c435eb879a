/**
 * Turns a declared type, as written in the user's language, into a JSON Schema.
 *
 * The type syntaxes of our languages share a shape: a name, maybe generic arguments in `[]` or `<>`,
 * unions with `|`, nullable with a leading `?`, arrays with a trailing `[]`. One parser reads that shape;
 * each language gives a table saying what its names mean ({@link TypeVocabulary}). Anything unknown
 * becomes `{}` (any value), never an error: a schema must not refuse what the function would accept.
 */

/** A JSON Schema (the subset we produce). */
export interface JsonSchema {
  type?: 'integer' | 'number' | 'string' | 'boolean' | 'null' | 'array' | 'object';
  items?: JsonSchema | false;
  prefixItems?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  minimum?: number;
  maximum?: number;
  description?: string;
  default?: unknown;
}

/** What a type name means. */
export type TypeMeaning =
  | 'integer'
  | 'number'
  | 'string'
  | 'boolean'
  | 'null'
  /** Generic argument = element type. */
  | 'array'
  /** Arguments are the element types, in order (Python `tuple[int, str]`). */
  | 'tuple'
  /** Last generic argument = value type (keys are strings on the wire). */
  | 'map'
  /** An object of unknown shape. */
  | 'object'
  /** Generic argument, or null (`Optional[int]`). */
  | 'optional'
  /** Any of the generic arguments (`Union[int, str]`). */
  | 'union'
  /** Anything. */
  | 'any'
  /** The first generic argument (wrappers such as `const`, `Annotated[int, …]`). */
  | 'wrapper';

/** A language's type names (matched case-sensitively first, then lower-cased). */
export type TypeVocabulary = Readonly<Record<string, TypeMeaning>>;

/**
 * What a language's declared types mean. Each language has one, from which the JSON Schemas of
 * `describe()` (and `validateArgs`) are derived, so that they cannot drift from what its calls accept.
 */
export interface TypeTable {
  /** The JSON Schema of a declared type as written in the source; `{}` (any value) when absent or unknown. */
  schemaOf(type: string | undefined): JsonSchema;
}

/**
 * The type table of a language whose type syntax has the common shape (names, generic arguments, unions,
 * `?`, `[]`) and whose names `vocabulary` lists.
 */
export function vocabularyTable(vocabulary: TypeVocabulary): TypeTable {
  return { schemaOf: (type) => schemaForType(type, vocabulary) };
}

interface TypeNode {
  name: string;
  args: TypeNode[];
  nullable: boolean;
  /** Number of trailing `[]`. */
  arrayDepth: number;
  union?: TypeNode[];
}

/** The schema of a declared type; `{}` when the type is absent or unknown. */
export function schemaForType(type: string | undefined, vocabulary: TypeVocabulary): JsonSchema {
  if (!type || !type.trim()) return {};
  let node: TypeNode | undefined;
  try {
    node = new TypeParser(type).parse();
  } catch {
    return {};
  }
  return node ? toSchema(node, vocabulary) : {};
}

function toSchema(node: TypeNode, vocabulary: TypeVocabulary): JsonSchema {
  let schema: JsonSchema;
  if (node.union) {
    schema = mergeUnion(node.union.map((member) => toSchema(member, vocabulary)));
  } else {
    const meaning = vocabulary[node.name] ?? vocabulary[node.name.toLowerCase()];
    const arg = (index: number): JsonSchema => (node.args[index] ? toSchema(node.args[index], vocabulary) : {});
    switch (meaning) {
      case 'integer':
      case 'number':
      case 'string':
      case 'boolean':
      case 'null':
        schema = { type: meaning };
        break;
      case 'array':
        schema = node.args.length > 0 ? { type: 'array', items: arg(0) } : { type: 'array' };
        break;
      case 'tuple': {
        const open = node.args.length === 2 && node.args[1].name === '...';
        if (node.args.length === 0) schema = { type: 'array' };
        else if (open) schema = { type: 'array', items: arg(0) };
        else schema = { type: 'array', prefixItems: node.args.map((_, i) => arg(i)), items: false };
        break;
      }
      case 'map':
        schema = node.args.length > 0 ? { type: 'object', additionalProperties: arg(node.args.length - 1) } : { type: 'object' };
        break;
      case 'object':
        schema = { type: 'object' };
        break;
      case 'optional':
        schema = mergeUnion([arg(0), { type: 'null' }]);
        break;
      case 'union':
        schema = mergeUnion(node.args.map((_, i) => arg(i)));
        break;
      case 'wrapper':
        schema = arg(0);
        break;
      default:
        schema = {};
    }
  }
  for (let depth = 0; depth < node.arrayDepth; depth++) schema = { type: 'array', items: schema };
  if (node.nullable) schema = mergeUnion([schema, { type: 'null' }]);
  return schema;
}

/** A union, simplified: any member that accepts anything makes the union accept anything. */
function mergeUnion(members: JsonSchema[]): JsonSchema {
  const flat: JsonSchema[] = [];
  for (const member of members) {
    if (Object.keys(member).length === 0) return {};
    if (member.anyOf && Object.keys(member).length === 1) flat.push(...member.anyOf);
    else if (!flat.some((seen) => JSON.stringify(seen) === JSON.stringify(member))) flat.push(member);
  }
  return flat.length === 1 ? flat[0] : { anyOf: flat };
}

/** Reads `Name`, `Name[A, B]`, `Name<A, B>`, `A | B`, `?A`, `A[]`, `ns::Name`, `const A&`. */
class TypeParser {
  private at = 0;
  constructor(private readonly text: string) {}

  parse(): TypeNode | undefined {
    const node = this.union();
    this.space();
    return this.at === this.text.length ? node : undefined;
  }

  private union(): TypeNode {
    const members = [this.single()];
    for (;;) {
      this.space();
      if (this.text[this.at] !== '|') break;
      this.at++;
      members.push(this.single());
    }
    return members.length === 1 ? members[0] : { name: '', args: [], nullable: false, arrayDepth: 0, union: members };
  }

  private single(): TypeNode {
    this.space();
    let nullable = false;
    if (this.text[this.at] === '?') {
      nullable = true;
      this.at++;
      this.space();
    }
    if (this.text[this.at] === '(') {
      this.at++;
      const inner = this.union();
      this.expect(')');
      return { ...inner, nullable: inner.nullable || nullable, arrayDepth: inner.arrayDepth + this.arraySuffix() };
    }
    let name = this.word();
    // Qualifiers and C++ namespaces: `const char *`, `unsigned long`, `std::vector`.
    for (;;) {
      this.space();
      if (this.text.startsWith('::', this.at)) {
        this.at += 2;
        name = `${name}::${this.word()}`;
        continue;
      }
      const rest = /^[A-Za-z_][\w]*/.exec(this.text.slice(this.at));
      if (rest && /^(const|volatile|unsigned|signed|long|short|int|char|double|struct)$/.test(name.split(' ').pop() ?? '') && !['|'].includes(rest[0])) {
        name = `${name} ${rest[0]}`;
        this.at += rest[0].length;
        continue;
      }
      break;
    }
    name = name.replace(/^(const|volatile|struct)\s+/, '').replace(/\s+const$/, '');
    const args: TypeNode[] = [];
    this.space();
    const open = this.text[this.at];
    if (open === '[' && this.text[this.at + 1] !== ']') {
      this.at++;
      args.push(...this.list(']'));
    } else if (open === '<') {
      this.at++;
      args.push(...this.list('>'));
    } else if (open === '{') {
      // YARD hashes: Hash{String => Integer}
      this.at++;
      const key = this.union();
      this.space();
      if (this.text.startsWith('=>', this.at)) this.at += 2;
      const value = this.union();
      this.expect('}');
      args.push(key, value);
    }
    this.space();
    let pointer = '';
    while (this.text[this.at] === '*' || this.text[this.at] === '&' || this.text.startsWith('const', this.at)) {
      if (this.text[this.at] === '*') pointer += '*';
      this.at += this.text[this.at] === 'c' ? 5 : 1;
      this.space();
    }
    // `char *` is a string in C, `char` a character: the pointer is part of the name.
    return { name: name + pointer, args, nullable, arrayDepth: this.arraySuffix() };
  }

  private list(close: string): TypeNode[] {
    const items: TypeNode[] = [];
    this.space();
    if (this.text[this.at] === close) {
      this.at++;
      return items;
    }
    for (;;) {
      this.space();
      if (this.text.startsWith('...', this.at)) {
        this.at += 3;
        items.push({ name: '...', args: [], nullable: false, arrayDepth: 0 });
      } else if (/^[-\d"']/.test(this.text[this.at] ?? '')) {
        // Literal arguments (Annotated metadata, Literal values): skipped.
        const end = this.text.slice(this.at).search(/[,\]>]/);
        this.at += end < 0 ? this.text.length - this.at : end;
        items.push({ name: 'any', args: [], nullable: false, arrayDepth: 0 });
      } else {
        items.push(this.union());
      }
      this.space();
      const ch = this.text[this.at++];
      if (ch === close) return items;
      if (ch !== ',') throw new Error('bad type');
    }
  }

  private arraySuffix(): number {
    let depth = 0;
    for (;;) {
      this.space();
      if (this.text.startsWith('[]', this.at)) {
        this.at += 2;
        depth++;
      } else return depth;
    }
  }

  private word(): string {
    this.space();
    const match = /^[A-Za-z_\\$][\w.\\$]*/.exec(this.text.slice(this.at));
    if (!match) throw new Error('bad type');
    this.at += match[0].length;
    return match[0].replace(/^\\/, '');
  }

  private expect(ch: string): void {
    this.space();
    if (this.text[this.at] !== ch) throw new Error('bad type');
    this.at++;
  }

  private space(): void {
    while (this.at < this.text.length && /\s/.test(this.text[this.at])) this.at++;
  }
}
