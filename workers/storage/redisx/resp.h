// Commands written in RESP by hand, for pipelines that build one large command without an
// argv copy of every field (the resync's HSET and HMGET chunks).
#pragma once

#include <string>
#include <string_view>

namespace ez::redisx {

// Appends `s` as a RESP bulk string ("$<len>\r\n<s>\r\n").
inline void append_bulk(std::string& out, std::string_view s) {
  out.push_back('$');
  out += std::to_string(s.size());
  out += "\r\n";
  out.append(s);
  out += "\r\n";
}

}  // namespace ez::redisx
