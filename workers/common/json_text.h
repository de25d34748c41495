// Checks on raw JSON text that jsoncpp's reader does not make.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace ez {

// The byte offset of the first '/' outside a string, if any. '/' can only start a
// comment there (RFC 8259 has none), and jsoncpp skips comments inside objects and
// arrays even with allowComments off, so strict readers check the text first.
[[nodiscard]] std::optional<size_t> find_json_comment(std::string_view text);

}  // namespace ez
