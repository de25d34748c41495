// Tests for workers/storage/db/errors.*: what each libpqxx failure means in the error
// vocabulary (the table the services and, as a last resort, the dispatcher use), and that
// the helpers translate storage failures only. The exceptions are built without a server,
// as libpqxx builds them from a server's answer.
#include "db/errors.h"

#include <boost/test/unit_test.hpp>
#include <ostream>
#include <stdexcept>
#include <string>

namespace ez::db {
// So that a failed check prints which failure it got.
std::ostream& operator<<(std::ostream& os, Failure f) {
  return os << static_cast<int>(f);
}
}  // namespace ez::db

using ez::Error;
using ez::ErrorCode;
using ez::db::Failure;
using ez::db::StorageError;
using ez::db::translate;

namespace {

const std::string kQuery = "INSERT INTO providers (name, api_key) VALUES ('secret-name', 'sk-x')";

int code(const Error& e) {
  return static_cast<int>(e.code());
}

// What a storage call throwing `e` leaves translate_errors() with.
template <typename E>
StorageError thrown_through(const E& e) {
  try {
    ez::db::translate_errors([&]() -> int { throw e; });
  } catch (const StorageError& s) {
    return s;
  }
  BOOST_FAIL("no StorageError left translate_errors");
  throw std::logic_error("unreachable");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(db_errors)

BOOST_AUTO_TEST_CASE(lost_sessions_are_unavailable_with_retry_after) {
  for (const StorageError& e : {translate(pqxx::broken_connection("server closed the connection")),
                                translate(pqxx::sql_error("terminating connection", "", "57P01")),
                                translate(pqxx::sql_error("read-only transaction", "", "25006")),
                                translate(pqxx::sql_error("connection failure", "", "08006"))}) {
    BOOST_TEST(code(e) == static_cast<int>(ErrorCode::unavailable));
    BOOST_TEST(e.failure() == Failure::connection_lost);
    BOOST_TEST(e.session_lost());
    BOOST_TEST(e.what() == std::string("database unavailable"));
    BOOST_TEST(e.retry_after() == 1);
  }
}

BOOST_AUTO_TEST_CASE(a_lost_commit_is_in_doubt_not_a_retryable_loss) {
  const StorageError e = translate(pqxx::in_doubt_error("connection lost during COMMIT"));
  BOOST_TEST(code(e) == static_cast<int>(ErrorCode::unavailable));
  BOOST_TEST(e.failure() == Failure::commit_in_doubt);
  BOOST_TEST(e.session_lost());
  BOOST_TEST(std::string(e.what()).find("read it back before retrying") != std::string::npos);
  BOOST_TEST(e.retry_after() == 1);
}

BOOST_AUTO_TEST_CASE(constraint_violations_are_the_clients_and_carry_no_sql) {
  const StorageError dup =
      translate(pqxx::unique_violation("duplicate key value", kQuery, "23505"));
  BOOST_TEST(code(dup) == static_cast<int>(ErrorCode::conflict));
  BOOST_TEST(dup.failure() == Failure::unique_violation);
  BOOST_TEST(dup.what() == std::string("already exists"));
  const StorageError fk = translate(pqxx::foreign_key_violation("violates fk", kQuery, "23503"));
  BOOST_TEST(code(fk) == static_cast<int>(ErrorCode::conflict));
  BOOST_TEST(fk.failure() == Failure::foreign_key_violation);
  const StorageError check = translate(pqxx::check_violation("violates check", kQuery, "23514"));
  BOOST_TEST(code(check) == static_cast<int>(ErrorCode::invalid_field));
  BOOST_TEST(check.failure() == Failure::check_violation);
  for (const StorageError* e : {&dup, &fk, &check}) {
    BOOST_TEST(!e->session_lost());
    BOOST_TEST(e->retry_after() == 0);
    // PostgreSQL names a constraint, not a field: only a service can name the field.
    BOOST_TEST(e->field().empty());
    BOOST_TEST(std::string(e->what()).find("secret-name") == std::string::npos, e->what());
  }
}

BOOST_AUTO_TEST_CASE(other_failures_are_internal_with_the_statement_kept_for_the_log) {
  const StorageError sql = translate(pqxx::sql_error("relation \"secret_table\" does not exist",
                                                     "SELECT * FROM secret_table", "42P01"));
  BOOST_TEST(code(sql) == static_cast<int>(ErrorCode::internal));
  BOOST_TEST(sql.failure() == Failure::other);
  BOOST_TEST(sql.what() == std::string("internal error"));
  BOOST_TEST(sql.detail().find("SELECT * FROM secret_table") != std::string::npos, sql.detail());
  // A NOT NULL violation is the code's fault, not the client's (every field is validated).
  BOOST_TEST(code(translate(pqxx::not_null_violation("null value", kQuery, "23502"))) ==
             static_cast<int>(ErrorCode::internal));
  // Not SQL errors at all, still pqxx's: a deadlock, a misuse, a conversion.
  BOOST_TEST(code(translate(pqxx::deadlock_detected("deadlock detected"))) ==
             static_cast<int>(ErrorCode::internal));
  const StorageError usage = translate(pqxx::usage_error("transaction already open"));
  BOOST_TEST(usage.failure() == Failure::other);
  BOOST_TEST(usage.detail() == "transaction already open");
  BOOST_TEST(code(translate(pqxx::conversion_error("not an int"))) ==
             static_cast<int>(ErrorCode::internal));
}

BOOST_AUTO_TEST_CASE(translate_errors_turns_pqxx_into_storage_errors_and_nothing_else) {
  BOOST_TEST(ez::db::translate_errors([] { return 7; }) == 7);
  BOOST_TEST(thrown_through(pqxx::broken_connection("gone")).failure() == Failure::connection_lost);
  BOOST_TEST(thrown_through(pqxx::unique_violation("dup", kQuery, "23505")).failure() ==
             Failure::unique_violation);
  // Already translated (a service inside a service): passes as it is.
  const StorageError inner = translate(pqxx::in_doubt_error("lost"));
  BOOST_TEST(thrown_through(inner).failure() == Failure::commit_in_doubt);
  // A service's own error and a bug travel on unchanged.
  try {
    ez::db::translate_errors([]() -> int { ez::not_found("provider"); });
    BOOST_ERROR("no exception");
  } catch (const StorageError&) {
    BOOST_ERROR("a service's not_found became a storage error");
  } catch (const Error& e) {
    BOOST_TEST(code(e) == static_cast<int>(ErrorCode::not_found));
    BOOST_TEST(e.what() == std::string("provider not found"));
  }
  BOOST_CHECK_THROW(ez::db::translate_errors([]() -> int { throw std::out_of_range("bug"); }),
                    std::out_of_range);
}

BOOST_AUTO_TEST_CASE(on_duplicate_names_the_field_only_for_a_unique_violation) {
  const auto duplicate = [] {
    return Error(ErrorCode::conflict, "a thing named x exists", "name");
  };
  try {
    (void)ez::db::on_duplicate(
        []() -> int { throw pqxx::unique_violation("duplicate key value", kQuery, "23505"); },
        duplicate);
    BOOST_ERROR("no exception");
  } catch (const StorageError&) {
    BOOST_ERROR("the duplicate was not named");
  } catch (const Error& e) {
    BOOST_TEST(code(e) == static_cast<int>(ErrorCode::conflict));
    BOOST_TEST(e.field() == "name");
    BOOST_TEST(e.what() == std::string("a thing named x exists"));
  }
  // Any other failure is translated as usual, not blamed on the name.
  try {
    (void)ez::db::on_duplicate(
        []() -> int { throw pqxx::foreign_key_violation("violates fk", kQuery, "23503"); },
        duplicate);
    BOOST_ERROR("no exception");
  } catch (const StorageError& e) {
    BOOST_TEST(e.failure() == Failure::foreign_key_violation);
    BOOST_TEST(e.field().empty());
  }
  BOOST_CHECK_THROW(
      (void)ez::db::on_duplicate([]() -> int { throw pqxx::broken_connection("gone"); }, duplicate),
      StorageError);
  BOOST_TEST(ez::db::on_duplicate([] { return 3; }, duplicate) == 3);
}

// A search past usage.search_timeout_ms is a clear JSON 503, not an internal error.
BOOST_AUTO_TEST_CASE(a_statement_timeout_is_query_timeout) {
  const StorageError e = translate(
      pqxx::sql_error("canceling statement due to statement timeout", "SELECT 1", "57014"));
  BOOST_TEST(code(e) == static_cast<int>(ErrorCode::query_timeout));
  BOOST_TEST(e.failure() == Failure::timed_out);
  BOOST_TEST(!e.session_lost());
  BOOST_TEST(std::string(e.what()).find("narrow the window") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
