#include "usage/query.h"

#include <boost/test/unit_test.hpp>

#include "support/api_test.h"

using ez::http::ErrorCode;
using ez::test::expect_error;
using namespace ez::usage;

namespace {

// The decoded query string of a request: what the service reads.
ez::QueryParams req(std::multimap<std::string, std::string> q) {
  return q;
}

constexpr int64_t kNow = 1767268800LL * 1000000 + 1234567;  // 2026-01-01T12:00:00.1234567Z

Scope admin(bool is_export = false, int max_days = 400) {
  return {std::nullopt, is_export, max_days, kNow};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(usage_query)

BOOST_AUTO_TEST_CASE(times_are_rfc3339_or_unix_seconds) {
  BOOST_TEST(*parse_time_param("1767225600") == 1767225600LL * 1000000);
  BOOST_TEST(*parse_time_param("2026-01-01T00:00:00Z") == 1767225600LL * 1000000);
  BOOST_TEST(*parse_time_param("2026-01-01T01:00:00+01:00") == 1767225600LL * 1000000);
  BOOST_TEST(*parse_time_param("2026-01-01T00:00:00.5Z") == 1767225600LL * 1000000 + 500000);
  for (const char* bad : {"", "-1", "1.5", "2026-01-01", "yesterday", "2026-13-01T00:00:00Z",
                          "99999999999999999999", "253402300800"})
    BOOST_TEST(!parse_time_param(bad), bad);
}

BOOST_AUTO_TEST_CASE(usage_defaults_to_the_last_day_by_master_widened_to_hours) {
  const auto q = parse_usage_query(req({}), admin());
  BOOST_TEST(q.to_us == ceil_to(kNow, kHourUs));
  BOOST_TEST(q.from_us == floor_to(kNow - kDayUs, kHourUs));
  BOOST_TEST((q.group_by == GroupBy::master));
  BOOST_TEST(!q.master_id);
}

BOOST_AUTO_TEST_CASE(usage_filters_and_group_by) {
  const auto q = parse_usage_query(req({{"from", "2026-01-01T00:30:00Z"},
                                        {"to", "1767232800"},
                                        {"group_by", "model"},
                                        {"master_id", "7"},
                                        {"key_id", "9"},
                                        {"model", "gpt-4o"},
                                        {"provider_id", "3"}}),
                                   admin());
  BOOST_TEST(q.from_us == 1767225600LL * 1000000);  // floored to the hour
  BOOST_TEST(q.to_us == 1767232800LL * 1000000);
  BOOST_TEST((q.group_by == GroupBy::model));
  BOOST_TEST(*q.master_id == 7);
  BOOST_TEST(*q.key_id == 9);
  BOOST_TEST(*q.model == "gpt-4o");
  BOOST_TEST(*q.provider_id == 3);
  for (const char* g : {"master", "key", "model", "provider", "day", "hour"})
    BOOST_TEST(group_by_name(parse_usage_query(req({{"group_by", g}}), admin()).group_by) ==
               std::string(g));
}

BOOST_AUTO_TEST_CASE(only_master_and_time_queries_read_the_per_master_rollups) {
  auto q = [](std::multimap<std::string, std::string> p) {
    return reads_master_rollups(parse_usage_query(req(std::move(p)), admin()));
  };
  BOOST_TEST(q({}));
  BOOST_TEST(q({{"group_by", "master"}, {"master_id", "3"}}));
  BOOST_TEST(q({{"group_by", "day"}}));
  BOOST_TEST(q({{"group_by", "hour"}, {"master_id", "3"}}));
  // Any other dimension, grouped or filtered, needs the full rollups.
  BOOST_TEST(!q({{"group_by", "key"}}));
  BOOST_TEST(!q({{"group_by", "model"}}));
  BOOST_TEST(!q({{"group_by", "provider"}}));
  BOOST_TEST(!q({{"group_by", "master"}, {"key_id", "1"}}));
  BOOST_TEST(!q({{"group_by", "day"}, {"model", "m"}}));
  BOOST_TEST(!q({{"group_by", "hour"}, {"provider_id", "2"}}));
}

BOOST_AUTO_TEST_CASE(exports_stop_before_the_request_timeout) {
  BOOST_TEST(export_time_budget_ms(30000) == 28000);
  BOOST_TEST(export_time_budget_ms(3000) == 1500);  // a short timeout keeps half of it
  BOOST_TEST(export_time_budget_ms(1000) == 500);
}

BOOST_AUTO_TEST_CASE(usage_errors_name_the_parameter) {
  auto bad = [](std::multimap<std::string, std::string> q, const std::string& field,
                Scope s = admin()) {
    expect_error([&] { (void)parse_usage_query(req(q), s); }, ErrorCode::bad_request, field);
  };
  bad({{"groupby", "key"}}, "groupby");  // unknown parameter
  bad({{"naem", "x"}}, "naem");
  bad({{"format", "csv"}}, "format");  // only on exports
  bad({{"group_by", "week"}}, "group_by");
  bad({{"from", "soon"}}, "from");
  bad({{"to", "2026-02-30T00:00:00Z"}}, "to");
  bad({{"from", "1767232800"}, {"to", "1767225600"}}, "from");  // reversed
  bad({{"master_id", "-1"}}, "master_id");
  bad({{"key_id", "x"}}, "key_id");
  bad({{"model", ""}}, "model");
  bad({{"key_id", "1"}, {"key_id", "2"}}, "key_id");  // twice
  // 401 days > 400
  bad({{"from", "2025-01-01T00:00:00Z"}, {"to", "2026-02-06T00:00:00Z"}}, "from");
  // the limit is the configured one
  bad({{"from", "2025-12-01T00:00:00Z"}, {"to", "2026-01-01T00:00:00Z"}}, "from", admin(false, 30));
  BOOST_CHECK_NO_THROW((void)parse_usage_query(
      req({{"from", "2025-12-02T00:00:00Z"}, {"to", "2026-01-01T00:00:00Z"}}), admin(false, 30)));
}

BOOST_AUTO_TEST_CASE(a_master_sees_only_itself) {
  const Scope me{int64_t{42}, false, 400, kNow};
  const auto q = parse_usage_query(req({}), me);
  BOOST_TEST(*q.master_id == 42);
  BOOST_TEST((q.group_by == GroupBy::key));
  // Naming another master is not a filter it may use.
  expect_error(
      [&] {
        (void)parse_usage_query(req({{"master_id", "7"}}), me);
      },
      ErrorCode::bad_request, "master_id");
  const auto l = parse_logs_query(req({{"key_id", "5"}}), me);
  BOOST_TEST(*l.master_id == 42);
  expect_error(
      [&] {
        (void)parse_logs_query(req({{"master_id", "42"}}), me);
      },
      ErrorCode::bad_request, "master_id");
}

BOOST_AUTO_TEST_CASE(logs_query_parsing) {
  auto q = parse_logs_query(req({{"from", "2026-01-01T00:00:00.25Z"},
                                 {"to", "2026-01-02T00:00:00Z"},
                                 {"status", "5xx"},
                                 {"request_id", "r-1"},
                                 {"error_type", "timeout"},
                                 {"limit", "500"}}),
                            admin(false, 31));
  BOOST_TEST(q.from_us == 1767225600LL * 1000000 + 250000);  // exact, not widened
  BOOST_TEST(*q.status_class == 5);
  BOOST_TEST(!q.status);
  BOOST_TEST(*q.request_id == "r-1");
  BOOST_TEST(q.limit == 500);
  q = parse_logs_query(req({{"status", "429"}}), admin(false, 31));
  BOOST_TEST(*q.status == 429);
  BOOST_TEST(q.limit == kDefaultLogsLimit);

  auto bad = [](std::multimap<std::string, std::string> qs, const std::string& field,
                bool is_export = false) {
    expect_error([&] { (void)parse_logs_query(req(qs), admin(is_export, 31)); },
                 ErrorCode::bad_request, field);
  };
  bad({{"status", "600"}}, "status");
  bad({{"status", "6xx"}}, "status");
  bad({{"status", "40"}}, "status");
  bad({{"limit", "0"}}, "limit");
  bad({{"limit", "501"}}, "limit");
  bad({{"cursor", "abc"}}, "cursor");
  bad({{"group_by", "key"}}, "group_by");
  bad({{"from", "2025-11-30T00:00:00Z"}, {"to", "2026-01-01T00:00:00Z"}}, "from");  // 32 days
  bad({{"format", "xml"}}, "format", true);
  bad({{"cursor", "1_2"}}, "cursor", true);  // exports have no pages
  BOOST_TEST((parse_logs_query(req({{"format", "ndjson"}}), admin(true)).format == Format::ndjson));
  BOOST_TEST((parse_logs_query(req({}), admin(true)).format == Format::csv));
}

BOOST_AUTO_TEST_CASE(log_cursor_round_trip) {
  const LogCursor c{1767225600123456, 987654321};
  const auto back = decode_log_cursor(encode_log_cursor(c));
  BOOST_REQUIRE(back);
  BOOST_TEST(back->ts_us == c.ts_us);
  BOOST_TEST(back->id == c.id);
  for (const char* bad : {"", "_", "1_", "_1", "1-2", "a_1", "1_-2", "01_2", "1_2_3"})
    BOOST_TEST(!decode_log_cursor(bad), bad);
}

// The last instant the API takes is 9999-12-31T23:59:59Z; a usage window is widened to whole
// hours, so a `to` whose hour ends past it (year 10000, printed as 0000 and refused by
// PostgreSQL) is a 400 naming `to`, on every usage route and the CLI alike.
BOOST_AUTO_TEST_CASE(usage_windows_never_leave_the_years_1970_to_9999) {
  for (const Scope& scope : {admin(), admin(true), Scope{7, false, 400, kNow}})
    for (const char* to : {"253402300799", "9999-12-31T23:30:00Z", "9999-12-31T23:00:01Z"})
      expect_error(
          [&] {
            (void)parse_usage_query(req({{"to", to}}), scope);
          },
          ErrorCode::bad_request, "to");
  const auto last = parse_usage_query(req({{"to", "9999-12-31T23:00:00Z"}}), admin());
  BOOST_TEST(last.to_us == 253402297200LL * 1000000);
  // A `to` at the epoch leaves no earlier day to default `from` to.
  expect_error(
      [&] {
        (void)parse_usage_query(req({{"to", "0"}}), admin());
      },
      ErrorCode::bad_request, "from");
  const auto early = parse_usage_query(req({{"to", "3600"}}), admin());
  BOOST_TEST(early.from_us == 0);
}

BOOST_AUTO_TEST_CASE(log_cursors_stay_in_the_years_1970_to_9999) {
  BOOST_TEST(decode_log_cursor("253402300799999999_1").has_value());
  for (const char* bad : {"253402300800000000_1", "999999999999999999_1", "9223372036854775807_1",
                          "1_9223372036854775808"})
    BOOST_TEST(!decode_log_cursor(bad), bad);
  expect_error(
      [&] {
        (void)parse_logs_query(req({{"cursor", "253402300800000000_1"}}), admin());
      },
      ErrorCode::bad_request, "cursor");
}

BOOST_AUTO_TEST_CASE(hour_and_day_boundaries) {
  BOOST_TEST(floor_to(kHourUs + 1, kHourUs) == kHourUs);
  BOOST_TEST(ceil_to(kHourUs + 1, kHourUs) == 2 * kHourUs);
  BOOST_TEST(ceil_to(kHourUs, kHourUs) == kHourUs);
  BOOST_TEST(floor_to(-1, kDayUs) == -kDayUs);
}

BOOST_AUTO_TEST_CASE(csv_fields_are_quoted_and_defused) {
  BOOST_TEST(csv_field("plain") == "plain");
  BOOST_TEST(csv_field("a,b") == "\"a,b\"");
  BOOST_TEST(csv_field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  BOOST_TEST(csv_field("line\nbreak") == "\"line\nbreak\"");
  BOOST_TEST(csv_field("=cmd()") == "\"'=cmd()\"");
  BOOST_TEST(csv_field("#x") == "\"#x\"");
}

BOOST_AUTO_TEST_SUITE_END()
