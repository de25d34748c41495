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

BOOST_AUTO_TEST_SUITE(config_values)

// Before: each of these started with a silently useless setting.
BOOST_AUTO_TEST_CASE(bad_networks_stop_start_up_naming_the_key) {
  for (const char* nets : {"banana", "10.0.0.1/8", "127.0.0.1/33", "10.0.0.0/x", "::1/129",
                           "fd00::1/8", "127.0.0.1/32 banana", ""}) {
    BOOST_TEST(error_key({{"EZ_ALLOWED_NETWORKS", nets}}, "") == "http.allowed_networks", nets);
  }
  for (const char* nets : {"10.0.0.0/8", "127.0.0.1", "127.0.0.1/32 ::1/128", "fd00::/8",
                           "0.0.0.0/0", "192.168.1.128/25"}) {
    BOOST_TEST(error_key({{"EZ_ALLOWED_NETWORKS", nets}}, "") == "<no error>", nets);
  }
  try {
    (void)resolve({{"EZ_ALLOWED_NETWORKS", "10.0.0.1/8"}}, std::nullopt, std::nullopt);
    BOOST_FAIL("accepted");
  } catch (const ConfigError& e) {
    BOOST_TEST(std::string(e.what()).find("10.0.0.0/8") != std::string::npos, e.what());
    BOOST_TEST(std::string(e.what()).find('\n') == std::string::npos);  // one line
  }
}

BOOST_AUTO_TEST_CASE(an_empty_dsn_host_stops_start_up) {
  for (const char* dsn :
       {"host= dbname=ezapi", "hostaddr= dbname=ezapi", "host=''",
        "dbname=ezapi host=", "postgresql://:5432/ezapi", "postgresql://u@:5432/ezapi"})
    BOOST_TEST(error_key({{"EZ_PG_DSN", dsn}}, "") == "postgres.dsn", dsn);
  for (const char* dsn : {"host=db dbname=ezapi", "dbname=ezapi", "postgresql://db:5432/ezapi",
                          "postgresql://u:p@db/ezapi"})
    BOOST_TEST(error_key({{"EZ_PG_DSN", dsn}}, "") == "<no error>", dsn);
}

BOOST_AUTO_TEST_CASE(check_config_masks_only_the_dsn_password) {
  auto l =
      resolve({{"EZ_PG_DSN", "host=db.internal port=6543 dbname=ez user=app password=hunter2"}},
              std::nullopt, std::nullopt);
  const std::string dsn = value_of(l, "postgres.dsn");
  BOOST_TEST(dsn.find("hunter2") == std::string::npos, dsn);
  for (const char* part :
       {"host=db.internal", "port=6543", "dbname=ez", "user=app", "password=****"})
    BOOST_TEST(dsn.find(part) != std::string::npos, dsn);

  l = resolve({{"EZ_PG_DSN", "postgresql://app:s3cr%20et@db:5432/ez"}}, std::nullopt, std::nullopt);
  const std::string uri = value_of(l, "postgres.dsn");
  BOOST_TEST(uri.find("s3cr") == std::string::npos, uri);
  BOOST_TEST(uri.find("host=db") != std::string::npos, uri);
  BOOST_TEST(uri.find("password=****") != std::string::npos, uri);
}

BOOST_AUTO_TEST_CASE(a_missing_file_names_where_its_path_came_from) {
  try {
    (void)ez::config::load(std::string("/missing.yaml"));
    BOOST_FAIL("loaded");
  } catch (const ConfigError& e) {
    BOOST_TEST(e.key() == "--config");
    BOOST_TEST(std::string(e.what()).find("/missing.yaml") != std::string::npos);
  }
}

BOOST_AUTO_TEST_SUITE_END()
