// Tests for workers/transport/api/dispatch.* and workers/transport/http/error.*: what every kind of
// failure a handler can end with turns into on the wire (status, code, headers, and no internals in
// the body). No database or Redis: the handlers throw what a lost server or a constraint throws.
#include "api/dispatch.h"

#include <json/reader.h>
#include <json/value.h>

#include <boost/test/unit_test.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <pqxx/except>
#include <set>
#include <stdexcept>
#include <string>

#include "context/context.h"
#include "db/errors.h"
#include "http/error.h"
#include "redisx/redis.h"

using ez::http::ApiError;
using ez::http::ErrorCode;
using ez::http::Request;
using ez::http::Response;

namespace {

// A context whose PostgreSQL refuses at once (nothing listens on port 1), so a handler that
// "loses" its connection is answered after the reconnect budget, never by a real server.
ez::context::Context& context() {
  static std::unique_ptr<ez::context::Context> ctx = [] {
    ez::config::Settings s;
    s.pg_dsn = "host=127.0.0.1 port=1 dbname=none user=none connect_timeout=1";
    s.redis_host = "127.0.0.1";
    s.redis_port = 1;
    return std::make_unique<ez::context::Context>(s);
  }();
  return *ctx;
}

struct Answer {
  int status = 0;
  std::string route;
  Json::Value body;
  std::string raw;
  Response response;
  [[nodiscard]] std::optional<std::string> header(const std::string& name) const {
    for (const auto& [k, v] : response.headers)
      if (k == name) return v;
    return std::nullopt;
  }
};

// Dispatches METHOD /things/7 to a router whose only route runs `handler`.
Answer call(const std::function<Response()>& handler, const std::string& method = "GET",
            const std::string& path = "/things/7") {
  ez::http::Router router;
  router.add("GET", "/things/{id}", [&](ez::context::Context&, Request&) { return handler(); });
  router.add("PUT", "/things/{id}", [&](ez::context::Context&, Request&) { return handler(); });
  Request req;
  req.method = method;
  req.path = path;
  const ez::api::Outcome out = ez::api::dispatch(context(), router, req);
  Answer a;
  a.status = out.response.status;
  a.route = out.route;
  a.raw = out.response.body;
  a.response = out.response;
  Json::CharReaderBuilder b;
  std::string errors;
  std::unique_ptr<Json::CharReader> reader(b.newCharReader());
  if (!a.raw.empty())
    BOOST_REQUIRE(reader->parse(a.raw.data(), a.raw.data() + a.raw.size(), &a.body, &errors));
  return a;
}

template <typename E>
std::function<Response()> throwing(E e) {
  return [e]() -> Response { throw e; };
}

}  // namespace

BOOST_AUTO_TEST_SUITE(dispatch)

BOOST_AUTO_TEST_CASE(every_error_code_has_one_status_and_a_stable_name) {
  const std::pair<ErrorCode, int> codes[] = {
      {ErrorCode::bad_json, 400},          {ErrorCode::invalid_field, 400},
      {ErrorCode::missing_field, 400},     {ErrorCode::bad_request, 400},
      {ErrorCode::unauthorized, 401},      {ErrorCode::forbidden, 403},
      {ErrorCode::not_found, 404},         {ErrorCode::method_not_allowed, 405},
      {ErrorCode::conflict, 409},          {ErrorCode::payload_too_large, 413},
      {ErrorCode::unsupported_media, 415}, {ErrorCode::queue_full, 503},
      {ErrorCode::unavailable, 503},       {ErrorCode::internal, 500},
  };
  std::set<std::string> names;
  for (const auto& [code, status] : codes) {
    BOOST_TEST(ez::http::http_status(code) == status);
    const std::string name(ez::http::code_name(code));
    BOOST_TEST(names.insert(name).second, "code name used twice: " << name);
    // The body carries the same status and name the code stands for.
    const Response r = ez::http::to_response(ApiError(code, "m"));
    BOOST_TEST(r.status == status);
    BOOST_TEST(r.body.find("\"code\":\"" + name + "\"") != std::string::npos, r.body);
  }
  BOOST_TEST(std::string(ez::http::code_name(ErrorCode::unsupported_media)) ==
             "unsupported_media_type");
}

