#include "config/config.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <set>
#include <sstream>

using ez::config::ConfigError;
using ez::config::Environment;
using ez::config::resolve;

namespace {

std::string value_of(const ez::config::Loaded& l, const std::string& key) {
  for (const auto& [k, v] : l.effective)
    if (k == key) return v;
  return "<missing>";
}

std::string error_key(const Environment& env, const std::string& yaml) {
  try {
    (void)resolve(env, yaml, std::string("test.yaml"));
  } catch (const ConfigError& e) {
    return e.key();
  }
  return "<no error>";
}

}  // namespace

BOOST_AUTO_TEST_SUITE(config)

BOOST_AUTO_TEST_CASE(env_beats_file_beats_default) {
  Environment env{{"EZ_API_PORT", "9001"}};
  auto l = resolve(env, std::string("server:\n  port: 9000\nredis:\n  addr: file-host:7000\n"),
                   std::string("t.yaml"));
  BOOST_TEST(l.settings.server_port == 9001);        // env wins
  BOOST_TEST(l.settings.redis_host == "file-host");  // file beats default
  BOOST_TEST(l.settings.redis_port == 7000);
  BOOST_TEST(l.settings.log_batch_size == 10);  // default
  BOOST_TEST(value_of(l, "server.port") == "9001  # env");
  BOOST_TEST(value_of(l, "redis.addr") == "file-host:7000  # file");
  BOOST_TEST(value_of(l, "log.batch_size") == "10  # default");
}

BOOST_AUTO_TEST_CASE(bad_values_name_the_key) {
  BOOST_TEST(error_key({{"EZ_LOG_LEVEL", "verbose"}}, "") == "log.level");
  BOOST_TEST(error_key({{"EZ_LOG_BATCH_SIZE", "-5"}}, "") == "log.batch_size");
  BOOST_TEST(error_key({{"EZ_LOG_QUEUE", "99999999999999999999999"}}, "") == "log.queue_capacity");
  BOOST_TEST(error_key({{"EZ_WORKERS", "two"}}, "") == "workers.count");
  BOOST_TEST(error_key({{"EZ_REDIS_ADDR", "nohostport"}}, "") == "redis.addr");
  BOOST_TEST(error_key({{"EZ_PG_DSN", "host='unterminated"}}, "") == "postgres.dsn");
  BOOST_TEST(error_key({}, "server:\n  prot: 1\n") == "server.prot");  // typo
  BOOST_TEST(error_key({}, "server: [unclosed\n") == "test.yaml");
}

BOOST_AUTO_TEST_CASE(production_refuses_default_secrets) {
  BOOST_TEST(error_key({{"EZ_SERVER_MODE", "production"}}, "") == "auth.jwt_secret");
  Environment ok{{"EZ_SERVER_MODE", "production"},
                 {"EZ_AUTH_JWT_SECRET", std::string(40, 'x')},
                 {"EZ_ADMIN_TOKEN", std::string(20, 'a')},
                 {"EZ_INTERNAL_TOKEN", std::string(20, 'i')}};
  BOOST_TEST(resolve(ok, std::nullopt, std::nullopt).settings.production());
  Environment no_admin = ok;
  no_admin["EZ_ADMIN_TOKEN"] = "";
  BOOST_TEST(error_key(no_admin, "") == "auth.admin_token");
}

