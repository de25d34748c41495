// The flusher's half of the rollups, done before PostgreSQL sees them: a batch's rows folded
// into partial sums per (hour, master, key, model, provider, status code, latency bucket).
//
// Why: the per-batch rollup statement parsed 11 text arrays of one element per row (a 5000-row
// batch: 55k array elements, ~25 ms of the ~70 ms statement) and aggregated them, a third of
// the flusher's transaction time. Folded first, the arrays hold one element per partial (a
// handful for a gateway's traffic). PostgreSQL still does the GROUP BY and the upsert
// (rollup/rollup_sql.h, partials_rollup_sql), so splitting one group into several partials is
// harmless; what folding must get exactly right is only the partial sums, and it folds a
// batch only when every value is in the canonical form the queue's encoder writes (else
// fold() returns nullopt and the caller sends the rows one by one, as before).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ez::rollup {

// One written row's rollup inputs (views into the queue entry; nullopt = NULL).
struct RollupRow {
  std::optional<std::string_view> ts;  // "YYYY-MM-DD HH:MM:SS[.ffffff]+00" (UTC)
  std::optional<std::string_view> master_id, key_id, model, provider_id, status_code;
  std::optional<std::string_view> prompt_tokens, completion_tokens, total_tokens;
  std::optional<std::string_view> cost;  // a plain non-negative decimal ("0.01234")
  std::optional<std::string_view> latency_ms;
};

// Column-wise, one element per partial, in the order of partials_rollup_sql's parameters.
struct Partials {
  static constexpr size_t kColumns = 16;
  // ts (start of the hour), master_id, key_id, model, provider_id, status_code, lat_bucket,
  // requests, unpriced, prompt_tokens, completion_tokens, total_tokens, cost, latency_count,
  // latency_sum, latency_max
  std::array<std::vector<std::optional<std::string>>, kColumns> columns;
  [[nodiscard]] size_t size() const { return columns[0].size(); }
};

// nullopt when some value is not in the form folding relies on (a timestamp not in UTC
// canonical form, an integer with a sign or spaces, a cost in exponent form, ...).
[[nodiscard]] std::optional<Partials> fold(const std::vector<RollupRow>& rows);

// a + b for plain non-negative decimals ("12", "0.5", "3.250"), exact, keeping the larger
// number of fraction digits (as numeric's sum does); nullopt if either is not of that form.
[[nodiscard]] std::optional<std::string> add_decimals(std::string_view a, std::string_view b);

}  // namespace ez::rollup
