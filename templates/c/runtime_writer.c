/*
 * Sandbox Executor: runtime of the C and C++ dispatchers, writing JSON: values, wire tags, escaping.
 * One part of the runtime: the parts are joined into one translation unit, in the order of RUNTIME_PARTS
 * (src/languages/native/compile-pipeline.ts), after sandbox_runtime.c.
 */

/* --- writer ------------------------------------------------------------------------------------------ */

/* Objects being written, innermost last: 1 when escaped as {"$object": [[key, value]]}. */
static unsigned char object_escaped[SBX_MAX_DEPTH];
static int object_depth = 0;

static void writer_reserve(sbx_writer *w, size_t more) {
  if (w->length + more <= w->capacity) return;
  size_t capacity = w->capacity ? w->capacity : 256;
  while (capacity < w->length + more) capacity *= 2;
  w->data = (char *)sbx_grow(w->data, capacity);
  w->capacity = capacity;
}

static void writer_append(sbx_writer *w, const char *data, size_t length) {
  writer_reserve(w, length);
  memcpy(w->data + w->length, data, length);
  w->length += length;
}

static void writer_text(sbx_writer *w, const char *text) { writer_append(w, text, strlen(text)); }

/* A value (or key) follows another one: separate them. */
static void writer_separate(sbx_writer *w) {
  if (w->length == 0) return;
  char last = w->data[w->length - 1];
  if (last != '[' && last != '{' && last != ':' && last != ',') writer_append(w, ",", 1);
}

void sbx_write_null(sbx_writer *w) {
  writer_separate(w);
  writer_text(w, "null");
}

void sbx_write_bool(sbx_writer *w, int value) {
  writer_separate(w);
  writer_text(w, value ? "true" : "false");
}

void sbx_write_signed(sbx_writer *w, long long value) {
  char text[32];
  writer_separate(w);
  snprintf(text, sizeof text, "%lld", value);
  if (value > SBX_MAX_SAFE_INTEGER || value < -SBX_MAX_SAFE_INTEGER) {
    writer_text(w, SBX_TAGGED(SBX_TAG_BIGINT));
    writer_text(w, text);
    writer_text(w, "\"}");
  } else {
    writer_text(w, text);
  }
}

void sbx_write_unsigned(sbx_writer *w, unsigned long long value) {
  char text[32];
  writer_separate(w);
  snprintf(text, sizeof text, "%llu", value);
  if (value > (unsigned long long)SBX_MAX_SAFE_INTEGER) {
    writer_text(w, SBX_TAGGED(SBX_TAG_BIGINT));
    writer_text(w, text);
    writer_text(w, "\"}");
  } else {
    writer_text(w, text);
  }
}

/* NaN, infinities and -0 have no JSON spelling: they travel as {"$float": ...}. */
static int write_special_float(sbx_writer *w, double value) {
  const char *tag = NULL;
  if (isnan(value)) tag = "nan";
  else if (isinf(value)) tag = value > 0 ? "inf" : "-inf";
  else if (value == 0 && signbit(value)) tag = "-0";
  if (!tag) return 0;
  writer_text(w, SBX_TAGGED(SBX_TAG_FLOAT));
  writer_text(w, tag);
  writer_text(w, "\"}");
  return 1;
}

void sbx_write_double(sbx_writer *w, double value) {
  char text[40];
  writer_separate(w);
  if (write_special_float(w, value)) return;
  /* The shortest text that reads back as the same double. */
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(text, sizeof text, "%.*g", digits, value);
    if (strtod(text, NULL) == value) break;
  }
  writer_text(w, text);
}

void sbx_write_float(sbx_writer *w, float value) {
  char text[40];
  writer_separate(w);
  if (write_special_float(w, value)) return;
  /* The shortest text that reads back as the same float: 0.1f is sent as 0.1, not 0.100000001. */
  for (int digits = 6; digits <= 9; digits++) {
    snprintf(text, sizeof text, "%.*g", digits, (double)value);
    if (strtof(text, NULL) == value) break;
  }
  writer_text(w, text);
}

/* Length of the valid UTF-8 sequence at `s` (at most `left` bytes), or 0 when it is invalid. */
static size_t utf8_sequence(const unsigned char *s, size_t left) {
  unsigned char c = s[0];
  size_t need;
  unsigned int cp;
  if (c < 0x80) return 1;
  if (c >= 0xC2 && c <= 0xDF) need = 2, cp = c & 0x1F;
  else if (c >= 0xE0 && c <= 0xEF) need = 3, cp = c & 0x0F;
  else if (c >= 0xF0 && c <= 0xF4) need = 4, cp = c & 0x07;
  else return 0;
  if (left < need) return 0;
  for (size_t i = 1; i < need; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (need == 4 && (cp < 0x10000 || cp > 0x10FFFF))) return 0;
  return need;
}

