#include "config/config.h"

#include <boost/test/unit_test.hpp>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

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
// names the key.
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

// The example env file exactly as shipped: every secret in it is a placeholder that a
// production server refuses, naming that key.
BOOST_AUTO_TEST_CASE(shipped_env_example_does_not_start_in_production) {
  std::ifstream in(std::string(EZ_SOURCE_DIR) + "/conf/ezapi.env.example");
  BOOST_REQUIRE(in.good());
  Environment example;
  std::string line;
  while (std::getline(in, line))
    if (!line.empty() && line[0] != '#' && line.find('=') != std::string::npos)
      example[line.substr(0, line.find('='))] = line.substr(line.find('=') + 1);
  BOOST_REQUIRE(example.at("EZ_SERVER_MODE") == "production");
  const Environment good{{"EZ_AUTH_JWT_SECRET", std::string(32, 'x')},
                         {"EZ_ADMIN_TOKEN", std::string(16, 'a')},
                         {"EZ_INTERNAL_TOKEN", std::string(16, 'i')},
                         {"EZ_PG_DSN", "host=db user=ezapi password=twelve-chars"}};
  const std::map<std::string, std::string> key_of = {{"EZ_AUTH_JWT_SECRET", "auth.jwt_secret"},
                                                     {"EZ_ADMIN_TOKEN", "auth.admin_token"},
                                                     {"EZ_INTERNAL_TOKEN", "auth.internal_token"},
                                                     {"EZ_PG_DSN", "postgres.dsn"}};
  BOOST_TEST(error_key(example, "") != "<no error>");
  for (const auto& [env, key] : key_of) {
    BOOST_TEST_CONTEXT(env) {
      Environment e = example;
      for (const auto& [k, v] : good)
        if (k != env) e[k] = v;
      BOOST_TEST(error_key(e, "") == key);
    }
  }
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
  BOOST_TEST(d.workers_ingest_request_timeout_ms == 30000);
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

BOOST_AUTO_TEST_SUITE(config_cluster)

BOOST_AUTO_TEST_CASE(sentinels_from_env_and_file) {
  Environment env{{"EZ_REDIS_SENTINELS", "127.0.0.1:26379, 127.0.0.1:26380,h3:26381"},
                  {"EZ_REDIS_MASTER_NAME", "ezapi"}};
  auto l = resolve(env, std::nullopt, std::nullopt);
  BOOST_REQUIRE(l.settings.redis_sentinels.size() == 3u);
  BOOST_TEST(l.settings.redis_sentinels[1].first == "127.0.0.1");
  BOOST_TEST(l.settings.redis_sentinels[1].second == 26380);
  BOOST_TEST(l.settings.redis_sentinels[2].first == "h3");
  BOOST_TEST(l.settings.redis_master_name == "ezapi");
  auto f = resolve({}, std::string("redis:\n  sentinels: [a:1, b:2]\n  master_name: m\n"),
                   std::string("t.yaml"));
  BOOST_TEST(f.settings.redis_sentinels.size() == 2u);
  // Without Sentinels, redis.addr as before.
  BOOST_TEST(resolve({}, std::nullopt, std::nullopt).settings.redis_sentinels.empty());
}

BOOST_AUTO_TEST_CASE(bad_cluster_settings_name_their_key) {
  BOOST_TEST(error_key({{"EZ_REDIS_SENTINELS", "a:1"}}, "") == "redis.master_name");
  BOOST_TEST(error_key({{"EZ_REDIS_SENTINELS", "nope"}, {"EZ_REDIS_MASTER_NAME", "m"}}, "") ==
             "redis.sentinels");
  BOOST_TEST(error_key({{"EZ_REDIS_SENTINELS", "a:0"}, {"EZ_REDIS_MASTER_NAME", "m"}}, "") ==
             "redis.sentinels");
  BOOST_TEST(error_key({{"EZ_PG_READ_DSN", "host='unterminated"}}, "") == "postgres.read_dsn");
}

BOOST_AUTO_TEST_CASE(multi_host_dsn_is_accepted) {
  Environment env{{"EZ_PG_DSN",
                   "host=127.0.0.1,127.0.0.1 port=5432,5433 dbname=ezapi "
                   "target_session_attrs=read-write"}};
  BOOST_TEST(resolve(env, std::nullopt, std::nullopt).settings.pg_dsn == env["EZ_PG_DSN"]);
}

// The configuration tables of README.md (every key) and docs/architecture.md (a selection)
// are the operator's reference: each row names a key of the code's table, its environment
// variable and its default (a cell may explain it after the value: "0 (= 1 KiB x capacity)";
// an empty default reads "(empty)" or "(empty = ...)").
static std::map<std::string, std::pair<std::string, std::string>> config_table(
    const std::string& file) {
  std::ifstream in(std::string(EZ_SOURCE_DIR) + "/" + file);
  BOOST_REQUIRE(in);
  std::map<std::string, std::pair<std::string, std::string>> rows;  // key -> env, default
  std::string line;
  bool inside = false;
  while (std::getline(in, line)) {
    if (line.rfind("| key | env | default | meaning |", 0) == 0) {
      inside = true;
      continue;
    }
    if (!inside) continue;
    if (line.empty() || line[0] != '|') break;
    if (line.rfind("|---", 0) == 0) continue;
    std::vector<std::string> cells;
    std::string cur;
    for (size_t i = 1; i < line.size(); ++i) {
      if (line[i] != '|') {
        cur += line[i];
        continue;
      }
      const size_t b = cur.find_first_not_of(' '), e = cur.find_last_not_of(' ');
      cells.push_back(b == std::string::npos ? "" : cur.substr(b, e - b + 1));
      cur.clear();
    }
    BOOST_REQUIRE_MESSAGE(cells.size() >= 3, line);
    BOOST_TEST(rows.emplace(cells[0], std::pair{cells[1], cells[2]}).second, "twice: " << line);
  }
  BOOST_REQUIRE(!rows.empty());
  return rows;
}

static void check_row(const ez::config::KeySpec& spec,
                      const std::pair<std::string, std::string>& row) {
  BOOST_TEST(row.first == spec.env);
  const std::string& cell = row.second;
  const std::string fallback = spec.fallback;
  if (fallback.empty())
    BOOST_TEST(cell.rfind("(empty", 0) == 0u, cell);
  else
    BOOST_TEST(cell.substr(0, cell.find(" (")) == fallback);
}

BOOST_AUTO_TEST_CASE(documented_config_tables_match_the_code) {
  for (const char* file : {"README.md", "docs/architecture.md"}) {
    auto rows = config_table(file);
    for (const auto& spec : ez::config::key_specs()) {
      BOOST_TEST_CONTEXT(file << ": " << spec.key) {
        const auto it = rows.find(spec.key);
        if (it == rows.end()) {
          BOOST_TEST(std::string(file) != "README.md", "no row for " << spec.key);
          continue;
        }
        check_row(spec, it->second);
        rows.erase(it);
      }
    }
    for (const auto& [key, _] : rows)
      BOOST_TEST(false, file << " documents an unknown key " << key);
  }
}

BOOST_AUTO_TEST_SUITE_END()
