// The usage rollups (sql/005_usage.sql): the one aggregation that both the flusher (per
// batch, in the COPY's transaction) and `ezapi-ctl usage rebuild` (from the raw logs) run,
// generated here so the two can never drift apart; and the latency histogram both the SQL
// and the percentile code read.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ez::rollup {

// Histogram bucket upper bounds in ms (exclusive): bucket i holds latencies with
// kLatencyBounds[i-1] <= ms < kLatencyBounds[i]; the last bucket is open. Must equal the
// bounds of sql/005_usage.sql (lat_h00 .. lat_h25).
inline constexpr std::array<int64_t, 25> kLatencyBounds = {
    5,    10,   25,   50,   75,   100,  150,   200,   300,   400,   500,   750,   1000,
    1500, 2000, 3000, 4000, 5000, 7500, 10000, 15000, 20000, 30000, 60000, 120000};
inline constexpr size_t kLatencyBuckets = kLatencyBounds.size() + 1;

// Bucket of a latency, as PostgreSQL's width_bucket(ms, bounds) computes it.
[[nodiscard]] size_t latency_bucket(int64_t ms);

// Column name of bucket i ("lat_h07").
[[nodiscard]] std::string hist_column(size_t i);

// The p-th percentile (0 < p <= 1) of a histogram, nearest-rank (as percentile_disc):
// the upper bound of the bucket holding the ceil(p*n)-th smallest latency, capped by
// `max_ms` (the open last bucket reports max_ms). nullopt when the histogram is empty.
[[nodiscard]] std::optional<int64_t> percentile_ms(const std::array<int64_t, kLatencyBuckets>& hist,
                                                   double p, std::optional<int64_t> max_ms);

enum class Grain { hour, day };
[[nodiscard]] const char* table_of(Grain g);  // usage_hourly / usage_daily

// INSERT INTO <table> ... SELECT <aggregation> FROM (<source>) src GROUP BY ... ON CONFLICT
// DO UPDATE (adds to the stored counters). `source` must yield the columns ts, master_id,
// key_id, model, provider_id, status_code, prompt_tokens, completion_tokens, total_tokens,
// cost, latency_ms. Groups are written in a fixed order so concurrent writers never deadlock.
[[nodiscard]] std::string rollup_upsert_sql(Grain g, const std::string& source);

// The flusher's statement: both tables from one batch passed as 11 text arrays
// ($1 ts, $2 master_id, $3 key_id, $4 model, $5 provider_id, $6 status_code,
// $7 prompt_tokens, $8 completion_tokens, $9 total_tokens, $10 cost, $11 latency_ms).
[[nodiscard]] const std::string& batch_rollup_sql();

// The rebuild: raw logs with from <= ts < to ($1, $2) into one table.
[[nodiscard]] std::string rebuild_sql(Grain g);

// Every rollup table. The full ones (usage_hourly, usage_daily) keep every dimension;
// the per-master ones (sql/008) keep only master_id, so a query that groups and filters by
// nothing but the master (group_by=master|day|hour, optionally master_id) reads ~50x fewer
// rows. All four are written by the same flusher statement and the same rebuild.
struct RollupTable {
  const char* name;
  Grain grain;
  bool per_master;  // dimensions: master_id only (else master, key, model, provider, class)
};
inline constexpr std::array<RollupTable, 4> kRollupTables = {{
    {"usage_hourly", Grain::hour, false},
    {"usage_daily", Grain::day, false},
    {"usage_master_hourly", Grain::hour, true},
    {"usage_master_daily", Grain::day, true},
}};
[[nodiscard]] const RollupTable& rollup_table(Grain g, bool per_master);
[[nodiscard]] std::string rollup_upsert_sql(const RollupTable& t, const std::string& source);
[[nodiscard]] std::string rebuild_sql(const RollupTable& t);

// The flusher's statement when it folded the batch first (rollup/partials.h): every rollup
// table from partial sums passed as the 16 text arrays of Partials::columns, in that order.
[[nodiscard]] const std::string& partials_rollup_sql();
// One table from `source`, which yields the columns of Partials (ts, master_id, key_id,
// model, provider_id, status_code, lat_bucket, requests, unpriced, prompt_tokens,
// completion_tokens, total_tokens, cost, latency_count, latency_sum, latency_max).
[[nodiscard]] std::string partials_upsert_sql(const RollupTable& t, const std::string& source);

// A PostgreSQL array literal of text elements ("{\"a\",NULL}"), for unnest($n::type[]).
class ArrayLiteral {
 public:
  ArrayLiteral() { text_ = "{"; }
  void add(const std::optional<std::string_view>& v);
  [[nodiscard]] std::string finish() const { return text_ + "}"; }
  void clear() { text_ = "{"; }

 private:
  std::string text_;
};

}  // namespace ez::rollup
