// Ordered SQL migrations (sql/, NNN_name.sql), each applied once, in its own
// transaction, recorded in schema_migrations. A session advisory lock makes two
// hosts running `ezapi-ctl migrate` at once take turns instead of racing.
#pragma once

#include <string>
#include <vector>

namespace ez::db {

struct MigrationResult {
  std::vector<std::string> applied;
  std::vector<std::string> skipped;
};

// Directory lookup order: explicit, EZ_SQL_DIR, <exe>/../share/ezapi/sql, the source tree.
[[nodiscard]] std::string find_sql_dir(const std::string& explicit_dir, const std::string& argv0);

[[nodiscard]] MigrationResult migrate(const std::string& dsn, const std::string& sql_dir);

}  // namespace ez::db
