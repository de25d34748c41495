// A balancer access-log entry: parsing and validation of a POST /logs body (pure, no I/O),
// and the compact encoding that travels through the shared-memory queue to the flusher.
//
// Body: one JSON object, a JSON array of objects, or NDJSON (one object per line, blank lines
// ignored) when the request says Content-Type: application/x-ndjson.
//
// Fields (anything else is kept, verbatim, in the `extra` jsonb column):
//   request_id         string, required, 1..128 bytes
//   timestamp          RFC 3339 string, or integer unix milliseconds; default: arrival time
//   master_id, key_id, provider_id                                   integers >= 0
//   namespace, model, upstream_model, provider_type, route_group,
//   client_ip, error_type                                            strings <= 256 bytes
//   status_code        integer 100..599
//   latency_ms, ttft_ms                    integers 0..kMaxLatencyMs (one day in ms)
//   prompt_tokens, completion_tokens, total_tokens   integers 0..kMaxTokens (10^9); an
//                      absent total_tokens is prompt + completion when either is given
//   cost               number 0..kMaxCost (10^6, in the model's currency)
//   stream             boolean
//   error_message      string; invalid UTF-8 and NUL become U+FFFD, then it is cut to
//                      kMaxErrorMessageBytes (4096) bytes on a character boundary
//   extra              object, merged with the unknown fields
// null means "absent" for every field but request_id. Every string must be valid UTF-8
// without NUL (PostgreSQL text cannot hold either: such a row would block the queue), except
// error_message, which is repaired instead because it carries upstream text verbatim.
// Unknown fields together may take at most kMaxExtraBytes (8192) bytes as compact JSON.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/text.h"
#include "common/time.h"

namespace ez::logq {

inline constexpr size_t kMaxRequestIdBytes = 128;
inline constexpr size_t kMaxTextBytes = 256;
inline constexpr size_t kMaxErrorMessageBytes = 4096;
inline constexpr size_t kMaxExtraBytes = 8192;
inline constexpr int64_t kMaxUnixMs = 253402300799999;  // 9999-12-31T23:59:59.999Z
// Ceilings of one entry's counts and amounts, far above any real request, so that the usage
// sums stay what a reader parses: int64 token totals (9.2e18 / 1e9 = 9.2e9 entries of the
// largest kind in one answer) and finite double costs.
inline constexpr int64_t kMaxTokens = 1000000000;
inline constexpr int64_t kMaxLatencyMs = 86400000;
inline constexpr int64_t kMaxCost = 1000000;

// Columns of the logs table, in the order the flusher COPYs them and entries are encoded.
inline constexpr std::array<const char*, 23> kLogColumns = {
    "ts",           "received_at",   "request_id",    "master_id",
    "key_id",       "namespace",     "model",         "upstream_model",
    "provider_id",  "provider_type", "route_group",   "status_code",
    "latency_ms",   "ttft_ms",       "prompt_tokens", "completion_tokens",
    "total_tokens", "cost",          "client_ip",     "stream",
    "error_type",   "error_message", "extra"};
inline constexpr size_t kLogColumnCount = kLogColumns.size();

struct LogEntry {
  int64_t ts_us = 0;        // event time, unix microseconds (UTC)
  int64_t received_us = 0;  // when the worker accepted it
  std::string request_id;
  std::optional<int64_t> master_id, key_id, provider_id;
  std::optional<std::string> ns, model, upstream_model, provider_type, route_group;
  std::optional<int> status_code;
  std::optional<int64_t> latency_ms, ttft_ms, prompt_tokens, completion_tokens, total_tokens;
  std::optional<double> cost;
  std::optional<std::string> client_ip;
  std::optional<bool> stream;
  std::optional<std::string> error_type, error_message;
  std::optional<std::string> extra_json;  // compact JSON object, only if non-empty
};

// Why a body was refused. index is the entry's position (0-based; for NDJSON, among the
// non-blank lines), or -1 when the body as a whole is wrong.
class EntryError : public std::runtime_error {
 public:
  enum class Kind { bad_json, missing_field, invalid_field, too_many };
  EntryError(Kind kind, long index, std::string field, const std::string& message);
  Kind kind() const { return kind_; }
  long index() const { return index_; }
  const std::string& field() const { return field_; }  // "" for body-level errors

 private:
  Kind kind_;
  long index_;
  std::string field_;
};

struct ParseOptions {
  bool ndjson = false;
  int64_t arrival_us = 0;      // default timestamp and received_at
  size_t max_entries = 65535;  // more => EntryError(too_many)
  // > 0: entries whose timestamp falls before the oldest day the retention pass keeps
  // (oldest_kept_us) are refused, naming timestamp and the window.
  int retention_days = 0;
};

// The start (unix microseconds) of the oldest UTC day that the retention pass
// (ez_logs_drop_partitions) keeps at `now_us`: today minus retention_days.
[[nodiscard]] int64_t oldest_kept_us(int64_t now_us, int retention_days);

// Parses and validates every entry; throws EntryError for the first bad one.
[[nodiscard]] std::vector<LogEntry> parse_body(std::string_view body, const ParseOptions& options);
// The same, into `out` (cleared first; its capacity is reused across requests).
void parse_body(std::string_view body, const ParseOptions& options, std::vector<LogEntry>& out);

namespace detail {
// Two implementations behind parse_body, exposed for the differential tests:
//  * fast: a single pass over the text straight into LogEntry, no JSON tree (the jsoncpp
//    tree costs most of a worker's time per entry). It takes only plain bodies: known
//    fields, strings without escapes, flat values. For anything else -- every error
//    included -- it returns false and leaves the body to
//  * full: jsoncpp, which handles every body and explains every refusal.
// Whatever fast accepts, full accepts with the same result. Both stop at the entry limit
// (max_entries) instead of reading the rest: fast throws EntryError(too_many) when a good
// max_entries-th entry is followed by another one (full would say the same), and full
// counts an array's top-level elements before it builds the JSON tree, so an array over the
// limit is too_many whatever its later elements hold.
[[nodiscard]] bool parse_body_fast(std::string_view body, const ParseOptions& options,
                                   std::vector<LogEntry>& out);
void parse_body_full(std::string_view body, const ParseOptions& options,
                     std::vector<LogEntry>& out);
}  // namespace detail

// Queue encoding: per column, u32 length (0xFFFFFFFF = NULL) then the value as PostgreSQL
// text input (timestamps "YYYY-MM-DD HH:MM:SS.ffffff+00", booleans t/f, extra as JSON).
void encode(const LogEntry& entry, std::string& out);         // replaces out
void encode_append(const LogEntry& entry, std::string& out);  // appends to out
[[nodiscard]] std::string encode(const LogEntry& entry);

using EncodedFields = std::array<std::optional<std::string_view>, kLogColumnCount>;
// False if `data` is not a well-formed encoding (then `out` is unspecified).
[[nodiscard]] bool decode(std::string_view data, EncodedFields& out);

// An entry's timestamp: base's RFC 3339 parser (common/time.h, Go's rules), limited to
// 1970..9999 because the log partitions start at the epoch. UTF-8 checks and the
// timestamptz text are base's too (common/text.h, common/time.h).
[[nodiscard]] std::optional<int64_t> parse_entry_time_us(std::string_view text);

}  // namespace ez::logq
