// Request::json_body, the reader of every admin route: strict RFC 8259.
#include "http/request.h"

#include <boost/test/unit_test.hpp>

#include "common/json_text.h"
#include "http/error.h"

namespace {

int error_of(const std::string& body) {
  ez::http::Request r;
  r.body = body;
  try {
    (void)r.json_body();
    return 0;
  } catch (const ez::http::ApiError& e) {
    return static_cast<int>(e.code());
  }
}

}  // namespace

BOOST_AUTO_TEST_SUITE(http_request)

BOOST_AUTO_TEST_CASE(json_comments_are_refused) {
  const int bad_json = static_cast<int>(ez::http::ErrorCode::bad_json);
  for (const char* body : {R"({/*x*/"name":"a"})", R"({"name":"a"/*x*/})", R"({"name":"a"}//x)",
                           "{\"name\":\"a\", // x\n \"type\":\"openai\"}", R"([1,/**/2])",
                           R"(/*x*/{})", "{\"a\":[1 // x\n]}"})
    BOOST_TEST(error_of(body) == bad_json, body);
  BOOST_TEST(error_of(R"({"name":"a/*x*/ //y","k":"\"//\\"})") == 0);
}

BOOST_AUTO_TEST_CASE(find_json_comment_skips_strings) {
  using ez::find_json_comment;
  BOOST_TEST(!find_json_comment(R"({"a":"/*"})"));
  BOOST_TEST(!find_json_comment(R"({"a":"\"//"})"));
  BOOST_TEST(!find_json_comment(R"({"a\\":"x"})"));
  BOOST_TEST(*find_json_comment(R"({"a\\"/**/:"x"})") == 6u);
  BOOST_TEST(*find_json_comment("{}//") == 2u);
  BOOST_TEST(*find_json_comment(R"([1,/**/2])") == 3u);
}

BOOST_AUTO_TEST_SUITE_END()

// RFC 7235: the auth scheme is case-insensitive, and one or more spaces separate it from
// the token. Every bearer read (admin, master, internal) goes through bearer_token().
BOOST_AUTO_TEST_SUITE(http_bearer)

static std::optional<std::string> bearer_of(const std::string& header) {
  ez::http::Request r;
  r.headers["authorization"] = header;
  return r.bearer_token();
}

BOOST_AUTO_TEST_CASE(scheme_is_case_insensitive) {
  for (const char* h : {"Bearer tok", "bearer tok", "BEARER tok", "bEaReR tok", "Bearer  tok"})
    BOOST_TEST(bearer_of(h).value_or("-") == "tok", h);
  for (const char* h :
       {"Basic tok", "Bearertok", "Bearer ", "Bearer", "Bearer\ttok", "Bearers tok"})
    BOOST_TEST(!bearer_of(h), h);
}

BOOST_AUTO_TEST_SUITE_END()
