// Tests for workers/transport/api/logs_handler.*: POST /logs without FastCGI or auth.
#include "api/logs_handler.h"

#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "http/error.h"
#include "http/response.h"
#include "logq/entry.h"

using ez::api::accept_logs;
using ez::http::ApiError;
using ez::http::ErrorCode;
using ez::http::Request;
using ez::logq::Ring;

namespace {

struct TempRing {
  std::string name;
  Ring ring;
  TempRing(uint64_t entries, uint64_t bytes)
      : name(make_name()), ring(Ring::open({name, entries, bytes})) {}
  ~TempRing() { Ring::remove(name); }
  static std::string make_name() {
    static int n = 0;
    std::string s = "/ezlogs-handler-test-" + std::to_string(getpid()) + "-" + std::to_string(++n);
    Ring::remove(s);
    return s;
  }
};

Request post(std::string body, std::string content_type = "application/json") {
  Request r;
  r.method = "POST";
  r.path = "/logs";
  r.body = std::move(body);
  if (!content_type.empty()) r.headers["content-type"] = std::move(content_type);
  return r;
}

ApiError error_of(Ring* ring, const Request& req) {
  try {
    (void)accept_logs(ring, req);
  } catch (const ApiError& e) {
    return e;
  }
  BOOST_FAIL("expected an ApiError");
  throw;
}

std::string retry_after_of(const ez::http::Response& r) {
  for (const auto& [name, value] : r.headers)
    if (name == "Retry-After") return value;
  return "";
}

ApiError error_of_wait(Ring* ring, const Request& req, std::chrono::milliseconds wait) {
  try {
    (void)accept_logs(ring, req, wait);
  } catch (const ApiError& e) {
    return e;
  }
  BOOST_FAIL("expected an ApiError");
  throw;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(logs_handler)

BOOST_AUTO_TEST_CASE(object_array_and_ndjson_are_accepted) {
  TempRing t(100, 1 << 16);
  auto r1 = accept_logs(&t.ring, post(R"({"request_id":"one","status_code":200})"));
  BOOST_TEST(r1.status == 202);
  BOOST_TEST(r1.body.rfind(R"({"accepted":1})", 0) == 0u);
  auto r2 = accept_logs(&t.ring, post(R"([{"request_id":"a"},{"request_id":"b"}])"));
  BOOST_TEST(r2.body.rfind(R"({"accepted":2})", 0) == 0u);
  auto r3 = accept_logs(
      &t.ring, post("{\"request_id\":\"x\"}\n{\"request_id\":\"y\"}\n{\"request_id\":\"z\"}\n",
                    "application/x-ndjson; charset=utf-8"));
  BOOST_TEST(r3.body.rfind(R"({"accepted":3})", 0) == 0u);
  auto r4 = accept_logs(&t.ring, post(R"({"request_id":"no-type"})", ""));
  BOOST_TEST(r4.status == 202);
  BOOST_TEST(t.ring.stats().enqueued == 7u);
  BOOST_TEST(t.ring.stats().enqueued_requests == 4u);

  // What reached the queue is the validated entry, in column order.
  ez::logq::Consumer c(t.ring);
  std::vector<ez::logq::Consumer::Entry> got;
  BOOST_REQUIRE(c.poll(got, 10) == 7u);
  ez::logq::EncodedFields f;
  BOOST_REQUIRE(ez::logq::decode(got[0].data, f));
  BOOST_TEST(*f[2] == "one");
  BOOST_TEST(*f[11] == "200");
  BOOST_REQUIRE(ez::logq::decode(got[5].data, f));
  BOOST_TEST(*f[2] == "z");
}

BOOST_AUTO_TEST_CASE(a_bad_entry_rejects_the_whole_request) {
  TempRing t(100, 1 << 16);
  auto e = error_of(
      &t.ring,
      post(R"([{"request_id":"a"},{"request_id":"b"},{"request_id":"c","status_code":42}])"));
  BOOST_TEST((e.code() == ErrorCode::invalid_field));
  BOOST_TEST(e.field() == "[2].status_code");
  BOOST_TEST(std::string(e.what()).find("entry 2") != std::string::npos);
  auto m =
      error_of(&t.ring, post("{\"request_id\":\"a\"}\n{\"model\":\"m\"}", "application/x-ndjson"));
  BOOST_TEST((m.code() == ErrorCode::missing_field));
  BOOST_TEST(m.field() == "[1].request_id");
  auto j = error_of(&t.ring, post(R"([{"request_id":"a"},)"));
  BOOST_TEST((j.code() == ErrorCode::bad_json));
  BOOST_TEST(t.ring.stats().enqueued == 0u);
  BOOST_TEST(t.ring.stats().depth_entries == 0u);
}

BOOST_AUTO_TEST_CASE(full_queue_is_503_with_retry_after_and_nothing_queued) {
  TempRing t(3, 1 << 16);
  BOOST_TEST(accept_logs(&t.ring, post(R"([{"request_id":"a"},{"request_id":"b"}])")).status ==
             202);
  auto e = error_of(&t.ring, post(R"([{"request_id":"c"},{"request_id":"d"}])"));
  BOOST_TEST((e.code() == ErrorCode::queue_full));
  BOOST_TEST(e.retry_after() == 1);
  BOOST_TEST(ez::http::to_response(e).status == 503);
  BOOST_TEST(t.ring.stats().depth_entries == 2u);
  BOOST_TEST(t.ring.stats().refused == 2u);
  // One more still fits.
  BOOST_TEST(accept_logs(&t.ring, post(R"({"request_id":"c"})")).status == 202);
  // More than the queue holds at all: 413, not an endless 503.
  auto big = error_of(
      &t.ring,
      post(R"([{"request_id":"a"},{"request_id":"b"},{"request_id":"c"},{"request_id":"d"}])"));
  BOOST_TEST((big.code() == ErrorCode::payload_too_large));
  auto no_queue = error_of(nullptr, post(R"({"request_id":"a"})"));
  BOOST_TEST((no_queue.code() == ErrorCode::queue_full));
}

BOOST_AUTO_TEST_CASE(a_full_queue_is_waited_on_before_503) {
  TempRing t(2, 1 << 16);
  BOOST_REQUIRE(accept_logs(&t.ring, post(R"([{"request_id":"a"},{"request_id":"b"}])")).status ==
                202);
  // Nobody frees space: refused after the wait, with Retry-After.
  auto e = error_of_wait(&t.ring, post(R"({"request_id":"c"})"), std::chrono::milliseconds{100});
  BOOST_TEST((e.code() == ErrorCode::queue_full));
  BOOST_TEST(retry_after_of(ez::http::to_response(e)) == "1");
  BOOST_TEST(t.ring.stats().waited_requests == 1u);
  // A consumer frees space during the wait: accepted.
  std::thread consumer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
    ez::logq::Consumer c(t.ring);
    std::vector<ez::logq::Consumer::Entry> got;
    BOOST_TEST(c.poll(got, 10) == 2u);
    c.release(got.back().seq);
  });
  auto r = accept_logs(&t.ring, post(R"({"request_id":"d"})"), std::chrono::seconds{20});
  consumer.join();
  BOOST_TEST(r.status == 202);
  BOOST_TEST(t.ring.stats().waited_requests == 2u);
}

