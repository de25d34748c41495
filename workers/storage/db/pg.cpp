#include "db/pg.h"

#include <cstdlib>
#include <thread>
#include <vector>

#include "common/error.h"
#include "common/log.h"

namespace ez::db {
namespace {

std::vector<const Statement*>& registry() {
  static std::vector<const Statement*> statements;
  return statements;
}

// How long a retry after a lost connection waits before asking again.
constexpr std::chrono::milliseconds kMinBackoff{100};

}  // namespace

Statement::Statement(const char* name, const char* sql) : name_(name), sql_(sql) {
  registry().push_back(this);
}

Pg::Pg(std::string dsn, std::string application_name)
    : dsn_(std::move(dsn)), application_name_(std::move(application_name)) {}

pqxx::connection& Pg::conn() {
  if (conn_ && conn_->is_open()) return *conn_;
  conn_.reset();
  const auto now = Backoff::Clock::now();
  if (!backoff_.ready(now))
    throw Error(ErrorCode::unavailable, "database unavailable").with_retry_after(1);
  try {
    // connect_timeout keeps a request from hanging on an unreachable host.
    // libpq reads PGCONNECT_TIMEOUT/PGAPPNAME when the DSN does not say, so a
    // keyword/value string and a postgresql:// URI both work unchanged.
    ::setenv("PGCONNECT_TIMEOUT", "3", 0);
    ::setenv("PGAPPNAME", application_name_.c_str(), 1);
    auto c = std::make_unique<pqxx::connection>(dsn_);
    for (const Statement* s : registry()) c->prepare(s->name(), s->sql());
    conn_ = std::move(c);
    backoff_.succeeded();
    if (!last_error_.empty()) log::info("postgres: connection re-established");
    last_error_.clear();
    return *conn_;
  } catch (const std::exception& e) {
    (void)backoff_.failed(now);
    std::string msg = e.what();
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    if (msg != last_error_) log::warn("postgres: connect failed: " + msg);
    last_error_ = msg;
    throw Error(ErrorCode::unavailable, "database unavailable").with_retry_after(1);
  }
}

void Pg::mark_broken() {
  // No connection: the caller failed because the back-off refused to connect; that
  // must neither extend the wait nor cut it short.
  if (!conn_) return;
  conn_.reset();
  backoff_.retry_now();
}

bool Pg::reconnect_within(std::chrono::milliseconds budget) {
  conn_.reset();
  const auto deadline = std::chrono::steady_clock::now() + budget;
  for (;;) {
    backoff_.retry_now();
    try {
      (void)conn();
      return true;
    } catch (const Error&) {
      // conn() logged it once; try again until the budget is spent.
    }
    if (std::chrono::steady_clock::now() + kMinBackoff * 2 >= deadline) return false;
    std::this_thread::sleep_for(kMinBackoff * 2);
  }
}

bool is_connection_loss_state(const std::string& sqlstate) {
  return sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" || sqlstate == "25006" ||
         sqlstate.rfind("08", 0) == 0;
}

bool is_connection_loss(const std::exception& e) {
  if (dynamic_cast<const pqxx::in_doubt_error*>(&e)) return false;
  if (dynamic_cast<const pqxx::broken_connection*>(&e)) return true;
  if (const auto* s = dynamic_cast<const pqxx::sql_error*>(&e))
    return is_connection_loss_state(s->sqlstate());
  return false;
}

bool Pg::ping(std::string* why) {
  try {
    pqxx::nontransaction tx(conn());
    tx.exec("SELECT 1");
    return true;
  } catch (const pqxx::broken_connection& e) {
    mark_broken();
    if (why) *why = "connection lost";
  } catch (const pqxx::sql_error& e) {
    if (is_connection_loss(e)) mark_broken();
    if (why) *why = e.what();
  } catch (const Error& e) {
    if (why) *why = last_error_.empty() ? e.what() : last_error_;
  } catch (const std::exception& e) {
    if (why) *why = e.what();
  }
  return false;
}

}  // namespace ez::db
