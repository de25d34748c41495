#include "domain/validate.h"

#include <json/reader.h>

#include <boost/test/unit_test.hpp>
#include <memory>

#include "http/error.h"
#include "support/api_test.h"

using ez::domain::StringRule;
using ez::http::ApiError;
using ez::http::ErrorCode;
using ez::test::expect_error;
using ez::test::parse;

BOOST_AUTO_TEST_SUITE(api_validate)

BOOST_AUTO_TEST_CASE(require_object_rejects_other_roots) {
  BOOST_CHECK_NO_THROW(ez::domain::require_object(parse("{}")));
  expect_error([] { ez::domain::require_object(parse("[]")); }, ErrorCode::bad_json, "");
  expect_error([] { ez::domain::require_object(Json::Value("x")); }, ErrorCode::bad_json, "");
  expect_error([] { ez::domain::require_object(Json::Value(Json::nullValue)); },
               ErrorCode::bad_json, "");
}

BOOST_AUTO_TEST_CASE(strings) {
  const auto body = parse(R"({"a":"  Hello ","n":5,"nul":"a\u0000b","e":"","ctl":"a\u0001b"})");
  StringRule rule;
  BOOST_TEST(*ez::domain::get_string(body, "a", rule) == "  Hello ");
  rule.trim = rule.lower = true;
  BOOST_TEST(*ez::domain::get_string(body, "a", rule) == "hello");
  BOOST_TEST(!ez::domain::get_string(body, "absent").has_value());
  StringRule req;
  req.required = true;
  expect_error([&] { (void)ez::domain::get_string(body, "absent", req); }, ErrorCode::missing_field,
               "absent");
  expect_error([&] { (void)ez::domain::get_string(body, "n"); }, ErrorCode::invalid_field, "n");
  expect_error([&] { (void)ez::domain::get_string(body, "nul"); }, ErrorCode::invalid_field, "nul");
  StringRule nonempty;
  nonempty.min_len = 1;
  expect_error([&] { (void)ez::domain::get_string(body, "e", nonempty); }, ErrorCode::invalid_field,
               "e");
  StringRule short_rule;
  short_rule.max_len = 3;
  expect_error([&] { (void)ez::domain::get_string(body, "a", short_rule); },
               ErrorCode::invalid_field, "a");
  // Control characters are kept verbatim unless asked otherwise.
  BOOST_TEST(*ez::domain::get_string(body, "ctl") == std::string("a\x01"
                                                                 "b"));
  StringRule no_ctl;
  no_ctl.no_control = true;
  expect_error([&] { (void)ez::domain::get_string(body, "ctl", no_ctl); }, ErrorCode::invalid_field,
               "ctl");
}

BOOST_AUTO_TEST_CASE(null_is_a_wrong_type_not_absent) {
  const auto body = parse(R"({"s":null,"i":null,"b":null})");
  expect_error([&] { (void)ez::domain::get_string(body, "s"); }, ErrorCode::invalid_field, "s");
  expect_error([&] { (void)ez::domain::get_int(body, "i", 0, 10); }, ErrorCode::invalid_field, "i");
  expect_error([&] { (void)ez::domain::get_bool(body, "b"); }, ErrorCode::invalid_field, "b");
}

