#include <boost/test/unit_test.hpp>
#include <fstream>
#include <sstream>

#include "rollup/decimal.h"
#include "rollup/ingest.h"
#include "rollup/rollup_sql.h"

using namespace ez::rollup;

BOOST_AUTO_TEST_SUITE(usage_rollup)

BOOST_AUTO_TEST_CASE(latency_buckets_follow_width_bucket) {
  BOOST_TEST(latency_bucket(0) == 0u);
  BOOST_TEST(latency_bucket(4) == 0u);
  BOOST_TEST(latency_bucket(5) == 1u);  // a bound belongs to the bucket above it
  BOOST_TEST(latency_bucket(999) == 12u);
  BOOST_TEST(latency_bucket(1000) == 13u);
  BOOST_TEST(latency_bucket(120000) == kLatencyBuckets - 1);
  BOOST_TEST(latency_bucket(INT64_MAX) == kLatencyBuckets - 1);
  BOOST_TEST(hist_column(7) == "lat_h07");
  BOOST_TEST(hist_column(25) == "lat_h25");
}

// The migration's histogram columns and comment must match kLatencyBounds.
BOOST_AUTO_TEST_CASE(migration_has_the_same_buckets) {
  std::ifstream in(std::string(EZ_SOURCE_DIR) + "/sql/005_usage.sql");
  BOOST_REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  const std::string sql = text.str();
  for (size_t i = 0; i < kLatencyBuckets; ++i)
    BOOST_TEST(sql.find(hist_column(i) + " ") != std::string::npos, hist_column(i));
  BOOST_TEST(sql.find(hist_column(kLatencyBuckets) + " ") == std::string::npos);
  std::string bounds = "[";
  for (size_t i = 0; i < kLatencyBounds.size(); ++i)
    bounds += (i ? ", " : "") + std::to_string(kLatencyBounds[i]);
  BOOST_TEST(sql.find(bounds + "]") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(percentiles_are_nearest_rank_bucket_bounds) {
  std::array<int64_t, kLatencyBuckets> h{};
  BOOST_TEST(!percentile_ms(h, 0.5, std::nullopt));
  // 100 requests: 50 in [50,75), 45 in [100,150), 5 in [1000,1500); max 1200.
  h[latency_bucket(60)] = 50;
  h[latency_bucket(120)] = 45;
  h[latency_bucket(1100)] = 5;
  BOOST_TEST(*percentile_ms(h, 0.50, 1200) == 75);   // the 50th value is in [50,75)
  BOOST_TEST(*percentile_ms(h, 0.51, 1200) == 150);  // the 51st is not
  BOOST_TEST(*percentile_ms(h, 0.95, 1200) == 150);
  BOOST_TEST(*percentile_ms(h, 0.99, 1200) == 1200);  // capped by the max seen
  // The open last bucket reports the max.
  std::array<int64_t, kLatencyBuckets> slow{};
  slow[kLatencyBuckets - 1] = 3;
  BOOST_TEST(*percentile_ms(slow, 0.5, 500000) == 500000);
  // One request: every percentile is its bucket.
  std::array<int64_t, kLatencyBuckets> one{};
  one[latency_bucket(7)] = 1;
  BOOST_TEST(*percentile_ms(one, 0.01, 7) == 7);
  BOOST_TEST(*percentile_ms(one, 0.99, 7) == 7);
}

BOOST_AUTO_TEST_CASE(rollup_statement_adds_every_counter) {
  const std::string& sql = batch_rollup_sql();
  BOOST_TEST(sql.find("INSERT INTO usage_hourly") != std::string::npos);
  BOOST_TEST(sql.find("INSERT INTO usage_daily") != std::string::npos);
  for (const char* c : {"requests", "errors", "unpriced", "prompt_tokens", "completion_tokens",
                        "total_tokens", "cost", "latency_count", "latency_sum"})
    BOOST_TEST(sql.find(std::string(c) + " = u." + c + " + EXCLUDED." + c) != std::string::npos, c);
  for (size_t i = 0; i < kLatencyBuckets; ++i) {
    const std::string c = hist_column(i);
    BOOST_TEST(sql.find(c + " = u." + c + " + EXCLUDED." + c) != std::string::npos, c);
  }
  // The per-master rollups (sql/008) are written by the same statement, keyed by master only.
  BOOST_TEST(sql.find("INSERT INTO usage_master_hourly") != std::string::npos);
  BOOST_TEST(sql.find("INSERT INTO usage_master_daily") != std::string::npos);
  BOOST_TEST(sql.find("ON CONFLICT (bucket, master_id) DO UPDATE") != std::string::npos);
  for (const auto& t : kRollupTables) {
    const std::string r = rebuild_sql(t);
    BOOST_TEST(r.find(std::string("INSERT INTO ") + t.name + " ") == 0u, t.name);
    BOOST_TEST(sql.find(r.substr(0, r.find(" FROM ("))) != std::string::npos, t.name);
  }
  // The rebuild aggregates the raw logs with the same expressions.
  const std::string r = rebuild_sql(Grain::day);
  BOOST_TEST(r.find("FROM logs WHERE ts >= $1 AND ts < $2") != std::string::npos);
  const auto agg = r.substr(0, r.find(" FROM ("));
  BOOST_TEST(sql.find(agg.substr(agg.find("SELECT"))) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(array_literals_quote_everything) {
  ArrayLiteral a;
  BOOST_TEST(a.finish() == "{}");
  a.add(std::string_view("plain"));
  a.add(std::nullopt);
  a.add(std::string_view("q\"uo\\te, {x}"));
  a.add(std::string_view("NULL"));
  BOOST_TEST(a.finish() == R"({"plain",NULL,"q\"uo\\te, {x}","NULL"})");
}

BOOST_AUTO_TEST_CASE(decimals_are_normalized_without_binary_fractions) {
  BOOST_TEST(*normalize_decimal("2.5e-06") == "0.0000025");
  BOOST_TEST(*normalize_decimal("2.5E-6") == "0.0000025");
  BOOST_TEST(*normalize_decimal("007.50") == "7.5");
  BOOST_TEST(*normalize_decimal("1e3") == "1000");
  BOOST_TEST(*normalize_decimal("+0.000") == "0");
  BOOST_TEST(*normalize_decimal(".5") == "0.5");
  BOOST_TEST(*normalize_decimal("15.") == "15");
  BOOST_TEST(*normalize_decimal("0.000000000000000001") == "0.000000000000000001");
  for (const char* bad : {"", "-1", "1e", "e5", "1.2.3", "nan", "inf", "0x10", "1 ", " 1",
                          "0.0000000000000000001", "1e12", "1e99999"})
    BOOST_TEST(!normalize_decimal(bad), bad);
  BOOST_TEST(shortest(0.0000025) == "2.5e-06");
  BOOST_TEST(shortest(0.1) == "0.1");
  BOOST_TEST(*normalize_decimal(shortest(2.5 / 1000000)) == "0.0000025");
}

BOOST_AUTO_TEST_CASE(cache_read_tokens_from_extra) {
  BOOST_TEST(*cache_read_tokens(R"({"cache_read_tokens":120,"x":1})") == 120);
  BOOST_TEST(!cache_read_tokens(R"({"x":1})"));
  BOOST_TEST(!cache_read_tokens(R"({"cache_read_tokens":-1})"));
  BOOST_TEST(!cache_read_tokens(R"({"cache_read_tokens":"12"})"));
  BOOST_TEST(!cache_read_tokens(R"({"cache_read_tokens":1.5})"));
  BOOST_TEST(!cache_read_tokens(R"({"cache_read_tokens":99999999999999999999})"));
  BOOST_TEST(!cache_read_tokens(R"({"cache_read_tokens":)"));
}

BOOST_AUTO_TEST_SUITE_END()
