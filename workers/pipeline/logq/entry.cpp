#include "logq/entry.h"

#include <algorithm>

namespace ez::logq {

EntryError::EntryError(Kind kind, long index, std::string field, const std::string& message)
    : std::runtime_error(message), kind_(kind), index_(index), field_(std::move(field)) {}

std::optional<int64_t> parse_entry_time_us(std::string_view text) {
  const auto us = parse_rfc3339_us(text);
  if (!us || *us < 0) return std::nullopt;  // the log partitions start at the epoch
  return us;
}

// ---------------------------------------------------------------------------------------------
// Parsing: the fast parser (entry_fast.cpp) first, the full one (entry_full.cpp) for whatever
// it declines; both read the field rules in entry_fields.cpp. Encoding: entry_encoding.cpp.
// ---------------------------------------------------------------------------------------------

int64_t oldest_kept_us(int64_t now_us, int retention_days) {
  constexpr int64_t kDayUs = int64_t{86400} * 1'000'000;
  const int64_t today = (now_us >= 0 ? now_us : now_us - kDayUs + 1) / kDayUs * kDayUs;
  return today - int64_t{retention_days} * kDayUs;
}

void parse_body(std::string_view body, const ParseOptions& options, std::vector<LogEntry>& out) {
  if (!detail::parse_body_fast(body, options, out)) detail::parse_body_full(body, options, out);
  // An entry that does not say its total has prompt + completion tokens (an absent count is
  // 0): stored so, the raw row and the rollups the flusher adds it to agree.
  for (LogEntry& e : out)
    if (!e.total_tokens && (e.prompt_tokens || e.completion_tokens))
      e.total_tokens = e.prompt_tokens.value_or(0) + e.completion_tokens.value_or(0);
  if (options.retention_days <= 0) return;
  // "Accepted" must mean "kept for the retention period": an entry the next retention
  // pass would drop is refused here instead of vanishing later.
  const int64_t oldest = oldest_kept_us(options.arrival_us, options.retention_days);
  for (size_t i = 0; i < out.size(); ++i)
    if (out[i].ts_us < oldest)
      throw EntryError(EntryError::Kind::invalid_field, static_cast<long>(i), "timestamp",
                       "entry " + std::to_string(i) + ": timestamp " +
                           format_timestamp_us(out[i].ts_us) +
                           " is older than the log retention "
                           "window (log.retention_days = " +
                           std::to_string(options.retention_days) + ": entries from " +
                           format_timestamp_us(oldest) + " on are kept)");
}

std::vector<LogEntry> parse_body(std::string_view body, const ParseOptions& options) {
  std::vector<LogEntry> out;
  parse_body(body, options, out);
  return out;
}

}  // namespace ez::logq
