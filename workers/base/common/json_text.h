// Checks on raw JSON text that jsoncpp's reader does not make.
#pragma once

#include <json/value.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ez {

// The byte offset of the first '/' outside a string, if any. '/' can only start a
// comment there (RFC 8259 has none), and jsoncpp skips comments inside objects and
// arrays even with allowComments off, so strict readers check the text first.
[[nodiscard]] std::optional<size_t> find_json_comment(std::string_view text);

// Compact JSON text (UTF-8 emitted as is, doubles in their shortest exact form): the
// one writer for API bodies, JSON columns and Redis snapshots.
[[nodiscard]] std::string to_json(const Json::Value& value);

// A whole-string base-10 int64 ("12" yes; "", "12x", " 12", overflow no).
[[nodiscard]] std::optional<int64_t> parse_int64(const std::string& text);

}  // namespace ez
