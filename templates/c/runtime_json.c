/*
 * Sandbox Executor: runtime of the C and C++ dispatchers, the JSON parser, and values given as JSON text (sandbox_json).
 * One part of the runtime: the parts are joined into one translation unit, in the order of RUNTIME_PARTS
 * (src/languages/native/compile-pipeline.ts), after sandbox_runtime.c.
 */

/* --- JSON parser --------------------------------------------------------------------------------------- */

typedef struct parser {
  const char *at;
  const char *end;
  const char *error;
  int depth;
} parser;

static void skip_space(parser *p) {
  while (p->at < p->end && (*p->at == ' ' || *p->at == '\t' || *p->at == '\n' || *p->at == '\r')) p->at++;
}

static int parse_value(parser *p, sbx_value *out);

static void append_utf8(sbx_writer *w, unsigned int cp) {
  char bytes[4];
  size_t n;
  if (cp < 0x80) bytes[0] = (char)cp, n = 1;
  else if (cp < 0x800) bytes[0] = (char)(0xC0 | (cp >> 6)), bytes[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
  else if (cp < 0x10000)
    bytes[0] = (char)(0xE0 | (cp >> 12)), bytes[1] = (char)(0x80 | ((cp >> 6) & 0x3F)), bytes[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
  else
    bytes[0] = (char)(0xF0 | (cp >> 18)), bytes[1] = (char)(0x80 | ((cp >> 12) & 0x3F)), bytes[2] = (char)(0x80 | ((cp >> 6) & 0x3F)),
    bytes[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
  writer_append(w, bytes, n);
}

static int hex4(parser *p, unsigned int *out) {
  unsigned int value = 0;
  if (p->end - p->at < 4) return 0;
  for (int i = 0; i < 4; i++) {
    char c = *p->at++;
    value <<= 4;
    if (c >= '0' && c <= '9') value |= (unsigned int)(c - '0');
    else if (c >= 'a' && c <= 'f') value |= (unsigned int)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') value |= (unsigned int)(c - 'A' + 10);
    else return 0;
  }
  *out = value;
  return 1;
}

/* Parses a string literal at p->at (on its opening quote) into a NUL-terminated buffer. */
static int parse_string(parser *p, char **text, size_t *length) {
  sbx_writer w = {0, 0, 0};
  p->at++;
  for (;;) {
    const char *start = p->at;
    while (p->at < p->end && *p->at != '"' && *p->at != '\\' && (unsigned char)*p->at >= 0x20) p->at++;
    writer_append(&w, start, (size_t)(p->at - start));
    if (p->at >= p->end || (unsigned char)*p->at < 0x20) {
      free(w.data);
      p->error = "unterminated string";
      return 0;
    }
    if (*p->at == '"') {
      p->at++;
      break;
    }
    p->at++;
    if (p->at >= p->end) break;
    char escape = *p->at++;
    unsigned int cp;
    switch (escape) {
      case '"': writer_append(&w, "\"", 1); break;
      case '\\': writer_append(&w, "\\", 1); break;
      case '/': writer_append(&w, "/", 1); break;
      case 'b': writer_append(&w, "\b", 1); break;
      case 'f': writer_append(&w, "\f", 1); break;
      case 'n': writer_append(&w, "\n", 1); break;
      case 'r': writer_append(&w, "\r", 1); break;
      case 't': writer_append(&w, "\t", 1); break;
      case 'u':
        if (!hex4(p, &cp)) {
          free(w.data);
          p->error = "bad \\u escape";
          return 0;
        }
        if (cp >= 0xD800 && cp <= 0xDBFF && p->end - p->at >= 6 && p->at[0] == '\\' && p->at[1] == 'u') {
          const char *save = p->at;
          unsigned int low;
          p->at += 2;
          if (hex4(p, &low) && low >= 0xDC00 && low <= 0xDFFF) cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          else p->at = save;
        }
        /* A lone surrogate cannot be UTF-8: it becomes U+FFFD, as in most decoders. */
        if (cp >= 0xD800 && cp <= 0xDFFF) cp = 0xFFFD;
        append_utf8(&w, cp);
        break;
      default:
        free(w.data);
        p->error = "bad escape";
        return 0;
    }
  }
  *length = w.length;
  writer_append(&w, "", 1);
  *text = w.data;
  return 1;
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* A JSON number, strictly: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? */
static int parse_number(parser *p, sbx_value *out) {
  const char *start = p->at;
  const char *at = p->at;
  if (at < p->end && *at == '-') at++;
  if (at < p->end && *at == '0') at++;
  else if (at < p->end && is_digit(*at)) while (at < p->end && is_digit(*at)) at++;
  else goto bad;
  if (at < p->end && *at == '.') {
    at++;
    if (at >= p->end || !is_digit(*at)) goto bad;
    while (at < p->end && is_digit(*at)) at++;
  }
  if (at < p->end && (*at == 'e' || *at == 'E')) {
    at++;
    if (at < p->end && (*at == '+' || *at == '-')) at++;
    if (at >= p->end || !is_digit(*at)) goto bad;
    while (at < p->end && is_digit(*at)) at++;
  }
  size_t length = (size_t)(at - start);
  p->at = at;
  out->kind = SBX_NUMBER;
  out->text = (char *)sbx_alloc(length + 1);
  memcpy(out->text, start, length);
  out->text[length] = 0;
  out->length = length;
  return 1;
bad:
  p->error = "bad number";
  return 0;
}

static int parse_literal(parser *p, const char *word) {
  size_t length = strlen(word);
  if ((size_t)(p->end - p->at) < length || memcmp(p->at, word, length) != 0) {
    p->error = "unexpected character";
    return 0;
  }
  p->at += length;
  return 1;
}

/* Parses the items of an array or members of an object, up to `close`. */
static int parse_items(parser *p, sbx_value *out, char close, int with_keys) {
  size_t capacity = 0;
  p->at++;
  skip_space(p);
  if (p->at < p->end && *p->at == close) {
    p->at++;
    return 1;
  }
  for (;;) {
    if (out->count == capacity) {
      capacity = capacity ? capacity * 2 : 4;
      out->items = (sbx_value *)sbx_grow(out->items, capacity * sizeof(sbx_value));
    }
    sbx_value *item = &out->items[out->count];
    memset(item, 0, sizeof *item);
    skip_space(p);
    if (with_keys) {
      char *key;
      size_t key_length;
      if (p->at >= p->end || *p->at != '"') {
        p->error = "expected a key";
        return 0;
      }
      if (!parse_string(p, &key, &key_length)) return 0;
      skip_space(p);
      if (p->at >= p->end || *p->at != ':') {
        free(key);
        p->error = "expected ':'";
        return 0;
      }
      p->at++;
      if (!parse_value(p, item)) {
        free(key);
        return 0;
      }
      item->key = key;
      item->key_length = key_length;
    } else if (!parse_value(p, item)) {
      return 0;
    }
    out->count++;
    skip_space(p);
    if (p->at < p->end && *p->at == ',') {
      p->at++;
      continue;
    }
    if (p->at < p->end && *p->at == close) {
      p->at++;
      return 1;
    }
    p->error = "expected ',' or a closing bracket";
    return 0;
  }
}

static int decode_base64(const char *text, size_t length, char **out, size_t *out_length) {
  char *bytes = (char *)sbx_alloc(length / 4 * 3 + 4);
  size_t n = 0;
  unsigned int chunk = 0;
  int bits = 0;
  for (size_t i = 0; i < length; i++) {
    char c = text[i];
    const char *where = c ? strchr(BASE64, c) : NULL;
    if (c == '=' || c == '\n' || c == '\r') continue;
    if (!where) {
      free(bytes);
      return 0;
    }
    chunk = (chunk << 6) | (unsigned int)(where - BASE64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes[n++] = (char)((chunk >> bits) & 0xFF);
    }
  }
  bytes[n] = 0;
  *out = bytes;
  *out_length = n;
  return 1;
}

/* Whether `text` is one JSON number and nothing else. */
static int json_number(const char *text) {
  parser scan = {text, text + strlen(text), NULL, 0};
  sbx_value number;
  return *text && parse_number(&scan, &number) && scan.at == scan.end;
}

/* An object with a single key starting with SBX_TAG_PREFIX is a wire tag: decode it in place. */
static int decode_tag(parser *p, sbx_value *out) {
  sbx_value *inner = &out->items[0];
  const char *tag = inner->key;
  if (strcmp(tag, SBX_TAG_BIGINT) == 0 && inner->kind == SBX_STRING && plain_integer(inner->text)) {
    out->kind = SBX_BIGINT;
    out->text = inner->text;
    out->length = inner->length;
  } else if (strcmp(tag, SBX_TAG_FLOAT) == 0 && inner->kind == SBX_STRING) {
    out->kind = SBX_SPECIAL_FLOAT;
    if (strcmp(inner->text, "nan") == 0) out->number = NAN;
    else if (strcmp(inner->text, "inf") == 0) out->number = INFINITY;
    else if (strcmp(inner->text, "-inf") == 0) out->number = -INFINITY;
    else if (strcmp(inner->text, "-0") == 0) out->number = -0.0;
    else if (json_number(inner->text)) {
      /* A float whose integral value JSON would give as an integer: the number, as the host wrote it. */
      out->kind = SBX_NUMBER;
      out->text = inner->text;
      out->length = inner->length;
    } else {
      p->error = "bad float tag";
      return 0;
    }
  } else if (strcmp(tag, SBX_TAG_BYTES) == 0 && inner->kind == SBX_STRING) {
    out->kind = SBX_BYTES;
    if (!decode_base64(inner->text, inner->length, &out->text, &out->length)) {
      p->error = "bad $bytes tag";
      return 0;
    }
  } else if (strcmp(tag, SBX_TAG_OBJECT) == 0 && inner->kind == SBX_ARRAY) {
    /* [[key, value], ...] becomes the object's members. */
    sbx_value *members = (sbx_value *)sbx_alloc((inner->count ? inner->count : 1) * sizeof(sbx_value));
    for (size_t i = 0; i < inner->count; i++) {
      sbx_value *pair = &inner->items[i];
      if (pair->kind != SBX_ARRAY || pair->count != 2 || pair->items[0].kind != SBX_STRING) {
        p->error = "bad $object tag";
        return 0;
      }
      members[i] = pair->items[1];
      members[i].key = pair->items[0].text;
      members[i].key_length = pair->items[0].length;
    }
    out->kind = SBX_OBJECT;
    out->items = members;
    out->count = inner->count;
  } else {
    p->error = "unknown wire tag";
    return 0;
  }
  return 1;
}

static int parse_value(parser *p, sbx_value *out) {
  skip_space(p);
  if (p->at >= p->end) {
    p->error = "unexpected end of input";
    return 0;
  }
  if (++p->depth > SBX_MAX_DEPTH) {
    p->error = "nested too deeply";
    return 0;
  }
  int ok;
  switch (*p->at) {
    case '{':
      out->kind = SBX_OBJECT;
      ok = parse_items(p, out, '}', 1);
      if (ok && out->count == 1 && out->items[0].key[0] == SBX_TAG_PREFIX) ok = decode_tag(p, out);
      break;
    case '[':
      out->kind = SBX_ARRAY;
      ok = parse_items(p, out, ']', 0);
      break;
    case '"':
      out->kind = SBX_STRING;
      ok = parse_string(p, &out->text, &out->length);
      break;
    case 't':
      out->kind = SBX_BOOL;
      out->boolean = 1;
      ok = parse_literal(p, "true");
      break;
    case 'f':
      out->kind = SBX_BOOL;
      ok = parse_literal(p, "false");
      break;
    case 'n':
      out->kind = SBX_NULL;
      ok = parse_literal(p, "null");
      break;
    default:
      ok = parse_number(p, out);
  }
  p->depth--;
  return ok;
}

/* --- JSON text values (sandbox_json) ------------------------------------------------------------------ */

/* Writes a parsed value back in its wire form (tags included). */
static void write_value(sbx_writer *w, const sbx_value *v) {
  switch (v->kind) {
    case SBX_NULL: sbx_write_null(w); break;
    case SBX_BOOL: sbx_write_bool(w, v->boolean); break;
    case SBX_NUMBER:
      writer_separate(w);
      writer_append(w, v->text, v->length);
      break;
    case SBX_BIGINT:
      writer_separate(w);
      writer_text(w, SBX_TAGGED(SBX_TAG_BIGINT));
      writer_text(w, v->text);
      writer_text(w, "\"}");
      break;
    case SBX_SPECIAL_FLOAT: sbx_write_double(w, v->number); break;
    case SBX_STRING: sbx_write_string(w, v->text, v->length); break;
    case SBX_BYTES:
      writer_separate(w);
      writer_text(w, SBX_TAGGED(SBX_TAG_BYTES));
      write_base64(w, (const unsigned char *)v->text, v->length);
      writer_text(w, "\"}");
      break;
    case SBX_ARRAY:
      sbx_write_begin_array(w);
      for (size_t i = 0; i < v->count; i++) write_value(w, &v->items[i]);
      sbx_write_end_array(w);
      break;
    case SBX_OBJECT:
      sbx_write_begin_object(w, v->count, v->count ? v->items[0].key : NULL, v->count ? v->items[0].key_length : 0);
      for (size_t i = 0; i < v->count; i++) {
        sbx_write_key(w, v->items[i].key, v->items[i].key_length);
        write_value(w, &v->items[i]);
      }
      sbx_write_end_object(w);
      break;
  }
}

int sbx_to_json(const sbx_value *value, const sbx_path *path, char **out) {
  (void)path;
  sbx_writer text = {0, 0, 0};
  int depth = object_depth;
  write_value(&text, value);
  object_depth = depth;
  writer_append(&text, "", 1);
  *out = text.data;
  return 1;
}

void sbx_return_json(const char *text) {
  if (!text) {
    sbx_return_null();
    return;
  }
  parser p = {text, text + strlen(text), NULL, 0};
  sbx_value value;
  memset(&value, 0, sizeof value);
  int ok = parse_value(&p, &value);
  if (ok) {
    skip_space(&p);
    if (p.at != p.end) {
      ok = 0;
      p.error = "unexpected text after the value";
    }
  }
  if (!ok) {
    char *message = format_text("%s() returned a sandbox_json that is not valid JSON: %s at offset %ld", current_function, p.error ? p.error : "bad value", (long)(p.at - text));
    sbx_fail("SerializationError", message, "", 0);
    free(message);
    return;
  }
  write_value(sbx_begin_result(), &value);
  sbx_end_result();
}
