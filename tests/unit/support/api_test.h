// Helpers shared by the unit tests of request validation (tests/unit/transport/api/).
#pragma once

#include <json/value.h>

#include <boost/test/unit_test.hpp>
#include <stdexcept>
#include <string>

#include "http/error.h"
#include "http/request.h"

namespace ez::test {

// Parses a request body exactly as a handler would (Request::json_body, the strict
// reader); a typo in a test's JSON fails loudly instead of testing nothing.
inline Json::Value parse(const std::string& text) {
  http::Request r;
  r.body = text;
  try {
    return r.json_body();
  } catch (const http::ApiError& e) {
    throw std::runtime_error(std::string("bad test json: ") + e.what());
  }
}

// Runs f and expects an ApiError with `code` naming `field`.
template <typename F>
void expect_error(F&& f, http::ErrorCode code, const std::string& field) {
  try {
    f();
    BOOST_ERROR("expected an ApiError for field '" << field << "'");
  } catch (const http::ApiError& e) {
    BOOST_TEST(static_cast<int>(e.code()) == static_cast<int>(code), "message: " << e.what());
    BOOST_TEST(e.field() == field, "message: " << e.what());
  }
}

}  // namespace ez::test