// Every 503 tells the client when to come back, not only the queue's.
BOOST_AUTO_TEST_CASE(every_503_carries_retry_after) {
  const auto r = ez::http::to_response(ApiError(ErrorCode::unavailable, "database unavailable"));
  BOOST_TEST(r.status == 503);
  BOOST_TEST(retry_after_of(r) == "1");
  BOOST_TEST(retry_after_of(ez::http::to_response(ApiError(ErrorCode::not_found, "x"))) == "");
}

BOOST_AUTO_TEST_CASE(bytes_beyond_the_queue_are_413) {
  TempRing t(1000, 4096);
  const std::string msg(3000, 'e');
  auto e = error_of(&t.ring, post(R"([{"request_id":"a","error_message":")" + msg +
                                  R"("},{"request_id":"b","error_message":")" + msg + "\"}]"));
  BOOST_TEST((e.code() == ErrorCode::payload_too_large));
}

BOOST_AUTO_TEST_CASE(other_media_types_are_415) {
  TempRing t(10, 4096);
  auto e = error_of(&t.ring, post(R"({"request_id":"a"})", "text/xml"));
  BOOST_TEST((e.code() == ErrorCode::unsupported_media));
  BOOST_TEST(accept_logs(&t.ring, post(R"({"request_id":"a"})", "Application/JSON; charset=UTF-8"))
                 .status == 202);
}

BOOST_AUTO_TEST_SUITE_END()
