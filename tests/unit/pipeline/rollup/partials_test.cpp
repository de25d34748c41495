#include "rollup/partials.h"

#include <boost/test/unit_test.hpp>

#include "rollup/rollup_sql.h"

using namespace ez::rollup;

BOOST_AUTO_TEST_SUITE(usage_partials)

namespace {

RollupRow row(std::string_view ts, std::optional<std::string_view> latency,
              std::optional<std::string_view> cost, std::string_view status = "200") {
  RollupRow r;
  r.ts = ts;
  r.master_id = "1";
  r.key_id = "2";
  r.model = "gpt-4o";
  r.provider_id = "3";
  r.status_code = status;
  r.prompt_tokens = "800";
  r.completion_tokens = "200";
  r.total_tokens = "1000";
  r.cost = cost;
  r.latency_ms = latency;
  return r;
}

// Column c of partial i.
std::string at(const Partials& p, size_t c, size_t i) {
  const auto& v = p.columns[c][i];
  return v ? *v : "NULL";
}

}  // namespace

BOOST_AUTO_TEST_CASE(decimals_add_exactly) {
  BOOST_TEST(*add_decimals("0", "0.01234") == "0.01234");
  BOOST_TEST(*add_decimals("0.01234", "0.01234") == "0.02468");
  BOOST_TEST(*add_decimals("9.95", "0.05") == "10.00");  // keeps numeric's scale
  BOOST_TEST(*add_decimals("99", "1.5") == "100.5");
  BOOST_TEST(*add_decimals("0.000000000000000001", "0.1") == "0.100000000000000001");
  BOOST_TEST(*add_decimals("12345678901234567890", "1") == "12345678901234567891");
  for (const char* bad : {"", "-1", "1e-5", "1.2.3", "+1", " 1", "."})
    BOOST_TEST(!add_decimals(bad, "1").has_value(), bad);
}

BOOST_AUTO_TEST_CASE(rows_fold_into_one_partial_per_group_and_latency_bucket) {
  const std::vector<RollupRow> rows{
      row("2026-12-02 09:15:00.123456+00", "1234", "0.01234"),
      row("2026-12-02 09:59:59.999999+00", "1300", std::nullopt),      // same hour and bucket
      row("2026-12-02 09:00:00+00", "7", "0.5"),                       // another latency bucket
      row("2026-12-02 10:00:00.000000+00", "1234", "0.01234"),         // the next hour
      row("2026-12-02 09:30:00.000000+00", std::nullopt, "1", "503"),  // no latency, an error
  };
  const auto p = fold(rows);
  BOOST_REQUIRE(p.has_value());
  BOOST_REQUIRE(p->size() == 4u);
  // Partials come out in key order: look the merged one up by its latency bucket.
  size_t merged = p->size();
  for (size_t i = 0; i < p->size(); ++i)
    if (at(*p, 0, i) == "2026-12-02 09:00:00+00" &&
        at(*p, 6, i) == std::to_string(latency_bucket(1234)))
      merged = i;
  BOOST_REQUIRE(merged < p->size());
  BOOST_TEST(at(*p, 7, merged) == "2");         // requests
  BOOST_TEST(at(*p, 8, merged) == "1");         // unpriced
  BOOST_TEST(at(*p, 9, merged) == "1600");      // prompt tokens
  BOOST_TEST(at(*p, 11, merged) == "2000");     // total tokens
  BOOST_TEST(at(*p, 12, merged) == "0.01234");  // cost of the priced row
  BOOST_TEST(at(*p, 13, merged) == "2");        // latency count
  BOOST_TEST(at(*p, 14, merged) == "2534");     // latency sum
  BOOST_TEST(at(*p, 15, merged) == "1300");     // latency max
  size_t requests = 0;
  for (size_t i = 0; i < p->size(); ++i) {
    requests += std::stoul(at(*p, 7, i));
    if (at(*p, 5, i) == "503") {
      BOOST_TEST(at(*p, 6, i) == "NULL");  // no latency: in no histogram bucket
      BOOST_TEST(at(*p, 13, i) == "0");
      BOOST_TEST(at(*p, 15, i) == "NULL");
    }
  }
  BOOST_TEST(requests == rows.size());
}

BOOST_AUTO_TEST_CASE(anything_not_canonical_is_left_to_the_row_by_row_statement) {
  BOOST_TEST(fold({row("2026-12-02 09:15:00+00", "12", "0.5")}).has_value());
  BOOST_TEST(!fold({row("2026-12-02T09:15:00Z", "12", "0.5")}).has_value());
  BOOST_TEST(!fold({row("2026-12-02 09:15:00+01", "12", "0.5")}).has_value());
  BOOST_TEST(!fold({row("2026-12-02 09:15:00+00", "+12", "0.5")}).has_value());
  BOOST_TEST(!fold({row("2026-12-02 09:15:00+00", "12", "1e-3")}).has_value());
  auto r = row("2026-12-02 09:15:00+00", "12", "0.5");
  r.prompt_tokens = "8 ";
  BOOST_TEST(!fold({r}).has_value());
}

BOOST_AUTO_TEST_CASE(the_partials_statement_adds_every_counter) {
  const std::string& sql = partials_rollup_sql();
  BOOST_TEST(sql.find("INSERT INTO usage_hourly") != std::string::npos);
  BOOST_TEST(sql.find("INSERT INTO usage_daily") != std::string::npos);
  // The per-master tables (sql/008) are fed from the same partials.
  BOOST_TEST(sql.find("INSERT INTO usage_master_hourly") != std::string::npos);
  BOOST_TEST(sql.find("INSERT INTO usage_master_daily") != std::string::npos);
  BOOST_TEST(sql.find("$16::bigint[]") != std::string::npos);
  for (size_t i = 0; i < kLatencyBuckets; ++i) {
    const std::string c = hist_column(i);
    BOOST_TEST(sql.find(c + " = u." + c + " + EXCLUDED." + c) != std::string::npos, c);
  }
  // The conflict clause is the one the row-by-row statement and the rebuild use.
  const std::string& rows = batch_rollup_sql();
  const auto tail = rows.substr(rows.rfind(" ON CONFLICT"));
  BOOST_TEST(sql.substr(sql.rfind(" ON CONFLICT")) == tail);
}

BOOST_AUTO_TEST_SUITE_END()
