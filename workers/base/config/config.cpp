#include "config/config.h"

#include <Poco/AutoPtr.h>
#include <Poco/Util/LayeredConfiguration.h>
#include <Poco/Util/MapConfiguration.h>
#include <libpq-fe.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>

#include "config/checks.h"

extern char** environ;

namespace ez::config {
namespace {

constexpr const char* kDefaultJwtSecret = "change_me_in_production";

const std::vector<KeySpec> kSpecs = {
    {"server.port", "EZ_API_PORT", "8080", false, "HTTP port nginx listens on"},
    {"server.mode", "EZ_SERVER_MODE", "dev", false,
     "dev | production (production refuses default or empty secrets)"},
    {"server.shm_prefix", "EZ_SHM_PREFIX", "/ezapi", false,
     "prefix of the POSIX shared-memory names (log queue, scoreboard); unique per stack"},
    {"postgres.dsn", "EZ_PG_DSN", "host=localhost port=5432 dbname=ezapi user=ezapi", true,
     "PostgreSQL connection string (libpq keyword/value or URI)"},
    {"redis.addr", "EZ_REDIS_ADDR", "localhost:6379", false, "Redis address host:port"},
    {"redis.db", "EZ_REDIS_DB", "0", false, "Redis database number"},
    {"log.queue_capacity", "EZ_LOG_QUEUE", "10000", false, "log queue capacity (entries)"},
    {"log.queue_bytes", "EZ_LOG_QUEUE_BYTES", "0", false,
     "log queue size in bytes (0 = 1 KiB per entry of capacity)"},
    {"log.batch_size", "EZ_LOG_BATCH_SIZE", "10", false,
     "entries per database transaction (upper bound)"},
    {"log.flush_ms", "EZ_LOG_FLUSH_MS", "1000", false, "longest an entry waits before a flush"},
    {"log.level", "EZ_LOG_LEVEL", "info", false, "debug | info | warn | error"},
    {"log.retention_days", "EZ_LOG_RETENTION_DAYS", "30", false,
     "daily log partitions older than this are dropped"},
    {"auth.jwt_secret", "EZ_AUTH_JWT_SECRET", kDefaultJwtSecret, true,
     "HS256 secret for admin JWTs"},
    {"auth.admin_token", "EZ_ADMIN_TOKEN", "", true, "static admin bearer token"},
    {"auth.internal_token", "EZ_INTERNAL_TOKEN", "", true,
     "bearer token of the balancer (POST /logs, /sync/)"},
    {"workers.count", "EZ_WORKERS", "2", false, "FastCGI worker processes"},
    {"workers.max_requests", "EZ_WORKERS_MAX_REQUESTS", "10000", false,
     "a worker is recycled after this many requests (0 = never)"},
    {"workers.request_timeout_ms", "EZ_WORKERS_REQUEST_TIMEOUT_MS", "30000", false,
     "a worker busy on one request longer than this is killed and replaced"},
    {"fastcgi.socket", "EZ_FASTCGI_SOCKET", "/run/ezapi/ezapi.sock", false,
     "unix socket the master listens on (ignored under systemd socket activation)"},
    {"fastcgi.socket_mode", "EZ_FASTCGI_SOCKET_MODE", "0660", false,
     "permissions of the socket (octal); nginx must be able to connect"},
    {"fastcgi.backlog", "EZ_FASTCGI_BACKLOG", "1024", false, "listen(2) backlog of the socket"},
    {"http.max_body_bytes", "EZ_HTTP_MAX_BODY_BYTES", "8388608", false,
     "largest request body accepted (413 above)"},
    {"http.allowed_networks", "EZ_ALLOWED_NETWORKS", "127.0.0.1/32 ::1/128", false,
     "networks allowed to reach /logs and /sync/ (nginx allow list)"},
    {"sync.outbox_replay_ms", "EZ_OUTBOX_REPLAY_MS", "1000", false,
     "how often a worker retries pushing the Redis outbox"},
    // usage and log search
    {"log.rollup_retention_days", "EZ_LOG_ROLLUP_RETENTION_DAYS", "400", false,
     "usage rollup rows older than this are deleted (separate from raw-log retention)"},
    {"usage.max_window_days", "EZ_USAGE_MAX_WINDOW_DAYS", "400", false,
     "longest from..to window of /admin/usage (400 beyond)"},
    {"usage.logs_max_window_days", "EZ_USAGE_LOGS_MAX_WINDOW_DAYS", "31", false,
     "longest from..to window of /admin/logs and its export (400 beyond)"},
    {"usage.export_max_rows", "EZ_USAGE_EXPORT_MAX_ROWS", "1000000", false,
     "most rows one export streams; past it the export ends with an error line"},
    {"postgres.read_dsn", "EZ_PG_READ_DSN", "", true,
     "optional replica for read-heavy queries (lists, log search, usage, exports); "
     "empty or down = the primary"},
    {"redis.sentinels", "EZ_REDIS_SENTINELS", "", false,
     "Sentinels as host:port, comma or space separated; when set, redis.addr is ignored"},
    {"redis.master_name", "EZ_REDIS_MASTER_NAME", "", false,
     "the master's name in Sentinel (required with redis.sentinels)"},
    {"log.enqueue_wait_ms", "EZ_LOG_ENQUEUE_WAIT_MS", "1000", false,
     "POST /logs on a full queue waits this long for space before answering 503"},
    {"log.batch_max", "EZ_LOG_BATCH_MAX", "5000", false,
     "with a backlog, a flusher transaction grows from log.batch_size up to this"},
    {"workers.ingest.count", "EZ_WORKERS_INGEST", "2", false,
     "worker processes of the ingest pool (POST /logs, /sync/); workers.count is the admin pool"},
    {"workers.ingest.request_timeout_ms", "EZ_WORKERS_INGEST_REQUEST_TIMEOUT_MS", "30000", false,
     "request timeout of the ingest pool (workers.request_timeout_ms is the admin pool's)"},
    {"fastcgi.ingest_socket", "EZ_FASTCGI_INGEST_SOCKET", "/run/ezapi/ezapi-ingest.sock", false,
     "unix socket of the ingest pool; nginx sends /logs and /sync/ here, the rest to "
     "fastcgi.socket"},
};

void flatten(const YAML::Node& node, const std::string& prefix,
             std::map<std::string, std::string>& out) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      const auto name = kv.first.as<std::string>();
      flatten(kv.second, prefix.empty() ? name : prefix + "." + name, out);
    }
  } else if (node.IsSequence()) {
    // Lists (e.g. http.allowed_networks) become space-separated text.
    std::string joined;
    for (const auto& item : node) {
      if (!item.IsScalar()) throw ConfigError(prefix, "list items must be scalars");
      if (!joined.empty()) joined += ' ';
      joined += item.as<std::string>();
    }
    out[prefix] = joined;
  } else if (node.IsScalar()) {
    out[prefix] = node.as<std::string>();
  } else if (node.IsNull() && !prefix.empty()) {
    out[prefix] = "";
  }
}