BOOST_AUTO_TEST_CASE(error_responses_carry_field_and_the_headers_their_status_needs) {
  const Response field = ez::http::to_response(ApiError(ErrorCode::invalid_field, "bad", "name"));
  const std::string one_line = field.body.substr(0, field.body.find_last_not_of('\n') + 1);
  BOOST_TEST(one_line == R"({"code":"invalid_field","error":"bad","field":"name"})");
  const Response no_field = ez::http::to_response(ApiError(ErrorCode::conflict, "taken"));
  BOOST_TEST(no_field.body.find("field") == std::string::npos);

  auto header = [](const Response& r, const std::string& name) -> std::string {
    for (const auto& [k, v] : r.headers)
      if (k == name) return v;
    return "<none>";
  };
  const Response unauthorized = ez::http::to_response(ApiError(ErrorCode::unauthorized, "no"));
  BOOST_TEST(header(unauthorized, "WWW-Authenticate") == "Bearer");
  BOOST_TEST(header(ez::http::to_response(ApiError(ErrorCode::forbidden, "no")),
                    "WWW-Authenticate") == "<none>");
  // Every 503 says when to come back: its own value, else the default second.
  BOOST_TEST(header(ez::http::to_response(ApiError(ErrorCode::unavailable, "down")),
                    "Retry-After") == "1");
  BOOST_TEST(
      header(ez::http::to_response(ApiError(ErrorCode::queue_full, "full").with_retry_after(7)),
             "Retry-After") == "7");
  BOOST_TEST(header(ez::http::to_response(ApiError(ErrorCode::conflict, "x")), "Retry-After") ==
             "<none>");
}

BOOST_AUTO_TEST_CASE(unknown_paths_are_404_and_unknown_methods_405_with_allow) {
  const Answer missing = call([] { return Response{}; }, "GET", "/nothing/here");
  BOOST_TEST(missing.status == 404);
  BOOST_TEST(missing.body["code"].asString() == "not_found");
  BOOST_TEST(missing.route == "unmatched");

  const Answer wrong = call([] { return Response{}; }, "DELETE");
  BOOST_TEST(wrong.status == 405);
  BOOST_TEST(wrong.body["code"].asString() == "method_not_allowed");
  BOOST_TEST(wrong.header("Allow").value_or("") == "GET, PUT");
  BOOST_TEST(wrong.route == "unmatched");

  const Answer ok = call([] { return ez::http::no_content(); });
  BOOST_TEST(ok.status == 204);
  BOOST_TEST(ok.route == "/things/{id}");  // the pattern: one metrics label for every id
}

BOOST_AUTO_TEST_CASE(api_errors_pass_through_as_thrown) {
  const Answer a = call(throwing(ApiError(ErrorCode::invalid_field, "must be a string", "name")));
  BOOST_TEST(a.status == 400);
  BOOST_TEST(a.body["field"].asString() == "name");
  BOOST_TEST(a.body["error"].asString() == "must be a string");
  BOOST_TEST(a.route == "/things/{id}");
  // A 503 without its own Retry-After gets the dispatcher's.
  const Answer down = call(throwing(ApiError(ErrorCode::unavailable, "redis unavailable")));
  BOOST_TEST(down.status == 503);
  BOOST_TEST(down.header("Retry-After").value_or("") == "1");
  const Answer full =
      call(throwing(ApiError(ErrorCode::queue_full, "queue full").with_retry_after(2)));
  BOOST_TEST(full.header("Retry-After").value_or("") == "2");
}

BOOST_AUTO_TEST_CASE(constraint_violations_are_the_clients_and_say_no_sql) {
  const std::string q = "INSERT INTO providers (name) VALUES ('secret-name')";
  const Answer dup = call(throwing(pqxx::unique_violation("duplicate key value", q, "23505")));
  BOOST_TEST(dup.status == 409);
  BOOST_TEST(dup.body["error"].asString() == "already exists");
  const Answer fk = call(throwing(pqxx::foreign_key_violation("violates fk", q, "23503")));
  BOOST_TEST(fk.status == 409);
  BOOST_TEST(fk.body["code"].asString() == "conflict");
  const Answer check = call(throwing(pqxx::check_violation("violates check", q, "23514")));
  BOOST_TEST(check.status == 400);
  BOOST_TEST(check.body["code"].asString() == "invalid_field");
  for (const Answer* a : {&dup, &fk, &check}) {
    BOOST_TEST(a->raw.find("INSERT") == std::string::npos, a->raw);
    BOOST_TEST(a->raw.find("secret-name") == std::string::npos, a->raw);
  }
}

