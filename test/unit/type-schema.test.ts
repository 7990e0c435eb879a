import { describe, expect, it } from 'vitest';
import { schemaForType, type TypeVocabulary } from '../../src/languages/type-schema.js';

const V: TypeVocabulary = {
  int: 'integer',
  float: 'number',
  str: 'string',
  string: 'string',
  bool: 'boolean',
  None: 'null',
  list: 'array',
  Array: 'array',
  'std::vector': 'array',
  dict: 'map',
  'std::map': 'map',
  Hash: 'map',
  tuple: 'tuple',
  Optional: 'optional',
  Union: 'union',
  'char*': 'string',
  'unsigned long long': 'integer',
  Annotated: 'wrapper',
};

describe('schemaForType', () => {
  it.each([
    ['int', { type: 'integer' }],
    ['list[int]', { type: 'array', items: { type: 'integer' } }],
    ['dict[str, list[float]]', { type: 'object', additionalProperties: { type: 'array', items: { type: 'number' } } }],
    ['Optional[str]', { anyOf: [{ type: 'string' }, { type: 'null' }] }],
    ['int | None', { anyOf: [{ type: 'integer' }, { type: 'null' }] }],
    ['?int', { anyOf: [{ type: 'integer' }, { type: 'null' }] }],
    ['Union[int, str, Whatever]', {}],
    ['tuple[int, str]', { type: 'array', prefixItems: [{ type: 'integer' }, { type: 'string' }], items: false }],
    ['tuple[int, ...]', { type: 'array', items: { type: 'integer' } }],
    ['Array<string>', { type: 'array', items: { type: 'string' } }],
    ['string[][]', { type: 'array', items: { type: 'array', items: { type: 'string' } } }],
    ['const std::vector<std::map<std::string, int>> &', { type: 'array', items: { type: 'object', additionalProperties: { type: 'integer' } } }],
    ['const char *', { type: 'string' }],
    ['unsigned long long', { type: 'integer' }],
    ['Hash{String => Integer}', { type: 'object', additionalProperties: {} }],
    ['Annotated[int, "meta"]', { type: 'integer' }],
    ['SomeClass', {}],
    ['list[', {}],
    ['', {}],
  ])('%s', (type, expected) => {
    expect(schemaForType(type, V)).toEqual(expected);
  });

  it('never throws on garbage', () => {
    for (const text of ['[[[', '<>', '|||', '?', 'a<b[c>]', '((', 'int]', '{=>}', '\\Foo\\Bar', 'x'.repeat(10_000)]) {
      expect(() => schemaForType(text, V)).not.toThrow();
    }
  });
});