template <typename T>
T parse_int(const std::string& key, const std::string& text, T min, T max, int base = 10) {
  T value{};
  const char* first = text.data();
  const char* last = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(first, last, value, base);
  if (ec == std::errc::result_out_of_range)
    throw ConfigError(key, "'" + text + "' is out of range");
  if (ec != std::errc() || ptr != last || text.empty())
    throw ConfigError(key, "'" + text + "' is not an integer");
  if (value < min || value > max)
    throw ConfigError(key, "'" + text + "' must be between " + std::to_string(min) + " and " +
                               std::to_string(max));
  return value;
}

void one_of(const std::string& key, const std::string& value,
            const std::set<std::string>& allowed) {
  if (allowed.count(value)) return;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  throw ConfigError(key, "'" + value + "' is not one of: " + list);
}

// The password inside a libpq connection string, if it names one.
std::optional<std::string> dsn_password(const std::string& dsn) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), &err);
  if (err) PQfreemem(err);
  if (!opts) return std::nullopt;
  std::optional<std::string> out;
  for (PQconninfoOption* o = opts; o->keyword; ++o)
    if (std::string_view(o->keyword) == "password" && o->val) out = o->val;
  PQconninfoFree(opts);
  return out;
}

// What --check-config shows: secrets masked; of a DSN only the password (the host,
// port and database are what an operator checks there).
std::string displayed_value(const KeySpec& spec, const std::string& value) {
  if (std::string_view(spec.key) == "postgres.dsn") return mask_dsn_password(value);
  return spec.secret ? mask_secret(value) : value;
}

