#include "api/pagination.h"

#include <boost/test/unit_test.hpp>
#include <vector>

#include "http/error.h"

using ez::api::PageRequest;
using ez::http::ApiError;
using ez::http::Request;

BOOST_AUTO_TEST_SUITE(api_pagination)

BOOST_AUTO_TEST_CASE(cursor_round_trip_and_garbage) {
  for (int64_t id : {int64_t(0), int64_t(1), int64_t(42), INT64_MAX}) {
    const auto c = ez::api::encode_cursor(id);
    BOOST_TEST(c.find_first_of("+/=") == std::string::npos, c);  // URL-safe as is
    BOOST_TEST(*ez::api::decode_cursor(c) == id);
  }
  for (const char* bad : {"", "!!!", "42", "aWQ6LTE", "aWQ6YWJj", "%%%", "aWQ6"})
    BOOST_TEST(!ez::api::decode_cursor(bad).has_value(), bad);
}

BOOST_AUTO_TEST_CASE(parse_page_limits) {
  Request r;
  BOOST_TEST(ez::api::parse_page(r).limit == 50);
  BOOST_TEST(ez::api::parse_page(r).after == 0);
  r.query = {{"limit", "500"}, {"cursor", ez::api::encode_cursor(7)}};
  auto p = ez::api::parse_page(r);
  BOOST_TEST(p.limit == 500);
  BOOST_TEST(p.after == 7);
  BOOST_TEST(p.fetch_limit() == 501);
  for (const char* bad : {"0", "501", "-1", "abc", "1.5", "99999999999999999999", ""}) {
    Request q;
    q.query = {{"limit", bad}};
    try {
      (void)ez::api::parse_page(q);
      BOOST_FAIL("accepted limit " << bad);
    } catch (const ApiError& e) {
      BOOST_TEST(e.field() == "limit");
    }
  }
  Request q;
  q.query = {{"cursor", "not-a-cursor"}};
  BOOST_CHECK_THROW((void)ez::api::parse_page(q), ApiError);
}

BOOST_AUTO_TEST_CASE(page_json_trims_and_links) {
  std::vector<int64_t> rows = {3, 5, 8};
  PageRequest page;
  page.limit = 2;
  auto to_json = [](int64_t id) { return Json::Value(Json::Int64(id)); };
  auto id_of = [](int64_t id) { return id; };
  auto j = ez::api::page_json(rows, page, to_json, id_of);
  BOOST_TEST(j["items"].size() == 2u);
  BOOST_TEST(*ez::api::decode_cursor(j["next_cursor"].asString()) == 5);
  page.limit = 3;
  j = ez::api::page_json(rows, page, to_json, id_of);
  BOOST_TEST(j["items"].size() == 3u);
  BOOST_TEST(j["next_cursor"].isNull());
  j = ez::api::page_json(std::vector<int64_t>{}, page, to_json, id_of);
  BOOST_TEST(j["items"].isArray());
  BOOST_TEST(j["items"].size() == 0u);
  BOOST_TEST(j["next_cursor"].isNull());
}

BOOST_AUTO_TEST_SUITE_END()
