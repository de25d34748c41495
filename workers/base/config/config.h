// Layered configuration: environment > config file > defaults.
//
// The file is YAML (yaml-cpp), flattened to dotted keys and stacked with the
// environment and the built-in defaults in a Poco::Util::LayeredConfiguration.
// Every key has exactly one env name; the table in config.cpp is the single
// source of truth for keys, env names, defaults and which values are secret.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace ez::config {

// A bad value or a missing file: start-up stops with one line naming the key.
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string key, const std::string& message)
      : std::runtime_error(key + ": " + message), key_(std::move(key)) {}
  const std::string& key() const { return key_; }

 private:
  std::string key_;
};

struct KeySpec {
  const char* key;       // dotted key in the YAML file
  const char* env;       // environment variable
  const char* fallback;  // default value, as text
  bool secret;           // masked by --check-config
  const char* help;      // one line, mirrored in conf/config.example.yaml
};

// All known keys, in display order.
const std::vector<KeySpec>& key_specs();

struct Settings {
  // server
  int server_port = 8080;
  std::string server_mode = "dev";  // dev | production
  std::string shm_prefix = "/ezapi";
  // postgres / redis
  std::string pg_dsn;
  std::string redis_host = "localhost";
  int redis_port = 6379;
  int redis_db = 0;
  std::string redis_username;           // empty: AUTH password (the default user)
  std::string redis_password;           // empty: no AUTH
  std::string redis_sentinel_password;  // empty: no AUTH to the Sentinels
  // log pipeline
  int64_t log_queue_capacity = 10000;
  int64_t log_queue_bytes = 0;
  int log_batch_size = 10;
  int log_flush_ms = 1000;
  std::string log_level = "info";
  int log_retention_days = 30;
  // auth
  std::string jwt_secret;
  std::string admin_token;
  std::string internal_token;
  // worker pool
  int workers_count = 2;
  int64_t workers_max_requests = 10000;
  int workers_request_timeout_ms = 30000;
  std::string fastcgi_socket;
  int fastcgi_socket_mode = 0660;
  int fastcgi_backlog = 1024;
  // http
  int64_t http_max_body_bytes = 8 << 20;
  std::string allowed_networks;
  // sync
  int outbox_replay_ms = 1000;
  // Sync is degraded past this (snapshot/health.h).
  int sync_degraded_after_s = 60;
  // usage and log search
  int log_rollup_retention_days = 400;
  int usage_max_window_days = 400;
  int usage_logs_max_window_days = 31;
  int64_t usage_export_max_rows = 1'000'000;
  // several hosts (docs/operations.md "Several hosts")
  std::string pg_read_dsn;                                   // empty: reads go to the primary
  std::vector<std::pair<std::string, int>> redis_sentinels;  // empty: redis.addr
  std::string redis_master_name;
  // back-pressure and adaptive flushing (log.*; appended here to keep merges simple)
  int log_enqueue_wait_ms = 1000;  // POST /logs: wait for queue space before 503
  int log_batch_max = 5000;        // flusher: largest transaction with a backlog
  // the ingest pool (POST /logs, /sync/): its own workers, socket and request timeout; the
  // workers.* / fastcgi.socket keys above are the admin pool's (prefork/pools.h)
  int workers_ingest_count = 2;
  // 30 s like the admin pool: POST /sync/snapshot is served here, and a cold resync of a
  // million keys takes ~10 s (docs/benchmarks.md); 10 s killed it mid-resync.
  int workers_ingest_request_timeout_ms = 30000;
  std::string fastcgi_ingest_socket;
  // starvation guards (appended here to keep merges simple; docs/operations.md "Overload")
  int fastcgi_read_timeout_ms = 3000;   // a request not read by then is dropped
  int usage_export_max_concurrent = 1;  // exports at once per host (503 past it)
  int usage_search_timeout_ms = 5000;   // statement timeout of searches (503)
  int usage_search_max_concurrent = 2;  // searches at once per caller per host (429)

  bool production() const { return server_mode == "production"; }
  std::string logq_shm_name() const { return shm_prefix + "-logq"; }
  std::string scoreboard_shm_name() const { return shm_prefix + "-scoreboard"; }
};

using Environment = std::map<std::string, std::string>;

struct Loaded {
  Settings settings;
  std::optional<std::string> file;  // the file that was read, if any
  // Effective values as "key = value" pairs, secrets masked, with the layer that won.
  std::vector<std::pair<std::string, std::string>> effective;
};

// Pure: resolve the layers from an environment snapshot and (optional) YAML text.
// `file_name` is only used in messages. Throws ConfigError.
[[nodiscard]] Loaded resolve(const Environment& env, const std::optional<std::string>& yaml_text,
                             const std::optional<std::string>& file_name);

// Why `value` must never be used as a secret (empty, the built-in default, or a
// CHANGE_ME... placeholder of conf/ezapi.env.example), or nullopt when it may be.
[[nodiscard]] std::optional<std::string> weak_secret_reason(const std::string& value);

// Production mode only: refuses a default, empty or placeholder (CHANGE_ME...) secret,
// one shorter than the Ansible role's minimum, and an admin token equal to the
// internal token. Throws ConfigError naming the key.
void check_production_secrets(const Settings& s);

// Finds the file (explicit path, EZ_CONFIG_FILE, ./config.yaml, ./config/config.yaml),
// reads it and resolves the layers against the process environment. Throws ConfigError.
[[nodiscard]] Loaded load(const std::optional<std::string>& explicit_path = std::nullopt);

// The process environment as a map.
[[nodiscard]] Environment process_environment();

// "key = value" lines, secrets masked.
[[nodiscard]] std::string render_effective(const Loaded& loaded);

// A secret shown as its first 4 characters and its length, or "(empty)".
[[nodiscard]] std::string mask_secret(const std::string& value);

}  // namespace ez::config