static const char BASE64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void write_base64(sbx_writer *w, const unsigned char *data, size_t length) {
  writer_reserve(w, (length + 2) / 3 * 4);
  for (size_t i = 0; i < length; i += 3) {
    unsigned int chunk = (unsigned int)data[i] << 16;
    if (i + 1 < length) chunk |= (unsigned int)data[i + 1] << 8;
    if (i + 2 < length) chunk |= data[i + 2];
    char out[4] = {BASE64[(chunk >> 18) & 63], BASE64[(chunk >> 12) & 63], i + 1 < length ? BASE64[(chunk >> 6) & 63] : '=',
                   i + 2 < length ? BASE64[chunk & 63] : '='};
    writer_append(w, out, 4);
  }
}

/* A JSON string literal of bytes known to be valid UTF-8. */
static void write_json_text(sbx_writer *w, const char *data, size_t length) {
  writer_append(w, "\"", 1);
  size_t start = 0;
  for (size_t i = 0; i < length; i++) {
    unsigned char c = (unsigned char)data[i];
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    writer_append(w, data + start, i - start);
    start = i + 1;
    char escape[8];
    switch (c) {
      case '"': writer_text(w, "\\\""); break;
      case '\\': writer_text(w, "\\\\"); break;
      case '\n': writer_text(w, "\\n"); break;
      case '\r': writer_text(w, "\\r"); break;
      case '\t': writer_text(w, "\\t"); break;
      default:
        snprintf(escape, sizeof escape, "\\u%04x", c);
        writer_text(w, escape);
    }
  }
  writer_append(w, data + start, length - start);
  writer_append(w, "\"", 1);
}

static int valid_utf8(const char *data, size_t length) {
  for (size_t i = 0; i < length;) {
    size_t step = utf8_sequence((const unsigned char *)data + i, length - i);
    if (!step) return 0;
    i += step;
  }
  return 1;
}

void sbx_write_string(sbx_writer *w, const char *data, size_t length) {
  writer_separate(w);
  if (valid_utf8(data, length)) {
    write_json_text(w, data, length);
  } else {
    writer_text(w, SBX_TAGGED(SBX_TAG_BYTES));
    write_base64(w, (const unsigned char *)data, length);
    writer_text(w, "\"}");
  }
}

void sbx_write_cstring(sbx_writer *w, const char *text) {
  if (!text) sbx_write_null(w);
  else sbx_write_string(w, text, strlen(text));
}

void sbx_write_begin_array(sbx_writer *w) {
  writer_separate(w);
  writer_append(w, "[", 1);
}

void sbx_write_end_array(sbx_writer *w) { writer_append(w, "]", 1); }

void sbx_write_begin_object(sbx_writer *w, size_t count, const char *first_key, size_t first_key_length) {
  int escaped = count == 1 && first_key && first_key_length > 0 && first_key[0] == SBX_TAG_PREFIX;
  writer_separate(w);
  writer_text(w, escaped ? "{\"" SBX_TAG_OBJECT "\":[[" : "{");
  if (object_depth < SBX_MAX_DEPTH) object_escaped[object_depth] = (unsigned char)escaped;
  object_depth++;
}

void sbx_write_key(sbx_writer *w, const char *key, size_t length) {
  int escaped = object_depth > 0 && object_depth <= SBX_MAX_DEPTH && object_escaped[object_depth - 1];
  writer_separate(w);
  if (valid_utf8(key, length)) {
    write_json_text(w, key, length);
  } else {
    /* Keys cannot be $bytes: send the bytes as Latin-1 text rather than lose the member. */
    writer_append(w, "\"", 1);
    for (size_t i = 0; i < length; i++) {
      unsigned char c = (unsigned char)key[i];
      char escape[8];
      snprintf(escape, sizeof escape, "\\u%04x", c);
      writer_text(w, escape);
    }
    writer_append(w, "\"", 1);
  }
  writer_append(w, escaped ? "," : ":", 1);
}

void sbx_write_end_object(sbx_writer *w) {
  object_depth--;
  int escaped = object_depth >= 0 && object_depth < SBX_MAX_DEPTH && object_escaped[object_depth];
  writer_text(w, escaped ? "]]}" : "}");
}
