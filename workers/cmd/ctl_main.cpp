// ezapi-ctl: operator commands.
//   ezapi-ctl migrate [--sql-dir DIR]     apply sql/ migrations
//   ezapi-ctl token [--ttl 1h] [--sub NAME]  mint an admin JWT
//   ezapi-ctl check-config                print the effective configuration
//   ezapi-ctl sync                        rebuild the Redis snapshot from PostgreSQL
#include <chrono>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "api/auth.h"
#include "api/context.h"
#include "config/config.h"
#include "db/migrate.h"
#include "db/pg.h"
#include "http/error.h"
#include "http/response.h"
#include "snapshot/sync.h"

namespace {

int usage() {
  std::cerr << "usage: ezapi-ctl <command> [options]\n"
               "  migrate [--sql-dir DIR]          apply pending SQL migrations\n"
               "  token [--ttl 1h] [--sub NAME]    print an admin JWT (HS256, auth.jwt_secret)\n"
               "  check-config                     print the effective configuration\n"
               "  sync                             rebuild the Redis snapshot from PostgreSQL\n"
               "options for every command: --config FILE\n";
  return 2;
}

// "90s", "15m", "1h", "7d" or plain seconds.
long long parse_ttl(const std::string& text) {
  if (text.empty()) throw std::invalid_argument("empty ttl");
  size_t used = 0;
  long long n = std::stoll(text, &used);
  std::string unit = text.substr(used);
  long long mult = unit.empty() || unit == "s" ? 1
                   : unit == "m"               ? 60
                   : unit == "h"               ? 3600
                   : unit == "d"               ? 86400
                                               : -1;
  if (mult < 0 || n <= 0 || n > 366LL * 86400) throw std::invalid_argument("bad ttl: " + text);
  return n * mult;
}

// migrate and sync are idempotent (each migration is recorded in its own
// transaction under the migration lock; a resync rebuilds everything), so a
// connection lost to a failover is retried until the new primary answers.
template <typename F>
auto retrying(const char* what, F&& f) -> decltype(f()) {
  constexpr auto kBudget = std::chrono::seconds(30);
  const auto deadline = std::chrono::steady_clock::now() + kBudget;
  for (;;) {
    try {
      return f();
    } catch (const std::exception& e) {
      const auto* api = dynamic_cast<const ez::http::ApiError*>(&e);
      const bool lost =
          ez::db::is_connection_loss(e) || (api && api->code() == ez::http::ErrorCode::unavailable);
      if (!lost || std::chrono::steady_clock::now() >= deadline) throw;
      std::cerr << "ezapi-ctl " << what << ": " << e.what() << " (retrying)\n";
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  const std::string cmd = argv[1];
  std::optional<std::string> config_path;
  std::string sql_dir, ttl = "1h", sub = "ezapi-ctl";
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    try {
      if (a == "--config")
        config_path = next();
      else if (a == "--sql-dir")
        sql_dir = next();
      else if (a == "--ttl")
        ttl = next();
      else if (a == "--sub")
        sub = next();
      else
        return usage();
    } catch (const std::exception& e) {
      std::cerr << "ezapi-ctl: " << e.what() << "\n";
      return 2;
    }
  }
  try {
    auto loaded = ez::config::load(config_path);
    if (cmd == "migrate") {
      auto dir = ez::db::find_sql_dir(sql_dir, argv[0]);
      auto r = retrying("migrate", [&] { return ez::db::migrate(loaded.settings.pg_dsn, dir); });
      for (const auto& n : r.applied) std::cout << "applied " << n << "\n";
      std::cout << "migrations: " << r.applied.size() << " applied, " << r.skipped.size()
                << " already present\n";
      return 0;
    }
    if (cmd == "token") {
      std::cout << ez::api::mint_admin_jwt(loaded.settings.jwt_secret, sub,
                                           std::chrono::seconds(parse_ttl(ttl)))
                << "\n";
      return 0;
    }
    if (cmd == "sync") {
      ez::api::Context ctx(loaded.settings);
      const auto report = retrying("sync", [&] {
        ctx.mark_pg_broken();  // a retry starts on a fresh connection
        return ez::snapshot::resync(ctx);
      });
      std::cout << ez::http::to_json(report.to_json()) << "\n";
      return 0;
    }
    if (cmd == "check-config") {
      std::cout << ez::config::render_effective(loaded);
      return 0;
    }
    return usage();
  } catch (const ez::config::ConfigError& e) {
    std::cerr << "ezapi-ctl: config error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "ezapi-ctl " << cmd << ": " << e.what() << "\n";
    return 1;
  }
}
