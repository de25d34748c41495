#include "db/migrate.h"

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <pqxx/pqxx>
#include <sstream>
#include <stdexcept>

namespace ez::db {
namespace fs = std::filesystem;

namespace {
// Any constant: the lock only has to be the same number on every host.
constexpr long long kMigrationLock = 0x657a617069;  // "ezapi"

constexpr const char* kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())";
}  // namespace

std::string find_sql_dir(const std::string& explicit_dir, const std::string& argv0) {
  std::vector<fs::path> candidates;
  if (!explicit_dir.empty()) candidates.emplace_back(explicit_dir);
  if (const char* env = std::getenv("EZ_SQL_DIR")) candidates.emplace_back(env);
  std::error_code ec;
  auto exe = fs::canonical("/proc/self/exe", ec);
  if (!ec) candidates.push_back(exe.parent_path().parent_path() / "share/ezapi/sql");
  (void)argv0;
#ifdef EZ_SOURCE_DIR
  candidates.push_back(fs::path(EZ_SOURCE_DIR) / "sql");
#endif
  for (const auto& c : candidates)
    if (fs::is_directory(c)) return c.string();
  throw std::runtime_error("no sql/ directory found (set EZ_SQL_DIR or --sql-dir)");
}

MigrationResult migrate(const std::string& dsn, const std::string& sql_dir) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(sql_dir))
    if (e.path().extension() == ".sql") files.push_back(e.path());
  std::sort(files.begin(), files.end());

  pqxx::connection conn(dsn);
  {
    pqxx::nontransaction tx(conn);
    tx.exec("SELECT pg_advisory_lock(" + std::to_string(kMigrationLock) + ")");
  }
  MigrationResult result;
  try {
    {
      pqxx::work tx(conn);
      tx.exec(kCreateTable);
      tx.commit();
    }
    for (const auto& file : files) {
      const std::string name = file.filename().string();
      pqxx::work tx(conn);
      auto seen = tx.exec_params("SELECT 1 FROM schema_migrations WHERE name = $1", name);
      if (!seen.empty()) {
        result.skipped.push_back(name);
        continue;
      }
      std::ifstream in(file);
      std::stringstream sql;
      sql << in.rdbuf();
      try {
        tx.exec(sql.str());
      } catch (const std::exception& e) {
        throw std::runtime_error(name + ": " + e.what());
      }
      tx.exec_params("INSERT INTO schema_migrations(name) VALUES ($1)", name);
      tx.commit();
      result.applied.push_back(name);
    }
  } catch (...) {
    // The lock is session-level: closing the connection releases it too,
    // but say so explicitly for the next reader.
    try {
      pqxx::nontransaction tx(conn);
      tx.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
    } catch (...) {
    }
    throw;
  }
  pqxx::nontransaction tx(conn);
  tx.exec("SELECT pg_advisory_unlock(" + std::to_string(kMigrationLock) + ")");
  return result;
}

}  // namespace ez::db
