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

// conf/ezapi.env.example as shipped must not start a production server, and each refusal
// names the key (issue 11).
BOOST_AUTO_TEST_CASE(production_refuses_placeholders_short_and_shared_secrets) {
  const Environment good{{"EZ_SERVER_MODE", "production"},
                         {"EZ_AUTH_JWT_SECRET", std::string(32, 'x')},
                         {"EZ_ADMIN_TOKEN", std::string(16, 'a')},
                         {"EZ_INTERNAL_TOKEN", std::string(16, 'i')},
                         {"EZ_PG_DSN", "host=db dbname=ezapi user=ezapi password=twelve-chars"}};
  BOOST_TEST(error_key(good, "") == "<no error>");
  auto with = [&](const std::string& env, const std::string& value) {
    Environment e = good;
    e[env] = value;
    return error_key(e, "");
  };
  // The example file's placeholders, each padded past the minimum length.
  BOOST_TEST(with("EZ_AUTH_JWT_SECRET", "CHANGE_ME_to_at_least_32_random_characters") ==
             "auth.jwt_secret");
  BOOST_TEST(with("EZ_ADMIN_TOKEN", "CHANGE_ME_admin_token") == "auth.admin_token");
  BOOST_TEST(with("EZ_INTERNAL_TOKEN", "CHANGE_ME_internal_token") == "auth.internal_token");
  BOOST_TEST(with("EZ_ADMIN_TOKEN", "change_me_admin_token_lower") == "auth.admin_token");
  BOOST_TEST(with("EZ_PG_DSN", "host=db dbname=ezapi user=ezapi password=CHANGE_ME_later_on") ==
             "postgres.dsn");
  BOOST_TEST(with("EZ_AUTH_JWT_SECRET", "change_me_in_production") == "auth.jwt_secret");
  // The Ansible role's minimums: 32, 16, 16, 12 characters.
  BOOST_TEST(with("EZ_AUTH_JWT_SECRET", std::string(31, 'x')) == "auth.jwt_secret");
  BOOST_TEST(with("EZ_ADMIN_TOKEN", std::string(15, 'a')) == "auth.admin_token");
  BOOST_TEST(with("EZ_INTERNAL_TOKEN", std::string(15, 'i')) == "auth.internal_token");
  BOOST_TEST(with("EZ_PG_DSN", "host=db user=ezapi password=eleven-char") == "postgres.dsn");
  BOOST_TEST(with("EZ_PG_DSN", "host=/run/postgresql user=ezapi") == "<no error>");
  // One token for both roles would let the balancer administer the gateway.
  BOOST_TEST(with("EZ_ADMIN_TOKEN", std::string(16, 'i')) == "auth.admin_token");
  // Dev mode keeps working with the defaults.
  BOOST_TEST(error_key({{"EZ_ADMIN_TOKEN", "CHANGE_ME"}}, "") == "<no error>");
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
