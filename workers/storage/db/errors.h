// Storage failures in the base error vocabulary. libpqxx reports a failure as one of its
// own exception types; above this layer nobody should have to know them. translate() is
// the ONE table that says what each means (a lost server is `unavailable`, a duplicate or a
// dangling reference `conflict`, a CHECK `invalid_field`, anything else `internal`), and
// the services run their storage calls through translate_errors() / on_duplicate(), so what
// leaves a service is an ez::Error. The dispatcher wraps every handler in the same
// translation as a last resort, so a pqxx exception that escaped anyway is answered alike.
//
//   db::ProviderRow row = db::on_duplicate([&] { return db::insert_provider(tx, v); },
//                                          [&] { return duplicate_name(v.name); });
#pragma once

#include <optional>
#include <pqxx/except>
#include <string>
#include <utility>

#include "common/error.h"

namespace ez::db {

// What went wrong, beyond the code: what a caller may need to react to.
enum class Failure {
  connection_lost,        // unavailable: the session died before COMMIT, so nothing of the
                          // transaction survived and running it again is safe
  commit_in_doubt,        // unavailable: COMMIT was sent and its answer lost; never re-run
  unique_violation,       // conflict: a service names the field (on_duplicate)
  foreign_key_violation,  // conflict: refers to a missing row, or is still referenced
  check_violation,        // invalid_field: a value a CHECK constraint refuses
  timed_out,              // query_timeout: statement_timeout cancelled the statement
  other,                  // internal: a bug (bad SQL, a conversion, a deadlock...)
};

// A translated storage failure. what() is what the client may read; detail() is the
// server's own message (with the statement for SQL errors), for the log only.
class StorageError : public Error {
 public:
  StorageError(Failure failure, ErrorCode code, const std::string& message, std::string detail);

  [[nodiscard]] Failure failure() const { return failure_; }
  [[nodiscard]] const std::string& detail() const { return detail_; }
  // The session is gone: the caller drops its connection so the next use reconnects.
  [[nodiscard]] bool session_lost() const {
    return failure_ == Failure::connection_lost || failure_ == Failure::commit_in_doubt;
  }

 private:
  Failure failure_;
  std::string detail_;
};

// What `e` means. Every pqxx exception has an answer (unknown ones are `other`).
[[nodiscard]] StorageError translate(const pqxx::pqxx_exception& e);

// Inside a catch block: the exception being handled as a StorageError (translated when it
// is a pqxx one, as it is when it was translated already), or nullopt when it is not a
// storage failure (a service's own ez::Error, a bug) and must travel on unchanged.
[[nodiscard]] std::optional<StorageError> translate_current();

// Inside a catch block: rethrows the exception being handled, translated when it is a
// pqxx one.
[[noreturn]] void rethrow_typed();

// Runs `fn`; a pqxx exception leaves it as a StorageError, anything else unchanged.
template <typename F>
decltype(auto) translate_errors(F&& fn) {
  try {
    return std::forward<F>(fn)();
  } catch (...) {
    rethrow_typed();
  }
}

// The same, for a write that can hit a unique constraint: that failure leaves as
// `duplicate()` returns (a 409 naming the field, which only the caller knows: PostgreSQL
// names a constraint, and libpqxx 6 does not even pass that name on).
template <typename F, typename MakeError>
decltype(auto) on_duplicate(F&& fn, MakeError&& duplicate) {
  try {
    return std::forward<F>(fn)();
  } catch (...) {
    std::optional<StorageError> e = translate_current();
    if (!e) throw;
    if (e->failure() == Failure::unique_violation) throw Error(duplicate());
    throw *e;
  }
}

}  // namespace ez::db
