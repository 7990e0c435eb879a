/*
 * Sandbox Executor: conversions between wire values and C++ types, for the generated C++ dispatcher.
 *
 * sbx_codec<T>::decode(value, out, path) converts an argument (reporting a TypeError frame and returning
 * false when it does not fit), sbx_codec<T>::encode(writer, value) writes a result. Containers are only
 * defined when the dispatcher needs them (SBX_WITH_<HEADER>), so a program that uses none pays nothing
 * for their headers. Exceptions are disabled: errors are return values.
 */
#ifndef SANDBOX_CODEC_HPP
#define SANDBOX_CODEC_HPP

#include <stddef.h>

#include "sandbox_runtime.h"

/* Only the specializations below exist: any other type was refused before compiling. */
template <class T>
struct sbx_codec;

#define SBX_SIGNED_CODEC(T, MIN, MAX)                                                                   \
  template <>                                                                                            \
  struct sbx_codec<T> {                                                                                  \
    static bool decode(const sbx_value *v, T &out, const sbx_path *path) {                               \
      long long t;                                                                                       \
      if (!sbx_to_signed(v, MIN, MAX, #T, path, &t)) return false;                                       \
      out = static_cast<T>(t);                                                                           \
      return true;                                                                                       \
    }                                                                                                    \
    static void encode(sbx_writer *w, T value) { sbx_write_signed(w, value); }                           \
  };

#define SBX_UNSIGNED_CODEC(T, MAX)                                                                      \
  template <>                                                                                            \
  struct sbx_codec<T> {                                                                                  \
    static bool decode(const sbx_value *v, T &out, const sbx_path *path) {                               \
      unsigned long long t;                                                                              \
      if (!sbx_to_unsigned(v, MAX, #T, path, &t)) return false;                                          \
      out = static_cast<T>(t);                                                                           \
      return true;                                                                                       \
    }                                                                                                    \
    static void encode(sbx_writer *w, T value) { sbx_write_unsigned(w, value); }                         \
  };

SBX_SIGNED_CODEC(signed char, -128, 127)
SBX_SIGNED_CODEC(short, -32768, 32767)
SBX_SIGNED_CODEC(int, (-2147483647 - 1), 2147483647)
SBX_SIGNED_CODEC(long, (-2147483647L - 1), 2147483647L)
SBX_SIGNED_CODEC(long long, (-9223372036854775807LL - 1), 9223372036854775807LL)
SBX_UNSIGNED_CODEC(unsigned char, 255)
SBX_UNSIGNED_CODEC(unsigned short, 65535)
SBX_UNSIGNED_CODEC(unsigned int, 4294967295U)
SBX_UNSIGNED_CODEC(unsigned long, 4294967295UL)
SBX_UNSIGNED_CODEC(unsigned long long, 18446744073709551615ULL)

template <>
struct sbx_codec<bool> {
  static bool decode(const sbx_value *v, bool &out, const sbx_path *path) {
    int t;
    if (!sbx_to_bool(v, path, &t)) return false;
    out = t != 0;
    return true;
  }
  static void encode(sbx_writer *w, bool value) { sbx_write_bool(w, value); }
};

template <>
struct sbx_codec<double> {
  static bool decode(const sbx_value *v, double &out, const sbx_path *path) { return sbx_to_double(v, path, &out) != 0; }
  static void encode(sbx_writer *w, double value) { sbx_write_double(w, value); }
};

template <>
struct sbx_codec<float> {
  static bool decode(const sbx_value *v, float &out, const sbx_path *path) { return sbx_to_float(v, path, &out) != 0; }
  static void encode(sbx_writer *w, float value) { sbx_write_float(w, value); }
};

template <>
struct sbx_codec<char *> {
  static bool decode(const sbx_value *v, char *&out, const sbx_path *path) { return sbx_to_cstring(v, path, &out) != 0; }
  static void encode(sbx_writer *w, const char *value) { sbx_write_cstring(w, value); }
};

template <>
struct sbx_codec<const char *> {
  static bool decode(const sbx_value *v, const char *&out, const sbx_path *path) {
    char *t;
    if (!sbx_to_cstring(v, path, &t)) return false;
    out = t;
    return true;
  }
  static void encode(sbx_writer *w, const char *value) { sbx_write_cstring(w, value); }
};

/* Returned pointers to numbers: null or the value pointed to. */
template <class T>
struct sbx_codec<T *> {
  static void encode(sbx_writer *w, const T *value) {
    if (value) sbx_codec<T>::encode(w, *value);
    else sbx_write_null(w);
  }
};

template <class T>
struct sbx_codec<const T *> {
  static void encode(sbx_writer *w, const T *value) {
    if (value) sbx_codec<T>::encode(w, *value);
    else sbx_write_null(w);
  }
};

#ifdef SBX_WITH_STRING
template <>
struct sbx_codec<std::string> {
  static bool decode(const sbx_value *v, std::string &out, const sbx_path *path) {
    const char *data;
    size_t length;
    if (!sbx_to_bytes(v, path, &data, &length)) return false;
    out.assign(data, length);
    return true;
  }
  static void encode(sbx_writer *w, const std::string &value) { sbx_write_string(w, value.data(), value.size()); }
};
#endif

#ifdef SBX_WITH_VECTOR
template <class T, class A>
struct sbx_codec<std::vector<T, A> > {
  static bool decode(const sbx_value *v, std::vector<T, A> &out, const sbx_path *path) {
    if (!sbx_expect_array(v, path)) return false;
    out.clear();
    out.reserve(v->count);
    for (size_t i = 0; i < v->count; i++) {
      sbx_path item = {path, nullptr, nullptr, i};
      T element{};
      if (!sbx_codec<T>::decode(&v->items[i], element, &item)) return false;
      out.push_back(static_cast<T &&>(element));
    }
    return true;
  }
  static void encode(sbx_writer *w, const std::vector<T, A> &value) {
    sbx_write_begin_array(w);
    for (size_t i = 0; i < value.size(); i++) sbx_codec<T>::encode(w, value[i]);
    sbx_write_end_array(w);
  }
};
#endif

/* std::map and std::unordered_map with string keys: JSON objects. */
template <class Map>
struct sbx_map_codec {
  typedef typename Map::mapped_type T;
  static bool decode(const sbx_value *v, Map &out, const sbx_path *path) {
    if (!sbx_expect_object(v, path)) return false;
    out.clear();
    for (size_t i = 0; i < v->count; i++) {
      const sbx_value *member = &v->items[i];
      sbx_path item = {path, nullptr, member->key, 0};
      T element{};
      if (!sbx_codec<T>::decode(member, element, &item)) return false;
      out[typename Map::key_type(member->key, member->key_length)] = static_cast<T &&>(element);
    }
    return true;
  }
  static void encode(sbx_writer *w, const Map &value) {
    typename Map::const_iterator first = value.begin();
    sbx_write_begin_object(w, value.size(), first == value.end() ? nullptr : first->first.data(), first == value.end() ? 0 : first->first.size());
    for (typename Map::const_iterator it = value.begin(); it != value.end(); ++it) {
      sbx_write_key(w, it->first.data(), it->first.size());
      sbx_codec<T>::encode(w, it->second);
    }
    sbx_write_end_object(w);
  }
};

#ifdef SBX_WITH_MAP
template <class T, class C, class A>
struct sbx_codec<std::map<std::string, T, C, A> > : sbx_map_codec<std::map<std::string, T, C, A> > {};
#endif

#ifdef SBX_WITH_UNORDERED_MAP
template <class T, class H, class E, class A>
struct sbx_codec<std::unordered_map<std::string, T, H, E, A> > : sbx_map_codec<std::unordered_map<std::string, T, H, E, A> > {};
#endif

#ifdef SBX_WITH_OPTIONAL
template <class T>
struct sbx_codec<std::optional<T> > {
  static bool decode(const sbx_value *v, std::optional<T> &out, const sbx_path *path) {
    if (sbx_is_null(v)) {
      out.reset();
      return true;
    }
    T element{};
    if (!sbx_codec<T>::decode(v, element, path)) return false;
    out = static_cast<T &&>(element);
    return true;
  }
  static void encode(sbx_writer *w, const std::optional<T> &value) {
    if (value) sbx_codec<T>::encode(w, *value);
    else sbx_write_null(w);
  }
};
#endif

/* The whole result of a call. */
template <class T>
static void sbx_finish(const T &value) {
  sbx_writer *w = sbx_begin_result();
  sbx_codec<T>::encode(w, value);
  sbx_end_result();
}

#ifdef _LIBCPP_IOSTREAM
/* The user's code uses iostreams: flush them too before each result frame. */
static void sbx_flush_iostreams() {
  std::cout.flush();
  std::cerr.flush();
  std::clog.flush();
}
static struct sbx_iostream_flusher {
  sbx_iostream_flusher() { sbx_flush_hook = sbx_flush_iostreams; }
} sbx_iostream_flusher_instance;
#endif

#endif
