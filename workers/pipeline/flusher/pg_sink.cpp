#include "flusher/pg_sink.h"

#include <array>
#include <charconv>
#include <optional>
#include <string_view>
#include <tuple>
#include <vector>

#include "common/log.h"
#include "logq/entry.h"
#include "pgcopy/copy_in.h"
#include "pgcopy/copy_text.h"
#include "rollup/ingest.h"
#include "rollup/partials.h"
#include "rollup/rollup_sql.h"

namespace ez::flusher {

namespace {

using pgcopy::CopyIn;
using pgcopy::CopyRow;

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

constexpr size_t column(std::string_view name) {
  for (size_t i = 0; i < logq::kLogColumns.size(); ++i)
    if (name == logq::kLogColumns[i]) return i;
  throw "unknown log column";  // compile-time error when used in a constant expression
}
constexpr size_t kTs = column("ts"), kMaster = column("master_id"), kKey = column("key_id"),
                 kNs = column("namespace"), kModel = column("model"),
                 kProvider = column("provider_id"), kStatus = column("status_code"),
                 kLatency = column("latency_ms"), kPrompt = column("prompt_tokens"),
                 kCompletion = column("completion_tokens"), kTotal = column("total_tokens"),
                 kCost = column("cost"), kExtra = column("extra");

// One queue entry, decoded (views into the entry's bytes) and priced.
struct Decoded {
  bool ok = false;
  logq::EncodedFields fields;
  std::optional<std::string> cost;  // computed at ingest; the entry carried none
  [[nodiscard]] std::optional<std::string_view> get(size_t col) const {
    if (col == kCost && cost) return std::string_view(*cost);
    return fields[col];
  }
};

// The entry as one COPY line.
void to_row(const Decoded& d, CopyRow& row) {
  row.clear();
  for (size_t i = 0; i < d.fields.size(); ++i) row.optional_text(d.get(i));
}

int64_t int_or_zero(const std::optional<std::string_view>& v) {
  int64_t n = 0;
  if (v) std::from_chars(v->data(), v->data() + v->size(), n);
  return n;
}

// Decodes every entry and prices those without a cost (rollup/ingest.h), in `tx`: the
// prices are read in the batch's own transaction.
std::vector<Decoded> decode_and_price(pqxx::work& tx,
                                      std::span<const logq::Consumer::Entry> entries) {
  std::vector<Decoded> out(entries.size());
  rollup::ArrayLiteral masters, nss, models, prompts, completions, cached, idx;
  size_t to_price = 0;
  for (size_t i = 0; i < entries.size(); ++i) {
    Decoded& d = out[i];
    d.ok = logq::decode(entries[i].data, d.fields);
    if (!d.ok || d.fields[kCost] || !d.fields[kModel]) continue;
    const int64_t prompt = int_or_zero(d.fields[kPrompt]);
    int64_t cache = 0;
    if (d.fields[kExtra]) cache = rollup::cache_read_tokens(*d.fields[kExtra]).value_or(0);
    cache = std::min(cache, prompt);
    masters.add(d.fields[kMaster]);
    nss.add(d.fields[kNs]);
    models.add(d.fields[kModel]);
    prompts.add(std::to_string(prompt));
    completions.add(std::to_string(int_or_zero(d.fields[kCompletion])));
    cached.add(std::to_string(cache));
    idx.add(std::to_string(i));
    ++to_price;
  }
  if (to_price == 0) return out;
  const pqxx::result r =
      tx.exec_prepared("ez_flusher_price", masters.finish(), nss.finish(), models.finish(),
                       prompts.finish(), completions.finish(), cached.finish(), idx.finish());
  for (const auto& row : r) {
    const auto i = row[0].as<size_t>();
    if (i < out.size() && !row[1].is_null()) out[i].cost = row[1].as<std::string>();
  }
  return out;
}

// Adds the written entries to usage_hourly and usage_daily (one statement).
void roll_up(pqxx::work& tx, const std::vector<Decoded>& rows, const std::vector<size_t>& written) {
  if (written.empty()) return;
  // Folded into partial sums first (rollup/partials.h) when every value allows it: the
  // statement then parses one array element per partial instead of eleven per row (it was
  // a third of the landing transaction); else row by row, as the rebuild does.
  std::vector<rollup::RollupRow> in;
  in.reserve(written.size());
  for (size_t i : written) {
    const Decoded& d = rows[i];
    in.push_back({d.get(kTs), d.get(kMaster), d.get(kKey), d.get(kModel), d.get(kProvider),
                  d.get(kStatus), d.get(kPrompt), d.get(kCompletion), d.get(kTotal), d.get(kCost),
                  d.get(kLatency)});
  }
  if (const auto folded = rollup::fold(in)) {
    std::array<rollup::ArrayLiteral, rollup::Partials::kColumns> a;
    for (size_t c = 0; c < a.size(); ++c)
      for (const auto& v : folded->columns[c])
        a[c].add(v ? std::optional<std::string_view>(*v) : std::nullopt);
    tx.exec_prepared("ez_flusher_rollup_partials", a[0].finish(), a[1].finish(), a[2].finish(),
                     a[3].finish(), a[4].finish(), a[5].finish(), a[6].finish(), a[7].finish(),
                     a[8].finish(), a[9].finish(), a[10].finish(), a[11].finish(), a[12].finish(),
                     a[13].finish(), a[14].finish(), a[15].finish());
    return;
  }
  constexpr std::array<size_t, 11> kCols = {kTs,       kMaster, kKey,    kModel,
                                            kProvider, kStatus, kPrompt, kCompletion,
                                            kTotal,    kCost,   kLatency};
  std::array<rollup::ArrayLiteral, kCols.size()> arrays;
  for (size_t i : written)
    for (size_t c = 0; c < kCols.size(); ++c) arrays[c].add(rows[i].get(kCols[c]));
  tx.exec_prepared("ez_flusher_rollup", arrays[0].finish(), arrays[1].finish(), arrays[2].finish(),
                   arrays[3].finish(), arrays[4].finish(), arrays[5].finish(), arrays[6].finish(),
                   arrays[7].finish(), arrays[8].finish(), arrays[9].finish(), arrays[10].finish());
}

// Reinterpreted, not converted: ring ids use all 64 bits; bigint holds them as they are.
int64_t db_id(uint64_t ring_id) {
  return static_cast<int64_t>(ring_id);
}

// Shared: batches run side by side; `ezapi-ctl usage rebuild` takes it exclusively so
// it never re-derives a window while a batch is adding to it.
constexpr const char* kUsageLock = "SELECT pg_advisory_xact_lock_shared(ez_usage_lock_key())";

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

PgSink::PgSink(std::string dsn, std::string host, int rollup_retention_days)
    : dsn_(std::move(dsn)), host_(std::move(host)), rollup_retention_days_(rollup_retention_days) {}
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
  c->prepare("ez_flusher_price", rollup::price_sql());
  c->prepare("ez_flusher_rollup", rollup::batch_rollup_sql());
  c->prepare("ez_flusher_rollup_partials", rollup::partials_rollup_sql());
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
    tx.exec(kUsageLock);
    const std::vector<Decoded> decoded = decode_and_price(tx, entries);
    std::vector<size_t> undecodable, written;
    written.reserve(entries.size());
    {
      CopyIn copy(tx, "logs", columns());
      CopyRow row;
      for (size_t i = 0; i < entries.size(); ++i) {
        if (!decoded[i].ok) {
          undecodable.push_back(i);
          continue;
        }
        to_row(decoded[i], row);
        copy.write(row.line());
        written.push_back(i);
      }
      copy.complete();
    }
    result.written = written.size();
    roll_up(tx, decoded, written);
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
  tx.exec(kUsageLock);
  const std::vector<Decoded> decoded = decode_and_price(tx, entries);
  std::vector<size_t> written;
  CopyRow row;
  for (size_t i = 0; i < entries.size(); ++i) {
    const auto& e = entries[i];
    if (!decoded[i].ok) {
      reject(tx, ring_id, e, "undecodable queue entry");
      ++result.rejected;
      continue;
    }
    to_row(decoded[i], row);
    std::string error;
    try {
      pqxx::subtransaction sub(tx, "log_row");
      {
        CopyIn copy(sub, "logs", columns());
        copy.write(row.line());
        copy.complete();
      }
      sub.commit();
      ++result.written;
      written.push_back(i);
      continue;
    } catch (const pqxx::sql_error& err) {
      if (!row_at_fault(err)) throw;
      error = std::string(err.sqlstate()) + ": " + err.what();
    }
    while (!error.empty() && (error.back() == '\n' || error.back() == ' ')) error.pop_back();
    reject(tx, ring_id, e, error);
    ++result.rejected;
  }
  // Only the rows that landed count in the rollups.
  roll_up(tx, decoded, written);
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
  // Rollups have their own, longer retention (log.rollup_retention_days).
  const auto rollups =
      tx.exec_params1("SELECT ez_usage_drop_old($1)", rollup_retention_days_)[0].as<int64_t>();
  tx.commit();
  if (rollups)
    log::info("usage rollups: deleted " + std::to_string(rollups) + " rows older than " +
              std::to_string(rollup_retention_days_) + " days");
  if (made || dropped)
    log::info("log partitions: created " + std::to_string(made) + ", dropped " +
              std::to_string(dropped) + " (retention " + std::to_string(retention_days) + " days)");
}

}  // namespace ez::flusher
