#include "flusher/pg_sink.h"

#include <array>
#include <optional>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/log.h"
#include "logq/entry.h"

namespace ez::flusher::detail {
// One whole COPY row, already escaped into PostgreSQL's text format by us.
struct CopyLine {
  std::string text;
};
}  // namespace ez::flusher::detail

namespace pqxx::internal {
// pqxx::stream_to escapes each field through this functor, one std::string at a time, and
// that was most of the flusher's CPU time (profiled: pqxx's escape() alone ~1/3, the copies
// around it another third). A CopyLine is one pre-escaped row: hand it through unchanged, so
// stream_to only frames it and sends it. (pqxx does the same for nullptr_t just above.)
template <>
inline std::string TypedCopyEscaper::operator()<ez::flusher::detail::CopyLine>(
    const ez::flusher::detail::CopyLine* line) const {
  return line->text;
}
}  // namespace pqxx::internal

namespace ez::flusher {

namespace {

using detail::CopyLine;
using Row = std::tuple<CopyLine>;

const std::vector<std::string>& columns() {
  static const std::vector<std::string> cols(logq::kLogColumns.begin(), logq::kLogColumns.end());
  return cols;
}

// SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation): the row is
// at fault, not the connection or the server.
bool row_at_fault(const pqxx::sql_error& e) {
  const std::string state = e.sqlstate();
  return state.rfind("22", 0) == 0 || state.rfind("23", 0) == 0;
}

// COPY text format: fields separated by tabs, NULL as \N, and backslash, tab, newline and
// carriage return escaped with a backslash (the rest, UTF-8 included, goes as it is).
void append_escaped(std::string& out, std::string_view v) {
  for (;;) {
    const size_t at = v.find_first_of("\\\t\n\r");
    out.append(v.substr(0, at));
    if (at == std::string_view::npos) return;
    out += '\\';
    switch (v[at]) {
      case '\t':
        out += 't';
        break;
      case '\n':
        out += 'n';
        break;
      case '\r':
        out += 'r';
        break;
      default:
        out += '\\';
        break;
    }
    v.remove_prefix(at + 1);
  }
}

// The queue entry as one COPY line; false if it is not a well-formed encoding.
bool to_row(std::string_view data, Row& row) {
  logq::EncodedFields fields;
  if (!logq::decode(data, fields)) return false;
  std::string& line = std::get<0>(row).text;
  line.clear();
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i) line += '\t';
    if (fields[i])
      append_escaped(line, *fields[i]);
    else
      line += "\\N";
  }
  return true;
}

// Reinterpreted, not converted: ring ids use all 64 bits; bigint holds them as they are.
int64_t db_id(uint64_t ring_id) {
  return static_cast<int64_t>(ring_id);
}

constexpr const char* kAdvance =
    "UPDATE log_flusher_state SET committed_seq = $1, updated_at = now(), host = $4 "
    "WHERE ring_id = $2 AND committed_seq = $3";

void advance(pqxx::work& tx, uint64_t ring_id, uint64_t expected, uint64_t last,
             const std::string& host) {
  const pqxx::result r = tx.exec_prepared("ez_flusher_advance", static_cast<int64_t>(last),
                                          db_id(ring_id), static_cast<int64_t>(expected), host);
  if (r.affected_rows() != 1)
    throw StaleState("log_flusher_state for this queue is not at " + std::to_string(expected));
}

void reject(pqxx::work& tx, uint64_t ring_id, const logq::Consumer::Entry& e,
            const std::string& why) {
  tx.exec_params(
      "INSERT INTO logs_rejected (ring_id, seq, raw, error) VALUES ($1, $2, $3, $4) "
      "ON CONFLICT DO NOTHING",
      db_id(ring_id), static_cast<int64_t>(e.seq), pqxx::binarystring(e.data.data(), e.data.size()),
      why);
  log::error("log entry " + std::to_string(e.seq) +
             " refused by PostgreSQL, kept in logs_rejected: " + why);
}

}  // namespace

std::string dsn_with(const std::string& dsn, const std::string& key, const std::string& value) {
  const bool uri = dsn.rfind("postgresql://", 0) == 0 || dsn.rfind("postgres://", 0) == 0;
  if (uri) return dsn + (dsn.find('?') == std::string::npos ? "?" : "&") + key + "=" + value;
  return dsn + (dsn.empty() ? "" : " ") + key + "=" + value;
}

