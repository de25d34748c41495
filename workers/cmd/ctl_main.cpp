// ezapi-ctl: operator commands.
//   ezapi-ctl migrate [--sql-dir DIR]     apply sql/ migrations
//   ezapi-ctl token [--ttl 1h] [--sub NAME]  mint an admin JWT
//   ezapi-ctl check-config                print the effective configuration
//   ezapi-ctl sync                        rebuild the Redis snapshot from PostgreSQL
//   ezapi-ctl usage [--from T] [--to T] [--group-by G]   print a usage table
//   ezapi-ctl usage rebuild --from T --to T            re-derive the usage rollups
//   ezapi-ctl import FILE [--dry-run] [--map-type FROM=TO] [--json]
//                                         import a New API export (importer/service.h)
#include <fcntl.h>
#include <pwd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "api/auth.h"
#include "api/usage_view.h"
#include "common/build_info.h"
#include "common/time.h"
#include "config/config.h"
#include "context/context.h"
#include "db/json_columns.h"
#include "db/migrate.h"
#include "db/pg.h"
#include "http/error.h"
#include "http/response.h"
#include "importer/service.h"
#include "options.h"
#include "snapshot/sync.h"
#include "usage/usage_repo.h"

namespace {

// The options `cmd` takes (every one for "": the help lists them all). --config, --sql-dir,
// --ttl and --sub are accepted by every command, as they always were.
Poco::Util::OptionSet option_set(const std::string& cmd) {
  using Poco::Util::Option;
  Poco::Util::OptionSet set;
  auto add = [&](const char* name, const char* short_name, const char* help, const char* arg) {
    Option o(name, short_name, help);
    o.required(false).repeatable(true);  // the last one counts (--map-type and usage: each)
    if (arg) o.argument(arg);
    set.addOption(o);
  };
  add("config", "", "read the configuration from FILE (every command)", "FILE");
  add("sql-dir", "",
      "migrate: the migrations directory (default: EZ_SQL_DIR, then beside the binary)", "DIR");
  add("ttl", "", "token: lifetime, e.g. 90s, 15m, 1h, 7d (default 1h, at most 366d)", "TTL");
  add("sub", "", "token: the subject claim (default ezapi-ctl)", "NAME");
  if (cmd.empty() || cmd == "usage") {
    add("from", "", "usage: start of the window (RFC 3339 or unix seconds)", "T");
    add("to", "", "usage: end of the window (RFC 3339 or unix seconds)", "T");
    add("group-by", "", "usage: master, key, model, provider, day or hour", "G");
  }
  if (cmd.empty() || cmd == "import") {
    add("dry-run", "", "import: check and count, write nothing", nullptr);
    add("map-type", "", "import: read channel type FROM as provider type TO (repeatable)",
        "FROM=TO");
    add("json", "", "import: print the report as JSON", nullptr);
    add("actor", "", "import: the audit actor (default: ezapi-ctl (login name))", "NAME");
  }
  add("version", "V", "print the version and exit", nullptr);
  add("help", "h", "show this help", nullptr);
  return set;
}

int usage(std::ostream& out = std::cerr) {
  out << "usage: ezapi-ctl <command> [options]\n"
         "  migrate [--sql-dir DIR]          apply pending SQL migrations\n"
         "  token [--ttl 1h] [--sub NAME]    print an admin JWT (HS256, auth.jwt_secret)\n"
         "  check-config                     print the effective configuration\n"
         "  sync                             rebuild the Redis snapshot from PostgreSQL\n"
         "  usage [--from T] [--to T] [--group-by master|key|model|provider|day|hour]\n"
         "                                   print usage statistics (T: RFC 3339 or unix seconds;\n"
         "                                   default: the last 24 hours by master)\n"
         "  usage rebuild --from T --to T    re-derive the usage rollups from the raw logs\n"
         "                                   (the window is widened to whole UTC days)\n"
         "  import FILE [--dry-run] [--map-type FROM=TO] [--json] [--actor NAME]\n"
         "                                   import a New API exporter file (no size cap)\n"
         "options (--config FILE for every command):\n";
  ez::cmd::print_options(option_set(""), out);
  return 2;
}

int usage_command(const ez::config::Settings& settings,
                  const std::multimap<std::string, std::string>& params, bool rebuild) {
  ez::http::Request req;  // the API's own parser checks the options
  req.query = params;
  ez::usage::Scope scope;
  scope.max_window_days = settings.usage_max_window_days;
  scope.now_us = ez::unix_now_us();
  try {
    if (rebuild) {
      if (!params.count("from") || !params.count("to") || params.count("group_by"))
        throw std::invalid_argument("usage rebuild needs --from and --to (and nothing else)");
      const auto from = ez::usage::parse_time_param(params.find("from")->second);
      const auto to = ez::usage::parse_time_param(params.find("to")->second);
      if (!from || !to || *from >= *to)
        throw std::invalid_argument(
            "--from and --to must be RFC 3339 times or unix seconds, --from before --to");
      // The rebuild takes whole days: the day after 9999-12-31 is in the year 10000.
      if (ez::usage::ceil_to(*to, ez::usage::kDayUs) > ez::usage::kMaxTimeUs)
        throw std::invalid_argument("--to must be at most 9999-12-31T00:00:00Z (whole days)");
      // Days past the raw-log retention have no raw logs left: rebuilding them would
      // replace their rollups (kept longer) with nothing.
      const int64_t oldest_kept = ez::usage::floor_to(scope.now_us, ez::usage::kDayUs) -
                                  int64_t{settings.log_retention_days} * ez::usage::kDayUs;
      if (ez::usage::floor_to(*from, ez::usage::kDayUs) < oldest_kept)
        throw std::invalid_argument("--from is before " + ez::db::rfc3339_from_micros(oldest_kept) +
                                    ": raw logs older than log.retention_days are gone, and "
                                    "rebuilding those days would empty their rollups");
      pqxx::connection conn(settings.pg_dsn);
      const auto r = ez::usage::rebuild_usage(conn, *from, *to);
      std::cout << "rebuilt usage rollups for " << ez::db::rfc3339_from_micros(r.from_us) << " .. "
                << ez::db::rfc3339_from_micros(r.to_us) << ": " << r.hourly_rows << " hourly rows, "
                << r.daily_rows << " daily rows, " << r.master_hourly_rows
                << " per-master hourly rows, " << r.master_daily_rows << " per-master daily rows\n";
      return 0;
    }
    const ez::usage::UsageQuery q = ez::usage::parse_usage_query(req.query, scope);
    pqxx::connection conn(settings.pg_dsn);
    pqxx::read_transaction tx(conn);
    std::cout << ez::api::usage_table(ez::usage::query_usage(tx, q), q);
    return 0;
  } catch (const ez::http::ApiError& e) {
    std::string opt = e.field() == "group_by" ? "--group-by" : "--" + e.field();
    std::cerr << "ezapi-ctl usage: " << opt << ": " << e.what() << "\n";
    return 2;
  } catch (const std::invalid_argument& e) {
    std::cerr << "ezapi-ctl usage: " << e.what() << "\n";
    return 2;
  }
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

// The export file, mapped read-only: no size cap and no copy of a file that
// may be hundreds of megabytes (the parser walks it element by element).
class MappedFile {
 public:
  explicit MappedFile(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error(path + ": " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd_, &st) != 0) throw std::runtime_error(path + ": " + std::strerror(errno));
    size_ = static_cast<size_t>(st.st_size);
    if (size_ == 0) return;
    data_ = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (data_ == MAP_FAILED) throw std::runtime_error(path + ": " + std::strerror(errno));
  }
  ~MappedFile() {
    if (data_ && data_ != MAP_FAILED) ::munmap(data_, size_);
    if (fd_ >= 0) ::close(fd_);
  }
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  std::string_view text() const {
    return data_ ? std::string_view(static_cast<const char*>(data_), size_) : std::string_view();
  }

 private:
  int fd_ = -1;
  void* data_ = nullptr;
  size_t size_ = 0;
};

std::string login_name() {
  if (const char* sudo = std::getenv("SUDO_USER"); sudo && *sudo) return sudo;
  if (const passwd* pw = ::getpwuid(::getuid())) return pw->pw_name;
  return std::to_string(::getuid());
}

void print_import(const Json::Value& r) {
  std::cout << (r["dry_run"].asBool() ? "dry run (nothing written): " : "imported: ")
            << r["source"]["type"].asString() << " " << r["source"]["version"].asString()
            << ", exported at " << r["source"]["exported_at"].asString() << "\n";
  for (const char* res : {"providers", "masters", "keys", "bindings"}) {
    const Json::Value& c = r["counts"][res];
    std::cout << "  " << res << ": " << c["created"].asUInt64() << " created, "
              << c["updated"].asUInt64() << " updated, " << c["skipped"].asUInt64() << " skipped\n";
  }
  std::cout << "exporter warnings (" << r["exporter_warning_count"].asUInt64() << "):\n";
  for (const auto& w : r["exporter_warnings"]) std::cout << "  " << w.asString() << "\n";
  std::cout << "import warnings (" << r["warning_count"].asUInt64() << "):\n";
  for (const auto& w : r["warnings"]) std::cout << "  " << w.asString() << "\n";
  if (r["unknown_field_count"].asUInt64())
    std::cout << "unknown fields kept in the audit record: " << r["unknown_field_count"].asUInt64()
              << "\n";
  if (r.isMember("snapshot") && !r["snapshot"]["pushed"].asBool())
    std::cout << "snapshot: " << r["snapshot"]["error"].asString() << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  // Anywhere on the line: `ezapi-ctl token --help` shows the help too, and does nothing.
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--help" || a == "-h" || (i == 1 && a == "help")) {
      (void)usage(std::cout);
      return 0;
    }
    if (a == "--version" || a == "-V") {
      std::cout << ez::build::version_line("ezapi-ctl") << "\n";
      return 0;
    }
  }
  const std::string cmd = argv[1];
  std::optional<std::string> config_path;
  std::string sql_dir, ttl = "1h", sub = "ezapi-ctl";
  std::multimap<std::string, std::string> usage_params;  // --from --to --group-by
  bool rebuild = false;
  std::string import_file, actor;
  bool dry_run = false, as_json = false;
  ez::importer::TypeMap type_map;
  try {
    const ez::cmd::CommandLine cl =
        ez::cmd::parse_command_line(argc, argv, 2, option_set(cmd), true);
    for (const auto& [name, value] : cl.options) {
      if (name == "help") {  // a shortened --help ("--he"): the exact ones were seen above
        (void)usage(std::cout);
        return 0;
      }
      if (name == "version") {
        std::cout << ez::build::version_line("ezapi-ctl") << "\n";
        return 0;
      }
      if (name == "config") {
        config_path = value;
      } else if (name == "sql-dir") {
        sql_dir = value;
      } else if (name == "ttl") {
        ttl = value;
        if (!ez::api::parse_token_ttl(ttl)) {
          std::cerr << "ezapi-ctl: --ttl '" << ttl << "' is not a TTL: " << ez::api::kTokenTtlHelp
                    << "\n";
          return 2;
        }
      } else if (name == "sub") {
        sub = value;
      } else if (name == "from" || name == "to") {
        usage_params.emplace(name, value);
      } else if (name == "group-by") {
        usage_params.emplace("group_by", value);
      } else if (name == "dry-run") {
        dry_run = true;
      } else if (name == "json") {
        as_json = true;
      } else if (name == "map-type") {
        ez::importer::parse_type_map(value, type_map);
      } else if (name == "actor") {
        actor = value;
      }
    }
    for (const auto& [index, arg] : cl.positional) {
      if (cmd == "usage" && arg == "rebuild" && index == 2)
        rebuild = true;
      else if (cmd == "import" && import_file.empty() && !arg.empty() && arg[0] != '-')
        import_file = arg;
      else
        return usage();
    }
  } catch (const Poco::Util::OptionException& e) {
    std::cerr << "ezapi-ctl: " << e.displayText() << "\n";
    return usage();
  } catch (const std::exception& e) {
    std::cerr << "ezapi-ctl: " << e.what() << "\n";
    return 2;
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
      ez::context::Context ctx(loaded.settings);
      const auto report = retrying("sync", [&] {
        ctx.mark_pg_broken();  // a retry starts on a fresh connection
        return ez::snapshot::resync(ctx);
      });
      std::cout << ez::http::to_json(report.to_json()) << "\n";
      return 0;
    }
    if (cmd == "usage") return usage_command(loaded.settings, usage_params, rebuild);
    if (cmd == "import") {
      if (import_file.empty()) return usage();
      const MappedFile file(import_file);
      ez::context::Context ctx(loaded.settings);
      ez::importer::ImportOptions options;
      options.dry_run = dry_run;
      options.type_map = type_map;
      options.actor = actor.empty() ? "ezapi-ctl (" + login_name() + ")" : actor;
      const Json::Value report = ez::importer::run_import(ctx, file.text(), options);
      if (as_json)
        std::cout << ez::http::to_json(report) << "\n";
      else
        print_import(report);
      return 0;
    }
    if (cmd == "check-config") {
      std::cout << ez::config::render_effective(loaded);
      return 0;
    }
    return usage();
  } catch (const ez::http::ApiError& e) {
    // A bad file: the message starts with the JSON path of the first bad value.
    std::cerr << "ezapi-ctl " << cmd << ": " << e.what() << "\n";
    return 1;
  } catch (const ez::config::ConfigError& e) {
    std::cerr << "ezapi-ctl: config error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "ezapi-ctl " << cmd << ": " << e.what() << "\n";
    return 1;
  }
}