// libpq must be able to parse it (several hosts, URIs and key=value all are).
void require_parsable_dsn(const char* key, const std::string& dsn) {
  char* err = nullptr;
  PQconninfoOption* opts = PQconninfoParse(dsn.c_str(), &err);
  if (!opts) {
    std::string msg = err ? err : "unparsable";
    if (err) PQfreemem(err);
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    throw ConfigError(key, "unparsable connection string: " + msg);
  }
  PQconninfoFree(opts);
}

}  // namespace

std::optional<std::string> weak_secret_reason(const std::string& value) {
  if (value.empty()) return "empty secret";
  if (value == kDefaultJwtSecret) return "default secret";
  // conf/ezapi.env.example's placeholders all start with CHANGE_ME (any case).
  constexpr std::string_view kPlaceholder = "CHANGE_ME";
  if (value.size() >= kPlaceholder.size() &&
      std::equal(kPlaceholder.begin(), kPlaceholder.end(), value.begin(),
                 [](char p, char c) { return p == std::toupper(static_cast<unsigned char>(c)); }))
    return "placeholder secret (CHANGE_ME...)";
  return std::nullopt;
}

void check_production_secrets(const Settings& s) {
  // The minimums are the Ansible role's (ansible/roles/ezapi/tasks/assert.yml), so a
  // host set up by hand is held to what the role asks for.
  struct Secret {
    const char* key;
    const std::string* value;
    size_t min_chars;
  };
  const std::optional<std::string> pg_password = dsn_password(s.pg_dsn);
  std::vector<Secret> secrets = {{"auth.jwt_secret", &s.jwt_secret, 32},
                                 {"auth.admin_token", &s.admin_token, 16},
                                 {"auth.internal_token", &s.internal_token, 16}};
  // A DSN without a password (peer or .pgpass authentication) is fine.
  if (pg_password) secrets.push_back({"postgres.dsn", &*pg_password, 12});
  for (const auto& secret : secrets) {
    const std::string& v = *secret.value;
    // A well-known secret in production is an open door: refuse to start.
    if (const auto why = weak_secret_reason(v))
      throw ConfigError(secret.key, *why + " refused in production mode");
    if (v.size() < secret.min_chars)
      throw ConfigError(secret.key, "must be at least " + std::to_string(secret.min_chars) +
                                        " characters in production mode");
  }
  if (s.admin_token == s.internal_token)
    throw ConfigError("auth.admin_token", "must differ from auth.internal_token");
}

const std::vector<KeySpec>& key_specs() {
  return kSpecs;
}

std::string mask_secret(const std::string& value) {
  if (value.empty()) return "(empty)";
  if (value.size() <= 8) return "****";
  return value.substr(0, 4) + "****(" + std::to_string(value.size()) + " chars)";
}

