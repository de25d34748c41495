// Tests for workers/process/prefork/pools.*: which settings make up each traffic-class pool.
#include "prefork/pools.h"

#include <boost/test/unit_test.hpp>

#include "config/config.h"

using ez::prefork::Pool;
using ez::prefork::pool_spec;

BOOST_AUTO_TEST_SUITE(prefork_pools)

BOOST_AUTO_TEST_CASE(each_pool_has_its_own_count_socket_and_timeout) {
  const auto s = ez::config::resolve({{"EZ_WORKERS", "3"},
                                      {"EZ_WORKERS_INGEST", "5"},
                                      {"EZ_WORKERS_REQUEST_TIMEOUT_MS", "20000"},
                                      {"EZ_WORKERS_INGEST_REQUEST_TIMEOUT_MS", "4000"},
                                      {"EZ_WORKERS_MAX_REQUESTS", "77"},
                                      {"EZ_FASTCGI_SOCKET", "/tmp/a.sock"},
                                      {"EZ_FASTCGI_INGEST_SOCKET", "/tmp/i.sock"}},
                                     std::nullopt, std::nullopt)
                     .settings;
  const auto a = pool_spec(s, Pool::admin);
  const auto i = pool_spec(s, Pool::ingest);
  BOOST_TEST((a.pool == Pool::admin));
  BOOST_TEST(a.count == 3);
  BOOST_TEST(a.request_timeout_ms == 20000);
  BOOST_TEST(a.socket == "/tmp/a.sock");
  BOOST_TEST((i.pool == Pool::ingest));
  BOOST_TEST(i.count == 5);
  BOOST_TEST(i.request_timeout_ms == 4000);
  BOOST_TEST(i.socket == "/tmp/i.sock");
  BOOST_TEST(a.max_requests == 77);  // shared
  BOOST_TEST(i.max_requests == 77);
}

BOOST_AUTO_TEST_SUITE_END()