BOOST_AUTO_TEST_CASE(secrets_are_masked) {
  Environment env{{"EZ_ADMIN_TOKEN", "supersecretadmintoken"}};
  auto l = resolve(env, std::nullopt, std::nullopt);
  BOOST_TEST(value_of(l, "auth.admin_token").find("supersecretadmintoken") == std::string::npos);
  BOOST_TEST(ez::config::render_effective(l).find("supersecret") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(lists_and_octal) {
  auto l = resolve({},
                   std::string("http:\n  allowed_networks: [10.0.0.0/8, 127.0.0.1/32]\n"
                               "fastcgi:\n  socket_mode: \"0600\"\n"),
                   std::string("t.yaml"));
  BOOST_TEST(l.settings.allowed_networks == "10.0.0.0/8 127.0.0.1/32");
  BOOST_TEST(l.settings.fastcgi_socket_mode == 0600);
}

BOOST_AUTO_TEST_CASE(backpressure_and_batch_growth_keys) {
  auto d = resolve({}, std::nullopt, std::nullopt).settings;
  BOOST_TEST(d.log_enqueue_wait_ms == 1000);
  BOOST_TEST(d.log_batch_max == 5000);
  auto l = resolve({{"EZ_LOG_ENQUEUE_WAIT_MS", "0"}, {"EZ_LOG_BATCH_MAX", "20000"}}, std::nullopt,
                   std::nullopt)
               .settings;
  BOOST_TEST(l.log_enqueue_wait_ms == 0);  // 0: refuse at once, the old behaviour
  BOOST_TEST(l.log_batch_max == 20000);
  // A max below batch_size is raised to it: the count never shrinks under a backlog.
  BOOST_TEST(resolve({{"EZ_LOG_BATCH_SIZE", "800"}, {"EZ_LOG_BATCH_MAX", "100"}}, std::nullopt,
                     std::nullopt)
                 .settings.log_batch_max == 800);
  BOOST_TEST(error_key({{"EZ_LOG_ENQUEUE_WAIT_MS", "-1"}}, "") == "log.enqueue_wait_ms");
  BOOST_TEST(error_key({{"EZ_LOG_BATCH_MAX", "0"}}, "") == "log.batch_max");
  // A wait the request timeout would cut short is a configuration mistake.
  BOOST_TEST(error_key({{"EZ_LOG_ENQUEUE_WAIT_MS", "5000"},
                        {"EZ_WORKERS_INGEST_REQUEST_TIMEOUT_MS", "5000"}},
                       "") == "log.enqueue_wait_ms");
}

BOOST_AUTO_TEST_CASE(ingest_pool_keys) {
  auto d = resolve({}, std::nullopt, std::nullopt).settings;
  BOOST_TEST(d.workers_ingest_count == 2);
  BOOST_TEST(d.workers_ingest_request_timeout_ms == 10000);
  BOOST_TEST(d.fastcgi_ingest_socket == "/run/ezapi/ezapi-ingest.sock");
  auto f = resolve({},
                   std::string("workers:\n  count: 3\n  ingest:\n    count: 5\n"
                               "    request_timeout_ms: 2500\n"
                               "fastcgi:\n  ingest_socket: /tmp/i.sock\n"),
                   std::string("t.yaml"))
               .settings;
  BOOST_TEST(f.workers_count == 3);  // the admin pool
  BOOST_TEST(f.workers_ingest_count == 5);
  BOOST_TEST(f.workers_ingest_request_timeout_ms == 2500);
  BOOST_TEST(f.fastcgi_ingest_socket == "/tmp/i.sock");
  BOOST_TEST(error_key({{"EZ_WORKERS_INGEST", "0"}}, "") == "workers.ingest.count");
  // One socket per pool: the same path twice would mix the traffic classes again.
  BOOST_TEST(error_key({{"EZ_FASTCGI_INGEST_SOCKET", "/run/ezapi/ezapi.sock"}}, "") ==
             "fastcgi.ingest_socket");
}

// The shipped example must parse and document every key the code knows.
BOOST_AUTO_TEST_CASE(example_config_documents_every_key) {
  std::ifstream in(std::string(EZ_SOURCE_DIR) + "/conf/config.example.yaml");
  BOOST_REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  auto l = resolve({}, text.str(), std::string("config.example.yaml"));
  for (const auto& spec : ez::config::key_specs()) {
    BOOST_TEST_CONTEXT(spec.key) {
      BOOST_TEST(value_of(l, spec.key).find("# file") != std::string::npos);
      BOOST_TEST(text.str().find(std::string("[") + spec.env + "]") != std::string::npos);
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()
