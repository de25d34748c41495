#include "db/errors.h"

#include "db/pg.h"

namespace ez::db {

namespace {

// Every 503 says when to come back; a failover promotes the replica in a second or two.
constexpr int kRetryAfterSeconds = 1;

}  // namespace

StorageError::StorageError(Failure failure, ErrorCode code, const std::string& message,
                           std::string detail)
    : Error(code, message), failure_(failure), detail_(std::move(detail)) {
  if (code == ErrorCode::unavailable) with_retry_after(kRetryAfterSeconds);
}

StorageError translate(const pqxx::pqxx_exception& e) {
  // pqxx_exception is a mixin: the concrete type is reached through base(), not by a
  // cast from the mixin itself (libpqxx's own advice).
  const std::exception& b = e.base();
  const std::string what = b.what();
  // Before sql_error: a lost COMMIT is not a connection loss that may be retried.
  if (dynamic_cast<const pqxx::in_doubt_error*>(&b))
    return {Failure::commit_in_doubt, ErrorCode::unavailable,
            "database connection lost during commit; the change may or may not be applied: "
            "read it back before retrying",
            what};
  if (is_connection_loss(b))
    return {Failure::connection_lost, ErrorCode::unavailable, "database unavailable", what};
  if (dynamic_cast<const pqxx::unique_violation*>(&b))
    return {Failure::unique_violation, ErrorCode::conflict, "already exists", what};
  if (dynamic_cast<const pqxx::foreign_key_violation*>(&b))
    return {Failure::foreign_key_violation, ErrorCode::conflict,
            "refers to a missing resource or is still referenced", what};
  if (dynamic_cast<const pqxx::check_violation*>(&b))
    return {Failure::check_violation, ErrorCode::invalid_field, "value out of range", what};
  // 57014 query_canceled: a statement_timeout (the searches set one) or a cancel request.
  // The client asked for more work than the server gives one query; not a bug.
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&b); sql && sql->sqlstate() == "57014")
    return {Failure::timed_out, ErrorCode::query_timeout,
            "the query ran longer than the server allows; narrow the window or add filters",
            what + " query: " + sql->query()};
  // The statement goes to the log (it names tables and values), never to the client.
  if (const auto* sql = dynamic_cast<const pqxx::sql_error*>(&b))
    return {Failure::other, ErrorCode::internal, "internal error",
            what + " query: " + sql->query()};
  return {Failure::other, ErrorCode::internal, "internal error", what};
}

std::optional<StorageError> translate_current() {
  try {
    throw;
  } catch (const StorageError& e) {
    return e;
  } catch (const pqxx::pqxx_exception& e) {
    return translate(e);
  } catch (...) {
    return std::nullopt;
  }
}

void rethrow_typed() {
  std::optional<StorageError> e = translate_current();
  if (!e) throw;
  throw *e;
}

}  // namespace ez::db
