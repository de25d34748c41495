#include "rollup/rollup_sql.h"

#include <algorithm>
#include <cmath>
#include <string_view>

namespace ez::rollup {

size_t latency_bucket(int64_t ms) {
  return static_cast<size_t>(std::upper_bound(kLatencyBounds.begin(), kLatencyBounds.end(), ms) -
                             kLatencyBounds.begin());
}

std::string hist_column(size_t i) {
  std::string s = "lat_h";
  s += static_cast<char>('0' + i / 10);
  s += static_cast<char>('0' + i % 10);
  return s;
}

std::optional<int64_t> percentile_ms(const std::array<int64_t, kLatencyBuckets>& hist, double p,
                                     std::optional<int64_t> max_ms) {
  int64_t n = 0;
  for (int64_t c : hist) n += c;
  if (n <= 0) return std::nullopt;
  // Nearest rank: the ceil(p*n)-th value, at least the first -- computed exactly as
  // PostgreSQL's percentile_disc does, so the two agree on the same data.
  auto rank = static_cast<int64_t>(std::ceil(p * static_cast<double>(n)));
  rank = std::clamp<int64_t>(rank, 1, n);
  int64_t seen = 0;
  for (size_t i = 0; i < hist.size(); ++i) {
    seen += hist[i];
    if (seen < rank) continue;
    if (i + 1 == hist.size()) return max_ms ? *max_ms : kLatencyBounds.back();
    const int64_t upper = kLatencyBounds[i];
    return max_ms ? std::min(upper, *max_ms) : upper;
  }
  return max_ms;
}

const char* table_of(Grain g) {
  return g == Grain::hour ? "usage_hourly" : "usage_daily";
}

namespace {

std::string bounds_array() {
  std::string s = "ARRAY[";
  for (size_t i = 0; i < kLatencyBounds.size(); ++i) {
    if (i) s += ',';
    s += std::to_string(kLatencyBounds[i]);
  }
  return s + "]::bigint[]";
}

}  // namespace

const RollupTable& rollup_table(Grain g, bool per_master) {
  for (const auto& t : kRollupTables)
    if (t.grain == g && t.per_master == per_master) return t;
  return kRollupTables.front();  // unreachable: the table lists every combination
}

namespace {

// What the raw-rows and the partial-sums statements of one table share: the table, its
// time bin and dimensions, the INSERT head and the ON CONFLICT clause that adds to the
// stored counters.
struct TableShape {
  std::string insert_head;  // INSERT INTO <table> AS u (<columns>) SELECT date_bin(...), <dims>
  std::string tail;         // GROUP BY ... ORDER BY ... ON CONFLICT ... DO UPDATE SET ...
};

TableShape shape(const RollupTable& t) {
  // date_bin, not date_trunc: it does not depend on the session's TimeZone.
  const std::string bin = t.grain == Grain::hour ? "1 hour" : "1 day";
  const std::string dims =
      t.per_master ? "master_id" : "master_id, key_id, model, provider_id, status_class";
  const std::string dim_sel =
      t.per_master
          ? "master_id"
          : "master_id, key_id, model, provider_id, coalesce(status_code / 100, 0)::smallint";
  // Groups are written in a fixed order so concurrent writers never deadlock.
  const std::string groups = t.per_master ? "1, 2" : "1, 2, 3, 4, 5, 6";
  std::string cols = "bucket, " + dims +
                     ", requests, errors, unpriced, prompt_tokens, completion_tokens, "
                     "total_tokens, cost, latency_count, latency_sum, latency_max";
  std::string hist_upd;
  for (size_t i = 0; i < kLatencyBuckets; ++i) {
    const std::string c = hist_column(i);
    cols += ", " + c;
    hist_upd += ", " + c + " = u." + c + " + EXCLUDED." + c;
  }
  TableShape s;
  s.insert_head = "INSERT INTO " + std::string(t.name) + " AS u (" + cols + ") SELECT date_bin('" +
                  bin + "', ts, timestamptz '2000-01-01 00:00:00+00'), " + dim_sel;
  s.tail = " GROUP BY " + groups + " ORDER BY " + groups + " ON CONFLICT (bucket, " + dims +
           ") DO UPDATE SET "
           "requests = u.requests + EXCLUDED.requests, errors = u.errors + EXCLUDED.errors, "
           "unpriced = u.unpriced + EXCLUDED.unpriced, "
           "prompt_tokens = u.prompt_tokens + EXCLUDED.prompt_tokens, "
           "completion_tokens = u.completion_tokens + EXCLUDED.completion_tokens, "
           "total_tokens = u.total_tokens + EXCLUDED.total_tokens, cost = u.cost + EXCLUDED.cost, "
           "latency_count = u.latency_count + EXCLUDED.latency_count, "
           "latency_sum = u.latency_sum + EXCLUDED.latency_sum, "
           "latency_max = greatest(u.latency_max, EXCLUDED.latency_max)" +
           hist_upd;
  return s;
}

}  // namespace

std::string rollup_upsert_sql(const RollupTable& t, const std::string& source) {
  const TableShape s = shape(t);
  std::string hist_sel;
  const std::string wb = "width_bucket(latency_ms, " + bounds_array() + ")";
  for (size_t i = 0; i < kLatencyBuckets; ++i)
    hist_sel += ", count(*) FILTER (WHERE " + wb + " = " + std::to_string(i) + ")";
  return s.insert_head +
         ", count(*), "
         "count(*) FILTER (WHERE status_code >= 400), count(*) FILTER (WHERE cost IS NULL), "
         "coalesce(sum(prompt_tokens), 0), coalesce(sum(completion_tokens), 0), "
         "coalesce(sum(total_tokens), 0), coalesce(sum(cost), 0), count(latency_ms), "
         "coalesce(sum(latency_ms), 0), max(latency_ms)" +
         hist_sel + " FROM (" + source + ") src" + s.tail;
}

std::string partials_upsert_sql(const RollupTable& t, const std::string& source) {
  const TableShape s = shape(t);
  std::string hist;
  for (size_t i = 0; i < kLatencyBuckets; ++i)
    hist += ", coalesce(sum(requests) FILTER (WHERE lat_bucket = " + std::to_string(i) +
            "), 0)::bigint";
  // The same aggregates as rollup_upsert_sql, over partial sums instead of rows: counts and
  // sums add up, maxima take the max, and a partial's status code and latency bucket are
  // those of every row in it (so a per-master table may add partials of many keys).
  return s.insert_head +
         ", sum(requests)::bigint, "
         "coalesce(sum(requests) FILTER (WHERE status_code >= 400), 0)::bigint, "
         "sum(unpriced)::bigint, sum(prompt_tokens), sum(completion_tokens), sum(total_tokens), "
         "sum(cost), sum(latency_count)::bigint, sum(latency_sum), max(latency_max)" +
         hist + " FROM (" + source + ") src" + s.tail;
}

const std::string& partials_rollup_sql() {
  static const std::string sql = [] {
    const std::string source = "SELECT * FROM partials";
    // Data-modifying CTEs all run, whether or not the main statement reads them.
    std::string s =
        "WITH partials AS MATERIALIZED (SELECT * FROM unnest($1::timestamptz[], "
        "$2::bigint[], $3::bigint[], $4::text[], $5::bigint[], $6::smallint[], $7::int[], "
        "$8::bigint[], $9::bigint[], $10::numeric[], $11::numeric[], $12::numeric[], "
        "$13::numeric[], $14::bigint[], $15::numeric[], $16::bigint[]) AS p(ts, master_id, "
        "key_id, model, provider_id, status_code, lat_bucket, requests, unpriced, "
        "prompt_tokens, completion_tokens, total_tokens, cost, latency_count, latency_sum, "
        "latency_max))";
    for (size_t i = 0; i + 1 < kRollupTables.size(); ++i)
      s +=
          ", r" + std::to_string(i) + " AS (" + partials_upsert_sql(kRollupTables[i], source) + ")";
    return s + " " + partials_upsert_sql(kRollupTables.back(), source);
  }();
  return sql;
}

std::string rollup_upsert_sql(Grain g, const std::string& source) {
  return rollup_upsert_sql(rollup_table(g, false), source);
}

const std::string& batch_rollup_sql() {
  static const std::string sql = [] {
    const std::string source = "SELECT * FROM batch";
    // Data-modifying CTEs all run, whether or not the main statement reads them.
    std::string s =
        "WITH batch AS MATERIALIZED (SELECT * FROM unnest($1::timestamptz[], $2::bigint[], "
        "$3::bigint[], $4::text[], $5::bigint[], $6::smallint[], $7::bigint[], $8::bigint[], "
        "$9::bigint[], $10::numeric[], $11::bigint[]) AS b(ts, master_id, key_id, model, "
        "provider_id, status_code, prompt_tokens, completion_tokens, total_tokens, cost, "
        "latency_ms))";
    for (size_t i = 0; i + 1 < kRollupTables.size(); ++i)
      s += ", r" + std::to_string(i) + " AS (" + rollup_upsert_sql(kRollupTables[i], source) + ")";
    return s + " " + rollup_upsert_sql(kRollupTables.back(), source);
  }();
  return sql;
}

std::string rebuild_sql(const RollupTable& t) {
  return rollup_upsert_sql(
      t,
      "SELECT ts, master_id, key_id, model, provider_id, status_code, prompt_tokens, "
      "completion_tokens, total_tokens, cost, latency_ms FROM logs WHERE ts >= $1 AND ts < $2");
}

std::string rebuild_sql(Grain g) {
  return rebuild_sql(rollup_table(g, false));
}

void ArrayLiteral::add(const std::optional<std::string_view>& v) {
  if (text_.size() > 1) text_ += ',';
  if (!v) {
    text_ += "NULL";
    return;
  }
  text_ += '"';
  for (char c : *v) {
    if (c == '"' || c == '\\') text_ += '\\';
    text_ += c;
  }
  text_ += '"';
}

}  // namespace ez::rollup
