// Model prices and their decimal value (no 2.5000000000000002e-06).
#include <boost/test/unit_test.hpp>

#include "domain/admin_input.h"
#include "http/response.h"
#include "support/api_test.h"

using ez::http::ErrorCode;
using ez::test::expect_error;
using ez::test::parse;

BOOST_AUTO_TEST_SUITE(api_model_prices)

BOOST_AUTO_TEST_CASE(prices_are_optional_and_default_to_usd) {
  const auto v = ez::domain::model_values(parse(R"({"name":"default.m"})"), nullptr);
  BOOST_TEST(!v.input_price);
  BOOST_TEST(!v.output_price);
  BOOST_TEST(!v.cache_read_price);
  BOOST_TEST(v.currency == "USD");
}

BOOST_AUTO_TEST_CASE(prices_keep_their_decimal_value) {
  const auto v = ez::domain::model_values(
      parse(R"({"name":"default.m","input_price":2.5,"output_price":"0.0000025",
                "cache_read_price":1.25e-7,"currency":"eur"})"),
      nullptr);
  BOOST_TEST(*v.input_price == "2.5");
  BOOST_TEST(*v.output_price == "0.0000025");
  BOOST_TEST(*v.cache_read_price == "0.000000125");
  BOOST_TEST(v.currency == "EUR");
  ez::db::ModelRow row;
  row.v = v;
  const std::string text = ez::http::to_json(ez::domain::model_json(row));
  BOOST_TEST(text.find("\"input_price\":2.5,") != std::string::npos, text);
  BOOST_TEST(text.find("\"output_price\":2.5e-06") != std::string::npos, text);
  BOOST_TEST(text.find("\"cache_read_price\":1.25e-07") != std::string::npos, text);
  BOOST_TEST(text.find("\"currency\":\"EUR\"") != std::string::npos, text);
}

BOOST_AUTO_TEST_CASE(a_partial_update_keeps_or_clears_prices) {
  const auto v = ez::domain::model_values(
      parse(R"({"name":"default.m","input_price":1,"output_price":2})"), nullptr);
  const auto kept = ez::domain::model_values(parse(R"({"kind":"chat"})"), &v);
  BOOST_TEST(*kept.input_price == "1");
  const auto cleared =
      ez::domain::model_values(parse(R"({"input_price":null,"output_price":null})"), &v);
  BOOST_TEST(!cleared.input_price);
  BOOST_TEST(!cleared.output_price);
}

BOOST_AUTO_TEST_CASE(bad_prices_name_the_field) {
  auto bad = [](const std::string& body, const std::string& field) {
    expect_error([&] { (void)ez::domain::model_values(parse(body), nullptr); },
                 ErrorCode::invalid_field, field);
  };
  bad(R"({"name":"d.m","input_price":-1,"output_price":1})", "input_price");
  bad(R"({"name":"d.m","input_price":1,"output_price":"abc"})", "output_price");
  bad(R"({"name":"d.m","input_price":1,"output_price":"-0.5"})", "output_price");
  bad(R"({"name":"d.m","input_price":1e300,"output_price":1})", "input_price");
  bad(R"({"name":"d.m","input_price":true,"output_price":1})", "input_price");
  bad(R"({"name":"d.m","input_price":1})", "output_price");  // half a price
  bad(R"({"name":"d.m","output_price":1})", "input_price");
  bad(R"({"name":"d.m","cache_read_price":1})", "cache_read_price");
  bad(R"({"name":"d.m","currency":"US"})", "currency");
  bad(R"({"name":"d.m","currency":"U$D"})", "currency");
  bad(R"({"name":"d.m","currency":5})", "currency");
}

BOOST_AUTO_TEST_CASE(json_numbers_print_in_shortest_round_trip_form) {
  Json::Value j(Json::objectValue);
  j["a"] = 0.0000025;
  j["b"] = 0.1 + 0.2;                 // a real binary fraction keeps its digits
  j["c"] = "2.5000000000000002e-06";  // strings are untouched
  j["d"] = Json::Int64(12345678901234);
  j["e"] = -1.5e300;
  const std::string text = ez::http::to_json(j);
  BOOST_TEST(text == R"({"a":2.5e-06,"b":0.30000000000000004,"c":"2.5000000000000002e-06",)"
                     R"("d":12345678901234,"e":-1.5e+300})");
}

BOOST_AUTO_TEST_SUITE_END()
