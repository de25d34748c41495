#include "api/pagination.h"

#include <Poco/Base64Encoder.h>

#include <boost/test/unit_test.hpp>
#include <sstream>
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

// encode_cursor writes base64url by hand; the cursors it hands out must not change.
BOOST_AUTO_TEST_CASE(cursor_text_is_poco_base64url) {
  auto poco = [](int64_t id) {
    std::ostringstream out;
    Poco::Base64Encoder enc(out, Poco::BASE64_URL_ENCODING | Poco::BASE64_NO_PADDING);
    enc << "id:" << id;
    enc.close();
    return out.str();
  };
  BOOST_TEST(ez::api::encode_cursor(50) == "aWQ6NTA");
  for (int64_t id = 0; id < 2000; ++id) BOOST_TEST_REQUIRE(ez::api::encode_cursor(id) == poco(id));
  for (int64_t id : {int64_t(99999), int64_t(1234567), int64_t(1) << 40, INT64_MAX})
    BOOST_TEST(ez::api::encode_cursor(id) == poco(id));
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
