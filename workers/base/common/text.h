// Text checks, once: the UTF-8 validator every input goes through (query values,
// JSON strings bound for PostgreSQL, log entries, the import file).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ez {

// The length of the well-formed UTF-8 sequence at s[i], or 0 when it is not one
// (overlong forms, surrogates, code points above U+10FFFF, truncation).
[[nodiscard]] size_t utf8_sequence_length(std::string_view s, size_t i);

// Well-formed UTF-8 through and through.
[[nodiscard]] bool is_valid_utf8(std::string_view s);

// At most `max_bytes` of `s` in whole characters, each malformed byte and each NUL
// replaced by U+FFFD (PostgreSQL text cannot hold NUL).
[[nodiscard]] std::string sanitize_utf8(std::string_view s, size_t max_bytes);

}  // namespace ez
