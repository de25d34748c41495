// to_json writes its own compact JSON (common/json_writer.h): the bytes must stay those
// jsoncpp's StreamWriter wrote (indentation "", emitUTF8), with doubles in shortest form.
#include "common/json_writer.h"

#include <json/writer.h>

#include <boost/test/unit_test.hpp>
#include <cstdint>
#include <limits>
#include <string>

#include "http/response.h"

namespace {

std::string jsoncpp_compact(const Json::Value& v) {
  Json::StreamWriterBuilder b;
  b["indentation"] = "";
  b["emitUTF8"] = true;
  return Json::writeString(b, v);
}

Json::Value sample() {
  Json::Value v(Json::objectValue);
  v["id"] = Json::Int64(42);
  v["min"] = Json::Int64(std::numeric_limits<int64_t>::min());
  v["max"] = Json::UInt64(std::numeric_limits<uint64_t>::max());
  v["neg"] = -7;
  v["zero"] = 0;
  v["t"] = true;
  v["f"] = false;
  v["null"] = Json::Value();
  v["empty_array"] = Json::Value(Json::arrayValue);
  v["empty_object"] = Json::Value(Json::objectValue);
  v["empty_string"] = "";
  v["utf8"] = "h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80";
  v["escapes"] = "q\" b\\ \b\f\n\r\t \x01\x1f\x7f /</script>";
  v["nul"] = std::string("a\0b", 3);
  v["invalid_utf8"] = "\xff\xfe x \xc3";
  v["key \"quoted\"\n"] = 1;
  v["B"] = 1;  // member order: byte order, shorter first on a common prefix
  v["a"] = 1;
  v["ab"] = 1;
  v["a\xc3\xa9"] = 1;
  Json::Value& nested = v["nested"];
  nested["list"].append("x");
  nested["list"].append(Json::Value(Json::objectValue));
  nested["list"].append(Json::Value(Json::arrayValue));
  nested["list"][5] = "sparse";                   // indexes 3 and 4 are null
  nested["deep"]["deeper"]["deepest"] = "1.5e3";  // a number-like string stays a string
  return v;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_json_writer)

BOOST_AUTO_TEST_CASE(same_bytes_as_jsoncpp_without_doubles) {
  const Json::Value v = sample();
  BOOST_TEST(ez::http::to_json(v) == jsoncpp_compact(v));
  for (const auto& name : v.getMemberNames())
    BOOST_TEST(ez::http::to_json(v[name]) == jsoncpp_compact(v[name]), name);
}

BOOST_AUTO_TEST_CASE(doubles_in_shortest_round_trip_form) {
  const struct {
    double d;
    const char* text;
  } cases[] = {{2.5e-06, "2.5e-06"},
               {3.0, "3"},
               {0.1, "0.1"},
               {-0.0, "-0"},
               {1e300, "1e+300"},
               {1e22, "1e+22"},
               {0.01234, "0.01234"},
               {123456789.125, "123456789.125"},
               {-7.5, "-7.5"},
               {5e-324, "5e-324"},
               {std::numeric_limits<double>::quiet_NaN(), "null"},
               {std::numeric_limits<double>::infinity(), "1e+9999"},
               {-std::numeric_limits<double>::infinity(), "-1e+9999"}};
  for (const auto& c : cases) {
    Json::Value o(Json::objectValue);
    o["k"] = c.d;
    BOOST_TEST(ez::http::to_json(o) == std::string("{\"k\":") + c.text + "}", c.text);
  }
}

BOOST_AUTO_TEST_CASE(json_response_is_the_text_and_a_newline) {
  const Json::Value v = sample();
  const auto r = ez::http::json(200, v);
  BOOST_TEST(r.body == jsoncpp_compact(v) + "\n");
  std::string out = "prefix:";
  ez::append_json(out, Json::Value("x"));
  BOOST_TEST(out == "prefix:\"x\"");
}

BOOST_AUTO_TEST_SUITE_END()
