// ezapi-ctl: operator commands.
//   ezapi-ctl migrate [--sql-dir DIR]     apply sql/ migrations
//   ezapi-ctl token [--ttl 1h] [--sub NAME]  mint an admin JWT
//   ezapi-ctl check-config                print the effective configuration
//   ezapi-ctl sync                        rebuild the Redis snapshot from PostgreSQL
#include <chrono>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "api/auth.h"
#include "api/context.h"
#include "config/config.h"
#include "db/migrate.h"
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
      else if (a == "--ttl") {
        ttl = next();
        if (!ez::api::parse_token_ttl(ttl)) {
          std::cerr << "ezapi-ctl: --ttl '" << ttl << "' is not a TTL: " << ez::api::kTokenTtlHelp
                    << "\n";
          return 2;
        }
      } else if (a == "--sub")
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
      auto r = ez::db::migrate(loaded.settings.pg_dsn, dir);
      for (const auto& n : r.applied) std::cout << "applied " << n << "\n";
      std::cout << "migrations: " << r.applied.size() << " applied, " << r.skipped.size()
                << " already present\n";
      return 0;
    }
    if (cmd == "token") {
      // A token signed with a well-known secret is one anybody could have made, and one a
      // server with a real secret rejects: say so instead of printing it.
      if (const auto why = ez::config::weak_secret_reason(loaded.settings.jwt_secret)) {
        std::cerr << "ezapi-ctl token: auth.jwt_secret (EZ_AUTH_JWT_SECRET): " << *why
                  << "; refusing to sign (set it, e.g. `. var/stack.env` for the dev stack)\n";
        return 1;
      }
      std::cout << ez::api::mint_admin_jwt(loaded.settings.jwt_secret, sub,
                                           *ez::api::parse_token_ttl(ttl))
                << "\n";
      return 0;
    }
    if (cmd == "sync") {
      ez::api::Context ctx(loaded.settings);
      std::cout << ez::http::to_json(ez::snapshot::resync(ctx).to_json()) << "\n";
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