BOOST_AUTO_TEST_CASE(other_failures_are_500_without_internals) {
  const Answer sql = call(throwing(pqxx::sql_error("relation \"secret_table\" does not exist",
                                                   "SELECT * FROM secret_table", "42P01")));
  BOOST_TEST(sql.status == 500);
  BOOST_TEST(sql.body["error"].asString() == "internal error");
  BOOST_TEST(sql.raw.find("secret_table") == std::string::npos, sql.raw);
  const Answer bug = call(throwing(std::logic_error("vector::_M_range_check: secret detail")));
  BOOST_TEST(bug.status == 500);
  BOOST_TEST(bug.body["code"].asString() == "internal");
  BOOST_TEST(bug.raw.find("secret") == std::string::npos, bug.raw);
}

BOOST_AUTO_TEST_CASE(lost_servers_are_503_with_retry_after) {
  const Answer redis = call(throwing(ez::redisx::RedisError("redis 127.0.0.1:1: refused")));
  BOOST_TEST(redis.status == 503);
  BOOST_TEST(redis.body["error"].asString() == "redis unavailable");
  BOOST_TEST(redis.header("Retry-After").value_or("") == "1");
  // The COMMIT's answer lost: never retried, and the client is told to read back first.
  const Answer doubt = call(throwing(pqxx::in_doubt_error("connection lost during COMMIT")));
  BOOST_TEST(doubt.status == 503);
  BOOST_TEST(doubt.body["error"].asString().find("read it back") != std::string::npos);
  // A connection lost mid-handler: one reconnect (refused here), then 503.
  int runs = 0;
  const Answer lost = call([&]() -> Response {
    ++runs;
    throw pqxx::broken_connection("server closed the connection unexpectedly");
  });
  BOOST_TEST(lost.status == 503);
  BOOST_TEST(lost.body["error"].asString() == "database unavailable");
  BOOST_TEST(lost.header("Retry-After").value_or("") == "1");
  BOOST_TEST(runs == 1);  // not run again without a database to run on
  // A server shutting down (SQLSTATE 57P01) counts as a lost connection too.
  const Answer shutdown =
      call(throwing(pqxx::sql_error("terminating connection", "SELECT 1", "57P01")));
  BOOST_TEST(shutdown.status == 503);
}

BOOST_AUTO_TEST_CASE(storage_errors_a_service_translated_are_answered_like_the_raw_ones) {
  // A service translates at its boundary (db/errors.h): the answer, and the reconnect after
  // a lost session, are those of the pqxx exception it stands for.
  const std::string q = "INSERT INTO providers (name) VALUES ('secret-name')";
  const Answer dup =
      call(throwing(ez::db::translate(pqxx::unique_violation("duplicate key value", q, "23505"))));
  BOOST_TEST(dup.status == 409);
  BOOST_TEST(dup.body["error"].asString() == "already exists");
  BOOST_TEST(dup.raw.find("secret-name") == std::string::npos, dup.raw);
  const Answer doubt = call(throwing(ez::db::translate(pqxx::in_doubt_error("lost COMMIT"))));
  BOOST_TEST(doubt.status == 503);
  BOOST_TEST(doubt.body["error"].asString().find("read it back") != std::string::npos);
  BOOST_TEST(doubt.header("Retry-After").value_or("") == "1");
  int runs = 0;
  const Answer lost = call([&]() -> Response {
    ++runs;
    throw ez::db::translate(pqxx::broken_connection("server closed the connection"));
  });
  BOOST_TEST(lost.status == 503);
  BOOST_TEST(lost.body["error"].asString() == "database unavailable");
  BOOST_TEST(runs == 1);  // not run again without a database to run on
}

BOOST_AUTO_TEST_SUITE_END()
