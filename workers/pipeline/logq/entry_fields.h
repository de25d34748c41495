// The field rules of a log entry (see entry.h for the list in prose), as one table that both
// body parsers read: the full one (entry_full.cpp, jsoncpp) and the fast one (entry_fast.cpp,
// a single pass over plain text). A field's name, JSON type, limits and whether it is
// required live here only, so the two parsers cannot drift apart on them; the differential
// tests (tests/unit/logq/) walk the same table to try each field at and past its limits.
//
// Internal to logq (and its tests): the API sees parse_body() in entry.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

#include "logq/entry.h"

namespace ez::logq::detail {

enum class JsonType {
  string,   // JSON string: valid UTF-8 without NUL, min..max bytes
  integer,  // JSON integer (no fraction or exponent) in min..max
  number,   // a finite JSON number in min..max
  boolean,  // true or false
  time,     // RFC 3339 string, or integer unix milliseconds 0..max
  object,   // JSON object (extra: merged with the unknown fields)
};

// Where a field's value goes in LogEntry: one member per storage type. The JSON type says
// which kind of value the parsers produce; store() below assigns it to this member.
using Slot = std::variant<std::monostate,                          // extra: merged by hand
                          std::string LogEntry::*,                 // request_id
                          std::optional<std::string> LogEntry::*,  // the text fields
                          std::optional<int64_t> LogEntry::*,      // ids and counts
                          std::optional<int> LogEntry::*,          // status_code
                          std::optional<double> LogEntry::*,       // cost
                          std::optional<bool> LogEntry::*,         // stream
                          int64_t LogEntry::*>;                    // timestamp (ts_us)

struct FieldRule {
  std::string_view name;
  JsonType type;
  bool required = false;  // null or missing => missing_field; otherwise null means absent
  // string: byte length range; integer, number: value range; time: largest unix
  // milliseconds.
  int64_t min = 0;
  int64_t max = 0;
  // string only: invalid UTF-8 and NUL become U+FFFD and the text is cut to max bytes on a
  // character boundary, instead of refusing the entry (upstream text carried verbatim).
  bool repair = false;
  Slot slot;
};

// Every known field; anything else goes to the extra column. At most 32 (the fast parser
// keeps a bit per field for duplicates).
[[nodiscard]] std::span<const FieldRule> field_rules();
// The rule named `name`, or null for an unknown field.
[[nodiscard]] const FieldRule* find_rule(std::string_view name);
// Position of `rule` in field_rules().
[[nodiscard]] size_t rule_index(const FieldRule& rule);
// Bit i set <=> field_rules()[i].required.
[[nodiscard]] uint32_t required_mask();

// Assigns a parsed value to the rule's slot. The overload must match the rule's JSON type
// (string -> std::string, integer/time -> int64_t, number -> double, boolean -> bool).
void store(LogEntry& entry, const FieldRule& rule, std::string value);
void store(LogEntry& entry, const FieldRule& rule, int64_t value);
void store(LogEntry& entry, const FieldRule& rule, double value);
void store(LogEntry& entry, const FieldRule& rule, bool value);

// The refusal both parsers give for a body over ParseOptions::max_entries.
[[noreturn]] void throw_too_many(size_t max_entries);

}  // namespace ez::logq::detail
