// Typed, strict access to the fields of a JSON request body and to path/query
// values. Every failure throws Error naming the field, so a handler is
// a list of get_* calls and never inspects Json::Value types itself.
//
// Conventions (documented in docs/openapi.yaml):
//  - A getter returns std::nullopt when the field is ABSENT (PUT = partial update:
//    absent fields keep their value). `required` turns absence into 400
//    missing_field. JSON null is not "absent": it is a wrong type (400), so a
//    client never clears a field by accident.
//  - Numbers: integers must be JSON integers (1.0, "1", 1e3 are rejected); values
//    outside [min, max] (including 99999999999999999999 and 1e400) are 400.
//  - Unknown fields are rejected (400 naming the field) so typos ("wieght") do not
//    silently do nothing; read-only fields of the resource (id, created_at, ...)
//    are accepted and ignored so that a GET result can be sent back as a PUT.
#pragma once

#include <json/value.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "common/time.h"

namespace ez::domain {

// 400 bad_json unless `body` is a JSON object.
void require_object(const Json::Value& body);

// 400 invalid_field for the first member of `obj` that is in neither list.
void reject_unknown(const Json::Value& obj, std::initializer_list<std::string_view> allowed,
                    std::initializer_list<std::string_view> ignored = {});

struct StringRule {
  bool required = false;
  size_t min_len = 0;    // in bytes, after trimming; min_len >= 1 also rejects ""
  size_t max_len = 256;  // in bytes, after trimming
  bool trim = false;     // strip ASCII whitespace at both ends
  bool lower = false;    // ASCII lower-case (type names, enum values)
  // Control characters other than NUL are stored verbatim unless this is set
  // (NUL and invalid UTF-8 are always rejected: PostgreSQL text cannot hold them).
  bool no_control = false;
};

[[nodiscard]] std::optional<std::string> get_string(const Json::Value& obj, const char* field,
                                                    const StringRule& rule = {});

// Integer in [min, max].
[[nodiscard]] std::optional<int64_t> get_int(const Json::Value& obj, const char* field, int64_t min,
                                             int64_t max, bool required = false);

// Any finite JSON number in [min, max].
[[nodiscard]] std::optional<double> get_number(const Json::Value& obj, const char* field,
                                               double min, double max, bool required = false);

[[nodiscard]] std::optional<bool> get_bool(const Json::Value& obj, const char* field,
                                           bool required = false);

// Array of strings, each checked with `item` (the error names "field[i]").
// Duplicates are removed, first occurrence kept (order preserved).
[[nodiscard]] std::optional<std::vector<std::string>> get_string_list(const Json::Value& obj,
                                                                      const char* field,
                                                                      const StringRule& item = {},
                                                                      size_t max_items = 1024,
                                                                      bool required = false);

// One of `allowed` (after trim + lower-case).
[[nodiscard]] std::optional<std::string> get_enum(const Json::Value& obj, const char* field,
                                                  std::initializer_list<std::string_view> allowed,
                                                  bool required = false);
// The same check on a value that did not come from a body (query parameter).
// Throws 400 bad_request naming `field`.
[[nodiscard]] std::string check_enum(const std::string& value, const char* field,
                                     std::initializer_list<std::string_view> allowed);

// is_valid_utf8: common/text.h (query and path values must pass it before PostgreSQL).

// ---- time -------------------------------------------------------------------
// parse_rfc3339, format_rfc3339, kTimeRule: common/time.h.
// A body field holding an RFC 3339 time; returned normalized to UTC (safe for ::timestamptz).
[[nodiscard]] std::optional<std::string> get_time(const Json::Value& obj, const char* field,
                                                  bool required = false);

// ---- networks -----------------------------------------------------------------

// "10.0.0.0/8", "2001:db8::/32" or a bare address ("10.1.2.3", "::1").
// Returns the canonical text (IPv6 compressed, lower-case) or nullopt when
// malformed, the prefix is out of range, or host bits are set ("10.0.0.1/8").
[[nodiscard]] std::optional<std::string> normalize_cidr(std::string_view text);
// Array of CIDRs (see normalize_cidr); the error names "field[i]".
[[nodiscard]] std::optional<std::vector<std::string>> get_cidr_list(const Json::Value& obj,
                                                                    const char* field,
                                                                    size_t max_items = 256);

// ---- query parameters ---------------------------------------------------------

// List routes declare their query parameters here: any other (a typo such as
// ?naem=x) is a 400 naming it, instead of an unfiltered 200. `limit` and `cursor`
// (pagination.h) are always allowed: every list pages.
void check_query_params(const std::multimap<std::string, std::string>& query,
                        std::initializer_list<std::string_view> filters);

// ---- ids --------------------------------------------------------------------

// A path id: decimal digits only, 1 .. INT64_MAX. Anything else (non-numeric,
// negative, zero, huge) is 404 "<what> not found": no such resource can exist.
[[nodiscard]] int64_t parse_id(const std::string& text, const std::string& what = "resource");

// "a string", "an integer", ...: how error messages name the JSON type a client sent.
[[nodiscard]] const char* type_name(const Json::Value& v);

}  // namespace ez::domain
