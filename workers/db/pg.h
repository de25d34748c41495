// One PostgreSQL connection per worker process, opened lazily and re-opened with
// back-off after a failure, so a request that does not need the database never
// waits for it and a dead database is not hammered by every request.
#pragma once

#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <string>

namespace ez::db {

// SQL lives in named constants; each one declared as a Statement registers
// itself and is prepared on every (re)connection.
class Statement {
 public:
  Statement(const char* name, const char* sql);
  const char* name() const { return name_; }
  const char* sql() const { return sql_; }

 private:
  const char* name_;
  const char* sql_;
};

class Pg {
 public:
  explicit Pg(std::string dsn, std::string application_name = "ezapi");
  Pg(const Pg&) = delete;
  Pg& operator=(const Pg&) = delete;

  // The open connection; throws ApiError(unavailable) while PostgreSQL is down
  // (without trying again before the back-off delay has passed).
  [[nodiscard]] pqxx::connection& conn();
  // Called when a query hit a broken connection: drop it, reconnect later.
  void mark_broken();
  // Cheap liveness probe for /readyz ("SELECT 1"); never throws.
  [[nodiscard]] bool ping(std::string* why = nullptr);
  bool connected() const { return conn_ != nullptr; }

 private:
  std::string dsn_;
  std::string application_name_;
  std::unique_ptr<pqxx::connection> conn_;
  std::chrono::steady_clock::time_point next_attempt_{};
  std::chrono::milliseconds backoff_{0};
  std::string last_error_;
};

}  // namespace ez::db
