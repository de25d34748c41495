#include "http/router.h"

#include <boost/test/unit_test.hpp>

#include "http/error.h"
#include "http/request.h"

using namespace ez::http;

namespace {
Handler named(int tag) {
  return [tag](ez::context::Context&, Request&) {
    Response r;
    r.status = tag;
    return r;
  };
}
Request req(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  return r;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(router)

BOOST_AUTO_TEST_CASE(literal_and_parameter_segments) {
  Router r;
  r.add("GET", "/providers", named(1));
  r.add("GET", "/providers/{id}", named(2));
  r.add("POST", "/admin/masters/{id}/keys", named(3));
  auto a = req("GET", "/providers/42");
  auto m = r.match(a);
  BOOST_REQUIRE(m.route);
  BOOST_TEST(m.route->pattern == "/providers/{id}");
  BOOST_TEST(a.param("id") == "42");
  auto b = req("POST", "/admin/masters/7/keys");
  BOOST_REQUIRE(r.match(b).route);
  BOOST_TEST(b.param("id") == "7");
  auto c = req("GET", "/providers/");  // trailing slash is the same route
  BOOST_REQUIRE(r.match(c).route);
  BOOST_TEST(r.match(c).route->pattern == "/providers");
}

BOOST_AUTO_TEST_CASE(encoded_slash_stays_inside_its_segment) {
  Router r;
  r.add("GET", "/models/{name}", named(1));
  auto a = req("GET", "/models/ns.meta/llama");
  a.raw_path = "/models/ns.meta%2Fllama";
  BOOST_REQUIRE(r.match(a).route);
  BOOST_TEST(a.param("name") == "ns.meta/llama");
  auto b = req("GET", "/models/ns.x/y");
  b.raw_path = "/models/ns.x/y";  // a real slash is a separator
  BOOST_TEST(!r.match(b).route);
}

BOOST_AUTO_TEST_CASE(unknown_path_and_wrong_method) {
  Router r;
  r.add("GET", "/providers/{id}", named(1));
  r.add("DELETE", "/providers/{id}", named(2));
  auto a = req("GET", "/nope");
  auto m = r.match(a);
  BOOST_TEST(!m.route);
  BOOST_TEST(!m.path_matched);
  auto b = req("PATCH", "/providers/1");
  auto n = r.match(b);
  BOOST_TEST(!n.route);
  BOOST_TEST(n.path_matched);
  BOOST_TEST(n.allowed == "GET, DELETE");
  auto c = req("HEAD", "/providers/1");
  BOOST_TEST(r.match(c).route != nullptr);
  auto d = req("GET", "/providers//x");  // empty segment never matches a parameter
  BOOST_TEST(!r.match(d).route);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(errors)

BOOST_AUTO_TEST_CASE(every_code_maps_to_one_status_and_json) {
  struct Case {
    ErrorCode code;
    int status;
    const char* name;
  } cases[] = {
      {ErrorCode::bad_json, 400, "bad_json"},
      {ErrorCode::invalid_field, 400, "invalid_field"},
      {ErrorCode::missing_field, 400, "missing_field"},
      {ErrorCode::unauthorized, 401, "unauthorized"},
      {ErrorCode::forbidden, 403, "forbidden"},
      {ErrorCode::not_found, 404, "not_found"},
      {ErrorCode::method_not_allowed, 405, "method_not_allowed"},
      {ErrorCode::conflict, 409, "conflict"},
      {ErrorCode::payload_too_large, 413, "payload_too_large"},
      {ErrorCode::queue_full, 503, "queue_full"},
      {ErrorCode::unavailable, 503, "unavailable"},
      {ErrorCode::internal, 500, "internal"},
  };
  for (const auto& c : cases) {
    auto resp = to_response(ApiError(c.code, "msg \"quoted\"", "field.x"));
    BOOST_TEST(resp.status == c.status);
    BOOST_TEST(resp.content_type == "application/json");
    BOOST_TEST(resp.body == std::string("{\"code\":\"") + c.name +
                                "\",\"error\":\"msg \\\"quoted\\\"\",\"field\":\"field.x\"}\n");
  }
}

BOOST_AUTO_TEST_CASE(retry_after_and_auth_headers) {
  auto full = to_response(ApiError(ErrorCode::queue_full, "full").with_retry_after(2));
  bool has = false;
  for (auto& [k, v] : full.headers) has |= (k == "Retry-After" && v == "2");
  BOOST_TEST(has);
  auto unauth = to_response(ApiError(ErrorCode::unauthorized, "no"));
  BOOST_TEST(unauth.headers.size() == 1u);
  BOOST_TEST(unauth.headers[0].first == "WWW-Authenticate");
}

BOOST_AUTO_TEST_CASE(json_body_rejects_garbage) {
  Request r;
  for (const char* bad : {"", "{", "{\"a\":1", "{\"a\":1}x", "[1,]", "{\"a\":1,\"a\":2}", "nul"}) {
    r.body = bad;
    BOOST_CHECK_THROW((void)r.json_body(), ApiError);
  }
  r.body = std::string(1000, '[') + std::string(1000, ']');  // nesting bomb
  BOOST_CHECK_THROW((void)r.json_body(), ApiError);
  r.body = "{\"name\":\"\\u00e9\\u4e2d\"}";
  BOOST_TEST(r.json_body()["name"].asString() == "\xc3\xa9\xe4\xb8\xad");
}

BOOST_AUTO_TEST_SUITE_END()