BOOST_AUTO_TEST_CASE(utf8) {
  BOOST_TEST(ez::is_valid_utf8("plain"));
  BOOST_TEST(ez::is_valid_utf8("名前 — ünïcødé 😀"));
  BOOST_TEST(!ez::is_valid_utf8("\xff"));
  BOOST_TEST(!ez::is_valid_utf8("\xc0\xaf"));          // overlong '/'
  BOOST_TEST(!ez::is_valid_utf8("\xed\xa0\x80"));      // surrogate
  BOOST_TEST(!ez::is_valid_utf8("\xe2\x82"));          // truncated
  BOOST_TEST(!ez::is_valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
}

BOOST_AUTO_TEST_CASE(integers) {
  const auto body = parse(
      R"({"ok":7,"neg":-3,"float":1.5,"intfloat":1.0,"str":"5","big":99999999999999999999,"u64":18446744073709551615,"bool":true,"max":9223372036854775807})");
  BOOST_TEST(*ez::domain::get_int(body, "ok", 0, 10) == 7);
  BOOST_TEST(!ez::domain::get_int(body, "absent", 0, 10).has_value());
  expect_error([&] { (void)ez::domain::get_int(body, "absent", 0, 10, true); },
               ErrorCode::missing_field, "absent");
  for (const char* f : {"neg", "float", "intfloat", "str", "big", "u64", "bool"})
    expect_error([&] { (void)ez::domain::get_int(body, f, 0, 10); }, ErrorCode::invalid_field, f);
  BOOST_TEST(*ez::domain::get_int(body, "max", 0, INT64_MAX) == INT64_MAX);
  BOOST_TEST(*ez::domain::get_int(body, "neg", -5, 5) == -3);
}

BOOST_AUTO_TEST_CASE(numbers_and_bools) {
  // (1e400 never gets here: the JSON reader refuses it as bad_json.)
  const auto body = parse(R"({"d":0.25,"i":3,"huge":1e300,"neg":-1e300,"s":"1","t":true,"z":0})");
  BOOST_TEST(*ez::domain::get_number(body, "d", 0, 1) == 0.25);
  BOOST_TEST(*ez::domain::get_number(body, "i", 0, 10) == 3.0);
  for (const char* f : {"huge", "neg", "s", "t"})
    expect_error([&] { (void)ez::domain::get_number(body, f, -1e200, 1e200); },
                 ErrorCode::invalid_field, f);
  expect_error([&] { (void)ez::domain::get_number(body, "d", 1, 2); }, ErrorCode::invalid_field,
               "d");
  BOOST_TEST(*ez::domain::get_bool(body, "t") == true);
  expect_error([&] { (void)ez::domain::get_bool(body, "z"); }, ErrorCode::invalid_field, "z");
  expect_error([&] { (void)ez::domain::get_bool(body, "s"); }, ErrorCode::invalid_field, "s");
}

BOOST_AUTO_TEST_CASE(string_lists) {
  const auto body = parse(R"({"l":["a","b","a"],"bad":["a",1],"notlist":"a","empty":[""]})");
  auto l = ez::domain::get_string_list(body, "l");
  BOOST_TEST((*l == std::vector<std::string>{"a", "b"}));
  expect_error([&] { (void)ez::domain::get_string_list(body, "bad"); }, ErrorCode::invalid_field,
               "bad[1]");
  expect_error([&] { (void)ez::domain::get_string_list(body, "notlist"); },
               ErrorCode::invalid_field, "notlist");
  StringRule item;
  item.min_len = 1;
  expect_error([&] { (void)ez::domain::get_string_list(body, "empty", item); },
               ErrorCode::invalid_field, "empty[0]");
  expect_error([&] { (void)ez::domain::get_string_list(body, "l", {}, 1); },
               ErrorCode::invalid_field, "l");
}

BOOST_AUTO_TEST_CASE(enums) {
  const auto body = parse(R"({"s":" Active ","bad":"paused","n":1})");
  BOOST_TEST(*ez::domain::get_enum(body, "s", {"active", "disabled"}) == "active");
  expect_error(
      [&] {
        (void)ez::domain::get_enum(body, "bad", {"active", "disabled"});
      },
      ErrorCode::invalid_field, "bad");
  expect_error([&] { (void)ez::domain::get_enum(body, "n", {"active"}); }, ErrorCode::invalid_field,
               "n");
  BOOST_TEST(ez::domain::check_enum("a", "q", {"a", "b"}) == "a");
  expect_error(
      [] {
        (void)ez::domain::check_enum("c", "q", {"a", "b"});
      },
      ErrorCode::bad_request, "q");
}

BOOST_AUTO_TEST_CASE(unknown_fields) {
  const auto body = parse(R"({"name":"x","id":3,"wieght":2})");
  expect_error(
      [&] {
        ez::domain::reject_unknown(body, {"name", "weight"}, {"id"});
      },
      ErrorCode::invalid_field, "wieght");
  BOOST_CHECK_NO_THROW(
      ez::domain::reject_unknown(parse(R"({"name":"x","id":3})"), {"name"}, {"id"}));
}

BOOST_AUTO_TEST_CASE(rfc3339) {
  using ez::format_rfc3339;
  using ez::parse_rfc3339;
  auto t = parse_rfc3339("2024-02-29T23:59:59Z");
  BOOST_REQUIRE(t);
  BOOST_TEST(format_rfc3339(*t) == "2024-02-29T23:59:59Z");
  BOOST_TEST(format_rfc3339(*parse_rfc3339("2024-03-01T01:30:00+02:00")) == "2024-02-29T23:30:00Z");
  BOOST_TEST(format_rfc3339(*parse_rfc3339("2024-01-01t00:00:00.5-01:00")) ==
             "2024-01-01T01:00:00.500000Z");
  BOOST_TEST(format_rfc3339(*parse_rfc3339("1970-01-01T00:00:00.1234567Z")) ==
             "1970-01-01T00:00:00.123456Z");
  BOOST_TEST(format_rfc3339(*parse_rfc3339("1969-12-31T23:59:59Z")) == "1969-12-31T23:59:59Z");
  for (const char* bad :
       {"", "2024-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2024-01-01", "2024-01-01T00:00:00",
        "2024-01-01T24:00:00Z", "2024-01-01T00:60:00Z", "2024-01-01T00:00:60Z",
        "2024-13-01T00:00:00Z", "2024-01-01T00:00:00.Z", "2024-01-01T00:00:00+2:00",
        "2024-01-01T00:00:00Zjunk", "0000-01-01T00:00:00Z", "2024-1-01T00:00:00Z", "yesterday",
        "2024-01-01T00:00:00+24:00"})
    BOOST_TEST(!parse_rfc3339(bad).has_value(), bad);
  const auto body = parse(R"({"at":"2025-01-31T12:00:00+01:00","bad":"31/01/2025","n":5})");
  BOOST_TEST(*ez::domain::get_time(body, "at") == "2025-01-31T11:00:00Z");
  expect_error([&] { (void)ez::domain::get_time(body, "bad"); }, ErrorCode::invalid_field, "bad");
  expect_error([&] { (void)ez::domain::get_time(body, "n"); }, ErrorCode::invalid_field, "n");
}

BOOST_AUTO_TEST_CASE(cidr) {
  using ez::domain::normalize_cidr;
  BOOST_TEST(*normalize_cidr("10.0.0.0/8") == "10.0.0.0/8");
  BOOST_TEST(*normalize_cidr("10.1.2.3") == "10.1.2.3");
  BOOST_TEST(*normalize_cidr("0.0.0.0/0") == "0.0.0.0/0");
  BOOST_TEST(*normalize_cidr("192.168.1.7/32") == "192.168.1.7/32");
  BOOST_TEST(*normalize_cidr("2001:DB8::/32") == "2001:db8::/32");
  BOOST_TEST(*normalize_cidr("::1") == "::1");
  BOOST_TEST(*normalize_cidr("::/0") == "::/0");
  for (const char* bad : {"", "10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0/8",
                          "256.0.0.0/8", "2001:db8::1/32", "::/129", "fe80::1%eth0", "host.example",
                          "10.0.0.0/8/9", "10.0.0.0/08x", "/8"})
    BOOST_TEST(!normalize_cidr(bad).has_value(), bad);
  const auto body =
      parse(R"({"ips":["10.0.0.0/8"," ::1 ","10.0.0.0/8"],"bad":["10.0.0.0/8","x"]})");
  auto l = ez::domain::get_cidr_list(body, "ips");
  BOOST_TEST((*l == std::vector<std::string>{"10.0.0.0/8", "::1"}));
  expect_error([&] { (void)ez::domain::get_cidr_list(body, "bad"); }, ErrorCode::invalid_field,
               "bad[1]");
}

// Years 1..9999 once in UTC: what PostgreSQL's timestamptz and the balancer both hold.
BOOST_AUTO_TEST_CASE(rfc3339_range_after_utc_conversion) {
  using ez::format_rfc3339;
  using ez::parse_rfc3339;
  BOOST_TEST(!parse_rfc3339("0001-01-01T00:00:00+01:00"));  // year 0 in UTC
  BOOST_TEST(!parse_rfc3339("9999-12-31T23:59:59-23:59"));  // year 10000 in UTC
  BOOST_TEST(!parse_rfc3339("9999-12-31T23:00:00-01:00"));
  BOOST_TEST(format_rfc3339(*parse_rfc3339("0001-01-01T00:00:00Z")) == "0001-01-01T00:00:00Z");
  BOOST_TEST(format_rfc3339(*parse_rfc3339("0001-01-01T00:30:00-01:00")) == "0001-01-01T01:30:00Z");
  BOOST_TEST(format_rfc3339(*parse_rfc3339("9999-12-31T23:59:59.999999Z")) ==
             "9999-12-31T23:59:59.999999Z");
  BOOST_TEST(format_rfc3339(*parse_rfc3339("9999-12-31T23:59:59+23:59")) == "9999-12-31T00:00:59Z");
  const auto body = parse(R"({"expires_at":"0001-01-01T00:00:00+01:00"})");
  expect_error([&] { (void)ez::domain::get_time(body, "expires_at"); }, ErrorCode::invalid_field,
               "expires_at");
}

BOOST_AUTO_TEST_CASE(unknown_query_parameters_are_named) {
  using Query = std::multimap<std::string, std::string>;
  BOOST_CHECK_NO_THROW(ez::domain::check_query_params(
      Query{{"group", "a"}, {"limit", "5"}, {"cursor", "x"}}, {"group", "type"}));
  BOOST_CHECK_NO_THROW(ez::domain::check_query_params(Query{}, {}));
  expect_error(
      [] {
        ez::domain::check_query_params(Query{{"naem", "x"}}, {"name", "group"});
      },
      ErrorCode::bad_request, "naem");
  expect_error(
      [] {
        ez::domain::check_query_params(Query{{"group", "a"}, {"Group", "b"}}, {"group"});
      },
      ErrorCode::bad_request, "Group");
  expect_error(
      [] {
        ez::domain::check_query_params(Query{{"limit", "1"}, {"x\x01", ""}}, {});
      },
      ErrorCode::bad_request, "x?");
}

BOOST_AUTO_TEST_CASE(path_ids) {
  BOOST_TEST(ez::domain::parse_id("1") == 1);
  BOOST_TEST(ez::domain::parse_id("9223372036854775807") == INT64_MAX);
  for (const char* bad : {"", "0", "-1", "+1", "abc", "1.5", "1e3", " 1", "9223372036854775808",
                          "99999999999999999999999", "0x10"})
    expect_error([&] { (void)ez::domain::parse_id(bad, "provider"); }, ErrorCode::not_found, "");
}

BOOST_AUTO_TEST_SUITE_END()
