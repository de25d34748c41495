// ezapi-ctl: operator commands.
//   ezapi-ctl migrate [--sql-dir DIR]     apply sql/ migrations
//   ezapi-ctl token [--ttl 1h] [--sub NAME]  mint an admin JWT
//   ezapi-ctl check-config                print the effective configuration
//   ezapi-ctl sync                        rebuild the Redis snapshot from PostgreSQL
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
#include <string>
#include <vector>

#include "api/auth.h"
#include "api/context.h"
#include "config/config.h"
#include "db/migrate.h"
#include "http/error.h"
#include "http/response.h"
#include "importer/service.h"
#include "snapshot/sync.h"

namespace {

int usage() {
  std::cerr << "usage: ezapi-ctl <command> [options]\n"
               "  migrate [--sql-dir DIR]          apply pending SQL migrations\n"
               "  token [--ttl 1h] [--sub NAME]    print an admin JWT (HS256, auth.jwt_secret)\n"
               "  check-config                     print the effective configuration\n"
               "  sync                             rebuild the Redis snapshot from PostgreSQL\n"
               "  import FILE [--dry-run] [--map-type FROM=TO] [--json] [--actor NAME]\n"
               "                                   import a New API exporter file (no size cap)\n"
               "options for every command: --config FILE\n";
  return 2;
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
  const std::string cmd = argv[1];
  std::optional<std::string> config_path;
  std::string sql_dir, ttl = "1h", sub = "ezapi-ctl";
  std::string import_file, actor;
  bool dry_run = false, as_json = false;
  ez::importer::TypeMap type_map;
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
      else if (cmd == "import" && a == "--dry-run")
        dry_run = true;
      else if (cmd == "import" && a == "--json")
        as_json = true;
      else if (cmd == "import" && a == "--map-type")
        ez::importer::parse_type_map(next(), type_map);
      else if (cmd == "import" && a == "--actor")
        actor = next();
      else if (cmd == "import" && import_file.empty() && !a.empty() && a[0] != '-')
        import_file = a;
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
    if (cmd == "import") {
      if (import_file.empty()) return usage();
      const MappedFile file(import_file);
      ez::api::Context ctx(loaded.settings);
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
