// Column helpers shared by the management repositories: text[] parameters travel
// as JSON (bound as `$n::jsonb`), so no element can change an array's shape
// whatever quotes or braces it holds; columns are read back as text cells
// (db/cells.h: arrays as literals, times as microseconds since the epoch).
#pragma once

#include <json/value.h>

#include <cstdint>
#include <string>
#include <vector>

namespace ez::db {

// SQL turning a jsonb array parameter into text[], order kept: EZ_SQL_TEXT_ARRAY("$3").
#define EZ_SQL_TEXT_ARRAY(param)                         \
  "ARRAY(SELECT e FROM jsonb_array_elements_text(" param \
  "::jsonb) WITH ORDINALITY "                            \
  "AS t(e, i) ORDER BY i)"
// SQL to read a timestamptz column as microseconds since the epoch.
#define EZ_SQL_MICROS(col) "(extract(epoch FROM " col ") * 1000000)::bigint"

// ["a","b"] as compact JSON text, for a jsonb parameter.
[[nodiscard]] std::string json_array_text(const std::vector<std::string>& items);
// Parses JSON text (a jsonb column); Json::nullValue when empty or malformed.
[[nodiscard]] Json::Value parse_json_text(const std::string& text);
// RFC 3339 UTC of microseconds since the epoch.
[[nodiscard]] std::string rfc3339_from_micros(int64_t micros);
[[nodiscard]] Json::Value string_array_json(const std::vector<std::string>& items);

}  // namespace ez::db
