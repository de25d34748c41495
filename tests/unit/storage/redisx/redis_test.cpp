// Tests for workers/storage/redisx/reply.h (in redis.cpp): how the Redis client reads Redis and
// Sentinel replies, on replies built by hand (no server): the Sentinel's master address, ROLE,
// READONLY, PING.
#include <boost/test/unit_test.hpp>
#include <deque>
#include <string>
#include <vector>

#include "redisx/reply.h"

using ez::redisx::HostPort;

namespace {

// Owns hand-built replies (hiredis' own are freed with freeReplyObject; these never are).
class Replies {
 public:
  redisReply* str(const std::string& s, int type = REDIS_REPLY_STRING) {
    texts_.push_back(s);
    redisReply& r = make(type);
    r.str = texts_.back().data();
    r.len = texts_.back().size();
    return &r;
  }
  redisReply* status(const std::string& s) { return str(s, REDIS_REPLY_STATUS); }
  redisReply* error(const std::string& s) { return str(s, REDIS_REPLY_ERROR); }
  redisReply* integer(long long v) {
    redisReply& r = make(REDIS_REPLY_INTEGER);
    r.integer = v;
    return &r;
  }
  redisReply* nil() { return &make(REDIS_REPLY_NIL); }
  redisReply* array(std::vector<redisReply*> items) {
    arrays_.push_back(std::move(items));
    redisReply& r = make(REDIS_REPLY_ARRAY);
    r.elements = arrays_.back().size();
    r.element = arrays_.back().data();
    return &r;
  }

 private:
  redisReply& make(int type) {
    replies_.push_back(redisReply{});
    replies_.back().type = type;
    return replies_.back();
  }
  std::deque<redisReply> replies_;  // deque: pointers stay valid as it grows
  std::deque<std::string> texts_;
  std::deque<std::vector<redisReply*>> arrays_;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(redis_replies)

BOOST_AUTO_TEST_CASE(the_sentinels_master_address_is_a_host_and_a_port_string) {
  Replies r;
  const auto where = ez::redisx::parse_sentinel_master(r.array({r.str("10.0.0.7"), r.str("6380")}));
  BOOST_REQUIRE(where.has_value());
  BOOST_TEST(where->host == "10.0.0.7");
  BOOST_TEST(where->port == 6380);
  // Anything else means "ask the next Sentinel", never a wrong address.
  const std::vector<std::pair<const char*, redisReply*>> refused = {
      {"nil: unknown master", r.nil()},
      {"null reply (connection lost)", nullptr},
      {"error", r.error("ERR unknown command")},
      {"one element", r.array({r.str("10.0.0.7")})},
      {"three elements", r.array({r.str("h"), r.str("6379"), r.str("x")})},
      {"integer port", r.array({r.str("h"), r.integer(6379)})},
      {"port 0", r.array({r.str("h"), r.str("0")})},
      {"port above 65535", r.array({r.str("h"), r.str("65536")})},
      {"port not a number", r.array({r.str("h"), r.str("redis")})},
      {"nil host", r.array({r.nil(), r.str("6379")})},
  };
  for (const auto& [name, reply] : refused)
    BOOST_TEST(!ez::redisx::parse_sentinel_master(reply).has_value(), name);
  const auto edge = ez::redisx::parse_sentinel_master(r.array({r.str("h"), r.str("65535")}));
  BOOST_TEST((edge && edge->port == 65535));
}

BOOST_AUTO_TEST_CASE(only_a_node_that_says_master_is_written_to) {
  Replies r;
  BOOST_TEST(
      ez::redisx::role_is_master(r.array({r.str("master"), r.integer(3129659), r.array({})})));
  BOOST_TEST(!ez::redisx::role_is_master(
      r.array({r.str("slave"), r.str("10.0.0.7"), r.integer(6379), r.str("connected")})));
  BOOST_TEST(!ez::redisx::role_is_master(r.array({r.str("sentinel"), r.array({})})));
  BOOST_TEST(!ez::redisx::role_is_master(r.array({})));
  BOOST_TEST(!ez::redisx::role_is_master(r.error("ERR unknown command 'ROLE'")));
  BOOST_TEST(!ez::redisx::role_is_master(r.str("master")));  // not inside an array
  BOOST_TEST(!ez::redisx::role_is_master(r.array({r.str("masters")})));
  BOOST_TEST(!ez::redisx::role_is_master(nullptr));
}

BOOST_AUTO_TEST_CASE(readonly_errors_are_told_from_other_errors) {
  Replies r;
  BOOST_TEST(ez::redisx::is_readonly_error(
      r.error("READONLY You can't write against a read only replica.")));
  BOOST_TEST(ez::redisx::is_readonly_error(r.error("READONLY")));
  BOOST_TEST(!ez::redisx::is_readonly_error(r.error("READONL")));  // too short to be it
  BOOST_TEST(!ez::redisx::is_readonly_error(r.error("ERR wrong number of arguments")));
  BOOST_TEST(!ez::redisx::is_readonly_error(r.str("READONLY")));  // a value, not an error
  BOOST_TEST(!ez::redisx::is_readonly_error(r.status("READONLY")));
  BOOST_TEST(!ez::redisx::is_readonly_error(nullptr));
}

BOOST_AUTO_TEST_CASE(ping_is_answered_by_a_status_or_a_string) {
  Replies r;
  std::string why = "untouched";
  BOOST_TEST(ez::redisx::ping_reply_ok(r.status("PONG"), &why));
  BOOST_TEST(ez::redisx::ping_reply_ok(r.str("PONG"), &why));  // RESP3 / inside MULTI
  BOOST_TEST(why == "untouched");
  BOOST_TEST(!ez::redisx::ping_reply_ok(r.error("LOADING Redis is loading the dataset"), &why));
  BOOST_TEST(why == "LOADING Redis is loading the dataset");  // the server's own words
  BOOST_TEST(!ez::redisx::ping_reply_ok(r.integer(1), &why));
  BOOST_TEST(why == "bad reply");
  BOOST_TEST(!ez::redisx::ping_reply_ok(nullptr, nullptr));
}

BOOST_AUTO_TEST_SUITE_END()