PgSink::PgSink(std::string dsn, std::string host) : dsn_(std::move(dsn)), host_(std::move(host)) {}
PgSink::~PgSink() = default;

pqxx::connection& PgSink::conn() {
  if (conn_ && conn_->is_open()) return *conn_;
  conn_.reset();
  std::string dsn = dsn_with(dsn_, "connect_timeout", "5");
  dsn = dsn_with(dsn, "application_name", "ezapi-flusher");
  // Notice a silently dead server (cable, VM pause) instead of waiting forever.
  dsn = dsn_with(dsn, "keepalives_idle", "30");
  auto c = std::make_unique<pqxx::connection>(dsn);
  c->prepare("ez_flusher_advance", kAdvance);
  {
    pqxx::nontransaction tx(*c);
    // A hung statement must not hang the flusher (SIGTERM drains only between batches).
    tx.exec("SET statement_timeout = '120s'");
  }
  conn_ = std::move(c);
  return *conn_;
}

void PgSink::disconnect() noexcept {
  conn_.reset();
}
bool PgSink::connected() const {
  return conn_ && conn_->is_open();
}

uint64_t PgSink::committed_seq(uint64_t ring_id) {
  pqxx::work tx(conn());
  tx.exec_params(
      "INSERT INTO log_flusher_state (ring_id, host) VALUES ($1, $2) ON CONFLICT (ring_id) DO "
      "NOTHING",
      db_id(ring_id), host_);
  const pqxx::row r = tx.exec_params1(
      "SELECT committed_seq FROM log_flusher_state WHERE ring_id = $1", db_id(ring_id));
  tx.commit();
  return static_cast<uint64_t>(r[0].as<int64_t>());
}

WriteResult PgSink::write(uint64_t ring_id, uint64_t expected,
                          std::span<const logq::Consumer::Entry> entries) {
  if (entries.empty()) return {expected, 0, 0};
  WriteResult result{entries.back().seq, 0, 0};
  try {
    pqxx::work tx(conn());
    std::vector<size_t> undecodable;
    {
      pqxx::stream_to copy(tx, "logs", columns());
      Row row;
      for (size_t i = 0; i < entries.size(); ++i) {
        if (!to_row(entries[i].data, row)) {
          undecodable.push_back(i);
          continue;
        }
        copy << row;
        ++result.written;
      }
      copy.complete();
    }
    advance(tx, ring_id, expected, result.committed_seq, host_);
    for (size_t i : undecodable) reject(tx, ring_id, entries[i], "undecodable queue entry");
    result.rejected = undecodable.size();
    tx.commit();
    return result;
  } catch (const pqxx::sql_error& e) {
    if (!row_at_fault(e)) throw;
    log::warn("a log batch was refused (" + std::string(e.sqlstate()) +
              "); retrying its rows one by one");
  }
  return write_one_by_one(ring_id, expected, entries);
}

WriteResult PgSink::write_one_by_one(uint64_t ring_id, uint64_t expected,
                                     std::span<const logq::Consumer::Entry> entries) {
  WriteResult result{entries.back().seq, 0, 0};
  pqxx::work tx(conn());
  Row row;
  for (const auto& e : entries) {
    if (!to_row(e.data, row)) {
      reject(tx, ring_id, e, "undecodable queue entry");
      ++result.rejected;
      continue;
    }
    std::string error;
    try {
      pqxx::subtransaction sub(tx, "log_row");
      {
        pqxx::stream_to copy(sub, "logs", columns());
        copy << row;
        copy.complete();
      }
      sub.commit();
      ++result.written;
      continue;
    } catch (const pqxx::sql_error& err) {
      if (!row_at_fault(err)) throw;
      error = std::string(err.sqlstate()) + ": " + err.what();
    }
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    reject(tx, ring_id, e, error);
    ++result.rejected;
  }
  advance(tx, ring_id, expected, result.committed_seq, host_);
  tx.commit();
  return result;
}

void PgSink::maintain(int days_ahead, int retention_days) {
  pqxx::work tx(conn());
  const int made =
      tx.exec_params1("SELECT ez_logs_ensure_partitions($1, 1)", days_ahead)[0].as<int>();
  const int dropped =
      tx.exec_params1("SELECT ez_logs_drop_partitions($1)", retention_days)[0].as<int>();
  tx.commit();
  if (made || dropped)
    log::info("log partitions: created " + std::to_string(made) + ", dropped " +
              std::to_string(dropped) + " (retention " + std::to_string(retention_days) + " days)");
}

}  // namespace ez::flusher