Loaded resolve(const Environment& env, const std::optional<std::string>& yaml_text,
               const std::optional<std::string>& file_name) {
  using Poco::AutoPtr;
  using Poco::Util::MapConfiguration;

  AutoPtr<MapConfiguration> defaults(new MapConfiguration);
  AutoPtr<MapConfiguration> from_file(new MapConfiguration);
  AutoPtr<MapConfiguration> from_env(new MapConfiguration);
  std::set<std::string> known;
  for (const auto& s : kSpecs) {
    known.insert(s.key);
    defaults->setString(s.key, s.fallback);
    if (auto it = env.find(s.env); it != env.end()) from_env->setString(s.key, it->second);
  }

  if (yaml_text) {
    std::map<std::string, std::string> flat;
    try {
      flatten(YAML::Load(*yaml_text), "", flat);
    } catch (const YAML::Exception& e) {
      throw ConfigError(file_name.value_or("config file"),
                        std::string("invalid YAML: ") + e.what());
    }
    for (const auto& [k, v] : flat) {
      // A typo in a key would otherwise be silently ignored and the default used.
      if (!known.count(k)) throw ConfigError(k, "unknown key in " + file_name.value_or("file"));
      from_file->setString(k, v);
    }
  }

  // Poco consults the layer with the lowest priority value first.
  AutoPtr<Poco::Util::LayeredConfiguration> layers(new Poco::Util::LayeredConfiguration);
  layers->add(from_env, 0, false);
  layers->add(from_file, 10, false);
  layers->add(defaults, 20, false);

  auto get = [&](const char* key) { return layers->getString(key); };
  Loaded out;
  Settings& s = out.settings;

  s.server_port = parse_int<int>("server.port", get("server.port"), 1, 65535);
  s.server_mode = get("server.mode");
  one_of("server.mode", s.server_mode, {"dev", "production"});
  s.shm_prefix = get("server.shm_prefix");
  if (s.shm_prefix.size() < 2 || s.shm_prefix[0] != '/' ||
      s.shm_prefix.find('/', 1) != std::string::npos || s.shm_prefix.size() > 200)
    throw ConfigError("server.shm_prefix", "must look like /name (one leading slash, no other)");

  s.pg_dsn = get("postgres.dsn");
  require_parsable_dsn("postgres.dsn", s.pg_dsn);
  if (auto problem = check_dsn(s.pg_dsn)) throw ConfigError("postgres.dsn", *problem);
  s.pg_read_dsn = get("postgres.read_dsn");
  if (!s.pg_read_dsn.empty()) {
    require_parsable_dsn("postgres.read_dsn", s.pg_read_dsn);
    if (auto problem = check_dsn(s.pg_read_dsn)) throw ConfigError("postgres.read_dsn", *problem);
  }

  const std::string addr = get("redis.addr");
  const auto colon = addr.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw ConfigError("redis.addr", "'" + addr + "' is not host:port");
  s.redis_host = addr.substr(0, colon);
  s.redis_port = parse_int<int>("redis.addr", addr.substr(colon + 1), 1, 65535);
  s.redis_db = parse_int<int>("redis.db", get("redis.db"), 0, 15);
  s.redis_master_name = get("redis.master_name");
  {
    std::string list = get("redis.sentinels");
    std::replace(list.begin(), list.end(), ',', ' ');
    std::istringstream words(list);
    for (std::string hp; words >> hp;) {
      const auto c = hp.rfind(':');
      if (c == std::string::npos || c == 0)
        throw ConfigError("redis.sentinels", "'" + hp + "' is not host:port");
      s.redis_sentinels.emplace_back(hp.substr(0, c),
                                     parse_int<int>("redis.sentinels", hp.substr(c + 1), 1, 65535));
    }
    if (!s.redis_sentinels.empty() && s.redis_master_name.empty())
      throw ConfigError("redis.master_name", "required when redis.sentinels is set");
  }

  // The ring's own limits (logq/ring.h): at most 4 Mi entries and 4 GiB.
  s.log_queue_capacity =
      parse_int<int64_t>("log.queue_capacity", get("log.queue_capacity"), 1, 4'194'304);
  s.log_queue_bytes =
      parse_int<int64_t>("log.queue_bytes", get("log.queue_bytes"), 0, int64_t{4} << 30);
  // An encoded entry is ~300 bytes: 1 KiB each leaves room for long error messages
  // without the queue's pages dominating a worker's memory.
  if (s.log_queue_bytes == 0)
    s.log_queue_bytes = std::min<int64_t>(s.log_queue_capacity * 1024, int64_t{4} << 30);
  s.log_batch_size = parse_int<int>("log.batch_size", get("log.batch_size"), 1, 1'000'000);
  s.log_flush_ms = parse_int<int>("log.flush_ms", get("log.flush_ms"), 1, 3'600'000);
  s.log_level = get("log.level");
  one_of("log.level", s.log_level, {"debug", "info", "warn", "error"});
  s.log_retention_days = parse_int<int>("log.retention_days", get("log.retention_days"), 1, 36500);

  s.jwt_secret = get("auth.jwt_secret");
  s.admin_token = get("auth.admin_token");
  s.internal_token = get("auth.internal_token");

  s.workers_count = parse_int<int>("workers.count", get("workers.count"), 1, 512);
  s.workers_max_requests =
      parse_int<int64_t>("workers.max_requests", get("workers.max_requests"), 0, INT64_MAX);
  s.workers_request_timeout_ms = parse_int<int>("workers.request_timeout_ms",
                                                get("workers.request_timeout_ms"), 100, 3'600'000);
  s.fastcgi_socket = get("fastcgi.socket");
  if (s.fastcgi_socket.empty() || s.fastcgi_socket.size() > 100)
    throw ConfigError("fastcgi.socket", "must be a path of 1..100 characters");
  s.fastcgi_socket_mode =
      parse_int<int>("fastcgi.socket_mode", get("fastcgi.socket_mode"), 0, 0777, 8);
  s.fastcgi_backlog = parse_int<int>("fastcgi.backlog", get("fastcgi.backlog"), 1, 65535);
  s.http_max_body_bytes =
      parse_int<int64_t>("http.max_body_bytes", get("http.max_body_bytes"), 1024, int64_t{1} << 30);
  s.allowed_networks = get("http.allowed_networks");
  if (auto problem = check_networks(s.allowed_networks))
    throw ConfigError("http.allowed_networks", *problem);
  s.outbox_replay_ms =
      parse_int<int>("sync.outbox_replay_ms", get("sync.outbox_replay_ms"), 10, 3'600'000);
  s.log_rollup_retention_days =
      parse_int<int>("log.rollup_retention_days", get("log.rollup_retention_days"), 1, 36500);
  s.usage_max_window_days =
      parse_int<int>("usage.max_window_days", get("usage.max_window_days"), 1, 36500);
  s.usage_logs_max_window_days =
      parse_int<int>("usage.logs_max_window_days", get("usage.logs_max_window_days"), 1, 36500);
  s.usage_export_max_rows =
      parse_int<int64_t>("usage.export_max_rows", get("usage.export_max_rows"), 1, 1'000'000'000);
  s.workers_ingest_count =
      parse_int<int>("workers.ingest.count", get("workers.ingest.count"), 1, 512);
  s.workers_ingest_request_timeout_ms =
      parse_int<int>("workers.ingest.request_timeout_ms", get("workers.ingest.request_timeout_ms"),
                     100, 3'600'000);
  s.fastcgi_ingest_socket = get("fastcgi.ingest_socket");
  if (s.fastcgi_ingest_socket.empty() || s.fastcgi_ingest_socket.size() > 100)
    throw ConfigError("fastcgi.ingest_socket", "must be a path of 1..100 characters");
  if (s.fastcgi_ingest_socket == s.fastcgi_socket)
    throw ConfigError("fastcgi.ingest_socket", "must differ from fastcgi.socket (one per pool)");
  s.log_enqueue_wait_ms =
      parse_int<int>("log.enqueue_wait_ms", get("log.enqueue_wait_ms"), 0, 60'000);
  // The ingest workers wait for queue space while busy: past their request timeout the
  // master would kill them mid-wait.
  if (s.log_enqueue_wait_ms >= s.workers_ingest_request_timeout_ms)
    throw ConfigError("log.enqueue_wait_ms",
                      "must be below workers.ingest.request_timeout_ms (" +
                          std::to_string(s.workers_ingest_request_timeout_ms) + ")");
  s.log_batch_max = parse_int<int>("log.batch_max", get("log.batch_max"), 1, 1'000'000);
  // The per-transaction count never shrinks below log.batch_size: a smaller max is raised.
  s.log_batch_max = std::max(s.log_batch_max, s.log_batch_size);

  if (s.production()) check_production_secrets(s);

  for (const auto& spec : kSpecs) {
    std::string value = layers->getString(spec.key);
    const char* layer = from_env->hasProperty(spec.key)    ? "env"
                        : from_file->hasProperty(spec.key) ? "file"
                                                           : "default";
    out.effective.emplace_back(spec.key, displayed_value(spec, value) + "  # " + layer);
  }
  out.file = file_name;
  return out;
}

Environment process_environment() {
  Environment env;
  for (char** e = environ; e && *e; ++e) {
    std::string_view kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string_view::npos) env.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return env;
}

Loaded load(const std::optional<std::string>& explicit_path) {
  Environment env = process_environment();
  std::optional<std::string> path = explicit_path;
  if (!path) {
    if (auto it = env.find("EZ_CONFIG_FILE"); it != env.end() && !it->second.empty()) {
      path = it->second;
    } else {
      for (const char* candidate : {"./config.yaml", "./config/config.yaml"})
        if (std::filesystem::exists(candidate)) {
          path = candidate;
          break;
        }
    }
  }
  std::optional<std::string> text;
  if (path) {
    std::ifstream in(*path);
    // A named file that is missing is an operator mistake, not "use the defaults".
    // Named after where the path came from: the option, the variable, or the search.
    if (!in)
      throw ConfigError(explicit_path                 ? "--config"
                        : env.count("EZ_CONFIG_FILE") ? "EZ_CONFIG_FILE"
                                                      : "config file",
                        "cannot read config file '" + *path + "'");
    std::ostringstream buf;
    buf << in.rdbuf();
    text = buf.str();
  }
  return resolve(env, text, path);
}

std::string render_effective(const Loaded& loaded) {
  std::ostringstream out;
  out << "# config file: " << loaded.file.value_or("(none)") << "\n";
  for (const auto& [k, v] : loaded.effective) out << k << " = " << v << "\n";
  return out.str();
}

}  // namespace ez::config
