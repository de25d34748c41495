#include "api/usage_view.h"

#include <json/reader.h>

#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <pqxx/except>
#include <sstream>
#include <stdexcept>

#include "http/response.h"

using namespace ez;
using usage::GroupBy;

namespace {

usage::UsageMetrics metrics() {
  usage::UsageMetrics m;
  m.requests = 10;
  m.errors = 2;
  m.unpriced = 1;
  m.prompt_tokens = "1000";
  m.completion_tokens = "500";
  m.total_tokens = "1500";
  m.cost = "0.0000025";
  m.latency_max = 130;
  m.hist[rollup::latency_bucket(60)] = 6;
  m.hist[rollup::latency_bucket(120)] = 4;
  return m;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(api_usage_view)

// The shape the web console reads: keep it.
BOOST_AUTO_TEST_CASE(usage_json_shape) {
  usage::UsageResult r;
  r.rows.push_back({std::string("12"), metrics()});
  r.rows.push_back({std::nullopt, metrics()});
  r.totals = metrics();
  r.totals.cost.reset();
  usage::UsageQuery q;
  q.from_us = 1767225600LL * 1000000;
  q.to_us = q.from_us + usage::kDayUs;
  q.group_by = GroupBy::master;
  const Json::Value j = api::usage_json(r, q);
  BOOST_TEST(j["from"].asString() == "2026-01-01T00:00:00Z");
  BOOST_TEST(j["to"].asString() == "2026-01-02T00:00:00Z");
  BOOST_TEST(j["group_by"].asString() == "master");
  BOOST_REQUIRE(j["rows"].size() == 2u);
  const Json::Value& row = j["rows"][0];
  BOOST_TEST(row["group"].asString() == "12");
  BOOST_TEST(row["master_id"].asInt64() == 12);
  BOOST_TEST(row["requests"].asInt64() == 10);
  BOOST_TEST(row["errors"].asInt64() == 2);
  BOOST_TEST(row["prompt_tokens"].asInt64() == 1000);
  BOOST_TEST(row["completion_tokens"].asInt64() == 500);
  BOOST_TEST(row["total_tokens"].asInt64() == 1500);
  BOOST_TEST(row["unpriced_requests"].asInt64() == 1);
  BOOST_TEST(row["latency_p50_ms"].asInt64() == 75);
  BOOST_TEST(row["latency_p95_ms"].asInt64() == 130);
  BOOST_TEST(row["latency_p99_ms"].asInt64() == 130);
  BOOST_TEST(j["rows"][1]["group"].asString() == "");
  BOOST_TEST(j["rows"][1]["master_id"].isNull());
  BOOST_TEST(j["totals"]["cost"].isNull());
  BOOST_TEST(!j["totals"].isMember("group"));
  // Decimal costs print as the decimal, not as a binary fraction.
  const std::string text = http::to_json(j);
  BOOST_TEST(text.find("\"cost\":2.5e-06") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(typed_dimension_fields) {
  usage::UsageRow row{std::string("1767225600000000"), metrics()};
  auto j = api::usage_row_json(row, GroupBy::day);
  BOOST_TEST(j["bucket"].asString() == "2026-01-01T00:00:00Z");
  BOOST_TEST(j["group"].asString() == "2026-01-01T00:00:00Z");
  j = api::usage_row_json(row, GroupBy::hour);
  BOOST_TEST(j["bucket"].asString() == "2026-01-01T00:00:00Z");
  j = api::usage_row_json({std::string("gpt-4o"), metrics()}, GroupBy::model);
  BOOST_TEST(j["model"].asString() == "gpt-4o");
  j = api::usage_row_json({std::string("5"), metrics()}, GroupBy::key);
  BOOST_TEST(j["key_id"].asInt64() == 5);
  j = api::usage_row_json({std::string("6"), metrics()}, GroupBy::provider);
  BOOST_TEST(j["provider_id"].asInt64() == 6);
  // Token sums past int64 stay numbers a client reads as int64: the largest one.
  auto m = metrics();
  m.total_tokens = "99999999999999999999";
  BOOST_TEST(api::usage_metrics_json(m)["total_tokens"].asInt64() == INT64_MAX);
}

BOOST_AUTO_TEST_CASE(key_rows_carry_the_quota) {
  usage::UsageRow row{std::string("5"), metrics()};
  row.quota = usage::KeyQuota{1000, 250, false};
  auto j = api::usage_row_json(row, GroupBy::key);
  BOOST_TEST(j["quota"]["unlimited"].asBool() == false);
  BOOST_TEST(j["quota"]["limit"].asInt64() == 1000);
  BOOST_TEST(j["quota"]["used"].asInt64() == 250);
  BOOST_TEST(j["quota"]["remaining"].asInt64() == 750);
  // Used up past the limit: nothing left, not a negative amount.
  row.quota = usage::KeyQuota{100, 250, false};
  BOOST_TEST(api::usage_row_json(row, GroupBy::key)["quota"]["remaining"].asInt64() == 0);
  // Unlimited: the limit means nothing, so nothing is "remaining".
  row.quota = usage::KeyQuota{0, 42, true};
  j = api::usage_row_json(row, GroupBy::key);
  BOOST_TEST(j["quota"]["unlimited"].asBool());
  BOOST_TEST(j["quota"]["used"].asInt64() == 42);
  BOOST_TEST(j["quota"]["remaining"].isNull());
  // A key that is gone: null. Other groupings have no quota field.
  row.quota.reset();
  BOOST_TEST(api::usage_row_json(row, GroupBy::key)["quota"].isNull());
  BOOST_TEST(api::usage_row_json(row, GroupBy::key).isMember("quota"));
  BOOST_TEST(!api::usage_row_json(row, GroupBy::master).isMember("quota"));
}

// A Go client decodes the sums into int64 and float64: a sum beyond them (rows stored before
// ingest had ceilings) prints as the largest value it can read, never as 9223372036854775808
// (2^63, read back as a double) or 1e+9999 (an infinite double).
BOOST_AUTO_TEST_CASE(sums_beyond_int64_or_double_print_as_readable_numbers) {
  usage::UsageMetrics m = metrics();
  m.total_tokens = "9223372036854776307";
  m.prompt_tokens = "99999999999999999999999";
  m.cost = "3.4e308";
  const std::string text = http::to_json(api::usage_metrics_json(m));
  BOOST_TEST(text.find("\"total_tokens\":9223372036854775807") != std::string::npos, text);
  BOOST_TEST(text.find("\"prompt_tokens\":9223372036854775807") != std::string::npos, text);
  BOOST_TEST(text.find("e+9999") == std::string::npos, text);
  BOOST_TEST(text.find("\"cost\":1.7976931348623157e+308") != std::string::npos, text);
}

// A lost database mid-export ends the body with the documented `unavailable` code (what a
// 503 says before the headers), whichever way libpqxx reports the loss.
BOOST_AUTO_TEST_CASE(an_export_that_loses_its_database_ends_unavailable) {
  for (const std::exception_ptr& lost :
       {std::make_exception_ptr(pqxx::broken_connection("server closed the connection")),
        std::make_exception_ptr(pqxx::sql_error(
            "terminating connection due to administrator command", "FETCH 1000", "57P01"))}) {
    const api::ExportFailure f = api::export_failure(usage::Format::ndjson, lost);
    BOOST_TEST(f.session_lost);
    BOOST_TEST(f.line.find("\"code\":\"unavailable\"") != std::string::npos, f.line);
  }
  const api::ExportFailure bug =
      api::export_failure(usage::Format::csv, std::make_exception_ptr(std::runtime_error("x")));
  BOOST_TEST(!bug.session_lost);
  BOOST_TEST(bug.line.rfind("#error,internal,", 0) == 0, bug.line);
}

BOOST_AUTO_TEST_CASE(csv_and_error_lines) {
  BOOST_TEST(api::usage_csv_header(GroupBy::model).rfind("group,model,requests,", 0) == 0);
  const std::string line = api::usage_csv_line({std::string("a,b"), metrics()}, GroupBy::model);
  BOOST_TEST(line == "\"a,b\",\"a,b\",10,2,1000,500,1500,0.0000025,1,75,130,130\r\n");
  const std::string nd = api::export_error_line(usage::Format::ndjson, "export_limit", "stop");
  BOOST_TEST(nd == "{\"code\":\"export_limit\",\"error\":\"stop\"}\n");
  BOOST_TEST(api::export_error_line(usage::Format::csv, "export_limit", "a, b") ==
             "#error,export_limit,\"a, b\"\r\n");
}

BOOST_AUTO_TEST_CASE(log_rows_as_json_and_csv) {
  usage::LogCells cells(usage::log_columns().size());
  cells[0] = "77";                // id
  cells[1] = "1767225600500000";  // ts
  cells[2] = "1767225600600000";  // received_at
  cells[3] = "req,1";             // request_id
  cells[18] = "0.0000025";        // cost
  cells[20] = "t";                // stream
  cells[23] = R"({"k":[1,2]})";   // extra
  const Json::Value j = usage::log_json(cells);
  BOOST_TEST(j["id"].asInt64() == 77);
  BOOST_TEST(j["ts"].asString() == "2026-01-01T00:00:00.500000Z");
  BOOST_TEST(j["request_id"].asString() == "req,1");
  BOOST_TEST(j["master_id"].isNull());
  BOOST_TEST(j["stream"].asBool());
  BOOST_TEST(j["extra"]["k"][1].asInt() == 2);
  BOOST_TEST(http::to_json(j).find("\"cost\":2.5e-06") != std::string::npos);
  const std::string line = api::logs_csv_line(cells);
  BOOST_TEST(
      line.rfind("77,2026-01-01T00:00:00.500000Z,2026-01-01T00:00:00.600000Z,\"req,1\",", 0) == 0,
      line);
  BOOST_TEST(api::logs_csv_header().rfind("id,ts,received_at,request_id,", 0) == 0);
}

// The export's NDJSON writer says the same as usage::log_json (what GET /admin/logs answers).
BOOST_AUTO_TEST_CASE(ndjson_export_lines_equal_the_json_answer) {
  usage::LogCells cells(usage::log_columns().size());
  cells[0] = "77";
  cells[1] = "1767225600500000";
  cells[2] = "1767225600000000";
  cells[3] = "q\"uo\\te\n\ttab\x01\x1f \xc3\xa9\xe2\x80\xae/</";  // escapes, UTF-8, RTL mark
  cells[4] = "5";
  cells[12] = "429";
  cells[18] = "0.0000025";
  cells[20] = "f";
  cells[22] = "";  // error_message: empty, not null
  cells[23] = R"({"k": [1, 2.50, "x"], "n": null, "big": 12345678901234})";
  for (int variant = 0; variant < 3; ++variant) {
    if (variant == 1) cells[18] = "12";  // a whole cost prints as an integer in both
    if (variant == 2) cells.assign(cells.size(), std::nullopt);
    const std::string line = api::log_ndjson_line(cells);
    BOOST_TEST(line.back() == '\n');
    BOOST_TEST(std::count(line.begin(), line.end(), '\n') == 1);
    Json::Value parsed;
    Json::CharReaderBuilder b;
    std::string errors;
    std::istringstream in(line);
    BOOST_REQUIRE_MESSAGE(Json::parseFromStream(b, in, &parsed, &errors), line << errors);
    const Json::Value want = usage::log_json(cells);
    // Compared as printed by the API's writer (keys sorted, numbers in shortest form): a
    // whole cost is the double 12.0 in log_json and the number 12 in the line, both "12".
    BOOST_TEST(http::to_json(parsed) == http::to_json(want));
  }
}

BOOST_AUTO_TEST_CASE(terminal_table) {
  usage::UsageResult r;
  r.rows.push_back({std::string("12"), metrics()});
  r.totals = metrics();
  usage::UsageQuery q;
  q.group_by = GroupBy::master;
  const std::string t = api::usage_table(r, q);
  BOOST_TEST(t.find("master") != std::string::npos);
  BOOST_TEST(t.find("TOTAL") != std::string::npos);
  BOOST_TEST(t.find("0.0000025") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
