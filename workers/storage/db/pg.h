// One PostgreSQL connection per worker process, opened lazily and re-opened with
// back-off after a failure, so a request that does not need the database never
// waits for it and a dead database is not hammered by every request.
#pragma once

#include <chrono>
#include <memory>
#include <pqxx/pqxx>
#include <string>

#include "common/backoff.h"

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

  // The open connection; throws Error(unavailable) while PostgreSQL is down
  // (without trying again before the back-off delay has passed).
  [[nodiscard]] pqxx::connection& conn();
  // Called when a query hit a broken connection: drop it. The next conn()
  // connects again at once (with a multi-host DSN, to whichever host is the
  // primary now); only a failed connect starts the back-off. Without a connection
  // (the back-off refused one) it does nothing.
  void mark_broken();
  // Drops the connection and tries to open a new one until `budget` has passed,
  // ignoring the back-off: used once per request after a failover, when the new
  // primary is usually seconds away. True when connected.
  [[nodiscard]] bool reconnect_within(std::chrono::milliseconds budget);
  // Cheap liveness probe for /readyz ("SELECT 1"); never throws.
  [[nodiscard]] bool ping(std::string* why = nullptr);
  bool connected() const { return conn_ != nullptr; }

 private:
  std::string dsn_;
  std::string application_name_;
  std::unique_ptr<pqxx::connection> conn_;
  // At most one connect attempt a second per process while PostgreSQL is away, so
  // a returning (or newly promoted) primary is found within a second.
  Backoff backoff_{std::chrono::milliseconds{100}, std::chrono::milliseconds{1000}};
  std::string last_error_;
};

// True when `e` means the session is gone or unusable for writes rather than
// that the statement was wrong: a lost connection, the server shutting down or
// not accepting connections yet (57P01..57P03), connection exceptions (08xxx),
// or a read-only session (25006: connected to a standby, e.g. a demoted
// primary). The transaction it happened in did not commit (a lost COMMIT is
// pqxx::in_doubt_error, which is not a connection loss here).
[[nodiscard]] bool is_connection_loss(const std::exception& e);
// The same decision on a SQLSTATE alone (what unit tests cover).
[[nodiscard]] bool is_connection_loss_state(const std::string& sqlstate);

}  // namespace ez::db
