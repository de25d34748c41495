#include "common/json_writer.h"

#include <charconv>
#include <cmath>

namespace ez {

namespace {

void append_quoted(std::string& out, const char* begin, const char* end) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  const char* run = begin;  // start of the bytes not yet copied
  for (const char* c = begin; c != end; ++c) {
    const auto u = static_cast<unsigned char>(*c);
    if (u >= 0x20 && u != '"' && u != '\\') continue;  // the common case: copied in runs
    out.append(run, c);
    run = c + 1;
    switch (u) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[u >> 4], kHex[u & 0xf]};
        out.append(esc, sizeof esc);
      }
    }
  }
  out.append(run, end);
  out += '"';
}

void append_double(std::string& out, double d) {
  // What jsoncpp prints for these without useSpecialFloats.
  if (std::isnan(d)) {
    out += "null";
    return;
  }
  if (std::isinf(d)) {
    out += d < 0 ? "-1e+9999" : "1e+9999";
    return;
  }
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);  // shortest round-trip form
  out.append(buf, r.ptr);
}

template <typename Int>
void append_int(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace

void append_json(std::string& out, const Json::Value& value) {
  switch (value.type()) {
    case Json::nullValue:
      out += "null";
      return;
    case Json::intValue:
      append_int(out, value.asLargestInt());
      return;
    case Json::uintValue:
      append_int(out, value.asLargestUInt());
      return;
    case Json::realValue:
      append_double(out, value.asDouble());
      return;
    case Json::booleanValue:
      out += value.asBool() ? "true" : "false";
      return;
    case Json::stringValue: {
      const char* b = nullptr;
      const char* e = nullptr;
      if (value.getString(&b, &e)) append_quoted(out, b, e);
      return;  // jsoncpp writes nothing for a string without storage either
    }
    case Json::arrayValue: {
      out += '[';
      // Walk the members in index order (value[i] would be a tree lookup per item); a
      // missing index of a sparse array is null, as in jsoncpp's writer.
      Json::ArrayIndex next = 0;
      for (auto it = value.begin(); it != value.end(); ++it) {
        for (const Json::ArrayIndex at = it.index(); next < at; ++next)
          out += next ? ",null" : "null";
        if (next++) out += ',';
        append_json(out, *it);
      }
      out += ']';
      return;
    }
    case Json::objectValue: {
      out += '{';
      bool first = true;
      // The member map's order, which is the order of getMemberNames().
      for (auto it = value.begin(); it != value.end(); ++it) {
        if (!first) out += ',';
        first = false;
        const char* end = nullptr;
        const char* name = it.memberName(&end);
        append_quoted(out, name, end);
        out += ':';
        append_json(out, *it);
      }
      out += '}';
      return;
    }
  }
}

void append_json_string(std::string& out, std::string_view text) {
  append_quoted(out, text.data(), text.data() + text.size());
}

}  // namespace ez
