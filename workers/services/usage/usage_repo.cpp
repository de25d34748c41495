#include "usage/usage_repo.h"

#include <json/reader.h>

#include <array>
#include <map>
#include <memory>

#include "db/json_columns.h"
#include "logq/entry.h"

namespace ez::usage {

namespace {

using usage::GroupBy;
using usage::kDayUs;

// A timestamptz parameter: the text form PostgreSQL reads exactly (microseconds, UTC).
std::string ts_param(int64_t us) {
  return ez::format_timestamp_us(us);
}

// ---- usage ----------------------------------------------------------------------------

// $1 from, $2 first whole day, $3 end of the last whole day, $4 to (all hour-aligned),
// $5 master_id, $6 key_id, $7 model, $8 provider_id (null: any).
constexpr const char* kUsageFilter =
    " WHERE ($5::bigint IS NULL OR master_id = $5) AND ($6::bigint IS NULL OR key_id = $6)"
    " AND ($7::text IS NULL OR model = $7) AND ($8::bigint IS NULL OR provider_id = $8)";

std::string group_expr(GroupBy g) {
  switch (g) {
    case GroupBy::master:
      return "master_id";
    case GroupBy::key:
      return "key_id";
    case GroupBy::model:
      return "model";
    case GroupBy::provider:
      return "provider_id";
    case GroupBy::hour:
      return "bucket";
    case GroupBy::day:
      return "date_bin('1 day', bucket, timestamptz '2000-01-01 00:00:00+00')";
  }
  return "master_id";
}

std::string group_text(GroupBy g) {
  return g == GroupBy::hour || g == GroupBy::day ? EZ_SQL_MICROS("g") "::text" : "g::text";
}

// The per-master rollups (sql/008) hold only master_id: the other filters must be absent
// (their parameters are still typed, so the statement has the same eight parameters).
constexpr const char* kMasterFilter =
    " WHERE ($5::bigint IS NULL OR master_id = $5) AND $6::bigint IS NULL AND $7::text IS NULL"
    " AND $8::bigint IS NULL";

// Everything usage_sql's text depends on: the dimension, the table pair and the window shape.
struct UsageShape {
  GroupBy group_by;
  bool narrow;  // the per-master rollups (usage::reads_master_rollups)
  bool split;   // whole days from the daily table, the edges from the hourly one
};

// The sums (and the latency max) that every row of the answer carries, in metrics_of's
// order after the group: requests, errors, unpriced, the three token sums, cost.
constexpr std::array<const char*, 7> kSummed = {
    "requests", "errors", "unpriced", "prompt_tokens", "completion_tokens", "total_tokens", "cost"};

std::string usage_sql(const UsageShape& s) {
  const std::string hourly = rollup::rollup_table(rollup::Grain::hour, s.narrow).name;
  const std::string daily = rollup::rollup_table(rollup::Grain::day, s.narrow).name;
  const std::string filter = s.narrow ? kMasterFilter : kUsageFilter;
  // Only the columns both kinds of table have (the narrow ones lack key_id ... status_class).
  std::string cols =
      "bucket, master_id, requests, errors, unpriced, prompt_tokens, "
      "completion_tokens, total_tokens, cost, latency_max";
  for (size_t i = 0; i < rollup::kLatencyBuckets; ++i) cols += ", " + rollup::hist_column(i);
  if (!s.narrow) cols += ", key_id, model, provider_id";
  const std::string select = "SELECT " + cols + " FROM ";
  std::string source;
  if (s.split) {
    source = select + hourly + filter + " AND bucket >= $1 AND bucket < $2 UNION ALL " + select +
             daily + filter + " AND bucket >= $2 AND bucket < $3 UNION ALL " + select + hourly +
             filter + " AND bucket >= $3 AND bucket < $4";
  } else {
    source = select + hourly + filter + " AND bucket >= $1 AND bucket < $4" +
             " AND $2::timestamptz IS NOT NULL AND $3::timestamptz IS NOT NULL";
  }
  // The groups first (a hash aggregate over the rollup rows), then the total as the sum of
  // the groups: the same numbers as GROUPING SETS ((g), ()), which sorted every rollup
  // row (~2.6k rows x 36 columns for 30 days by master) and cost twice the time.
  std::string sums, group_sums, total_sums, out;
  for (const char* c : kSummed) {
    sums += std::string(", sum(") + c + ") AS " + c;
    total_sums += std::string(", sum(") + c + ")";
  }
  std::string hist_out;
  for (size_t i = 0; i < rollup::kLatencyBuckets; ++i) {
    const std::string h = rollup::hist_column(i);
    sums += ", sum(" + h + ") AS " + h;
    total_sums += ", sum(" + h + ")";
    hist_out += ", coalesce(" + h + ", 0)::bigint";
  }
  return "WITH grp AS (SELECT " + group_expr(s.group_by) + " AS g" + sums +
         ", max(latency_max) AS latency_max FROM (" + source +
         ") r GROUP BY 1) "
         "SELECT is_total, " +
         group_text(s.group_by) +
         " AS g_text, coalesce(requests, 0)::bigint, coalesce(errors, 0)::bigint, "
         "coalesce(unpriced, 0)::bigint, coalesce(prompt_tokens, 0)::text, "
         "coalesce(completion_tokens, 0)::text, coalesce(total_tokens, 0)::text, "
         "CASE WHEN requests > unpriced THEN cost::text END, latency_max" +
         hist_out + " FROM (SELECT 0 AS is_total, grp.* FROM grp UNION ALL SELECT 1, NULL" +
         total_sums + ", max(latency_max) FROM grp) t ORDER BY is_total, g";
}

// One named statement per shape (6 dimensions x 2 table pairs x 2 window shapes): the text
// is fixed, so PostgreSQL parses it once per connection instead of once per request.
// Defined on the connection at first use (libpqxx prepares lazily and takes an identical
// re-definition as a no-op), so every connection has them: the workers' and ezapi-ctl's.
class UsageStatements {
 public:
  UsageStatements() {
    for (GroupBy g : {GroupBy::master, GroupBy::key, GroupBy::model, GroupBy::provider,
                      GroupBy::day, GroupBy::hour})
      for (bool narrow : {false, true})
        for (bool split : {false, true}) {
          auto& e = entries_[index({g, narrow, split})];
          e.name = "usage_q" + std::to_string(index({g, narrow, split}));
          e.sql = usage_sql({g, narrow, split});
        }
  }
  // The statement's name, defined on tx's connection.
  [[nodiscard]] const std::string& prepare(pqxx::transaction_base& tx, const UsageShape& s) const {
    const Entry& e = entries_[index(s)];
    tx.conn().prepare(e.name, e.sql);
    return e.name;
  }

 private:
  static size_t index(const UsageShape& s) {
    return static_cast<size_t>(s.group_by) * 4 + (s.narrow ? 2 : 0) + (s.split ? 1 : 0);
  }
  struct Entry {
    std::string name, sql;
  };
  std::array<Entry, 24> entries_;
};

const UsageStatements kUsageStatements;

UsageMetrics metrics_of(const pqxx::row& r) {
  UsageMetrics m;
  m.requests = r[2].as<int64_t>();
  m.errors = r[3].as<int64_t>();
  m.unpriced = r[4].as<int64_t>();
  m.prompt_tokens = r[5].as<std::string>();
  m.completion_tokens = r[6].as<std::string>();
  m.total_tokens = r[7].as<std::string>();
  if (!r[8].is_null()) m.cost = r[8].as<std::string>();
  if (!r[9].is_null()) m.latency_max = r[9].as<int64_t>();
  for (size_t i = 0; i < rollup::kLatencyBuckets; ++i)
    m.hist[i] = r[static_cast<pqxx::row::size_type>(10 + i)].as<int64_t>();
  return m;
}

// ---- logs -----------------------------------------------------------------------------

const std::vector<LogColumn> kLogCols = {
    {"id", LogColumn::integer},
    {"ts", LogColumn::time},
    {"received_at", LogColumn::time},
    {"request_id", LogColumn::text},
    {"master_id", LogColumn::integer},
    {"key_id", LogColumn::integer},
    {"namespace", LogColumn::text},
    {"model", LogColumn::text},
    {"upstream_model", LogColumn::text},
    {"provider_id", LogColumn::integer},
    {"provider_type", LogColumn::text},
    {"route_group", LogColumn::text},
    {"status_code", LogColumn::integer},
    {"latency_ms", LogColumn::integer},
    {"ttft_ms", LogColumn::integer},
    {"prompt_tokens", LogColumn::integer},
    {"completion_tokens", LogColumn::integer},
    {"total_tokens", LogColumn::integer},
    {"cost", LogColumn::number},
    {"client_ip", LogColumn::text},
    {"stream", LogColumn::boolean},
    {"error_type", LogColumn::text},
    {"error_message", LogColumn::text},
    {"extra", LogColumn::json},
};

constexpr const char* kLogSelect =
    "SELECT id, " EZ_SQL_MICROS("ts") ", " EZ_SQL_MICROS(
        "received_at") ", request_id, master_id, key_id, namespace, model, upstream_model, "
                       "provider_id, provider_type, route_group, status_code, latency_ms, "
                       "ttft_ms, prompt_tokens, completion_tokens, total_tokens, cost::text, "
                       "client_ip, stream, error_type, error_message, extra::text FROM logs";

// $1 from, $2 to, $3 master_id, $4 key_id, $5 model, $6 provider_id, $7 status,
// $8 status class, $9 request_id, $10 error_type, $11 cursor ts, $12 cursor id.
// ts is bounded by literal-free parameters of an unnamed statement: PostgreSQL plans it
// with their values, so only the window's partitions are in the plan.
constexpr const char* kLogWhere =
    " WHERE ts >= $1::timestamptz AND ts < $2::timestamptz"
    " AND ($3::bigint IS NULL OR master_id = $3) AND ($4::bigint IS NULL OR key_id = $4)"
    " AND ($5::text IS NULL OR model = $5) AND ($6::bigint IS NULL OR provider_id = $6)"
    " AND ($7::int IS NULL OR status_code = $7)"
    " AND ($8::int IS NULL OR status_code / 100 = $8)"
    " AND ($9::text IS NULL OR request_id = $9) AND ($10::text IS NULL OR error_type = $10)"
    " AND ($11::timestamptz IS NULL OR ts <= $11::timestamptz)"
    " AND ($11::timestamptz IS NULL OR (ts, id) < ($11::timestamptz, $12::bigint))"
    " ORDER BY ts DESC, id DESC";

std::optional<std::string> opt_ts(const std::optional<usage::LogCursor>& c) {
  if (!c) return std::nullopt;
  return ts_param(c->ts_us);
}

// Fills `c` from the row, reusing its strings (an export decodes every row into the same
// cells). The row's own iterator, not r[i]: libpqxx 6 builds a field per r[i], which was
// the export's largest single cost in a profile (22% of the worker).
void cells_of(const pqxx::row& r, LogCells& c) {
  c.resize(r.size());
  size_t i = 0;
  for (const auto& f : r) {
    auto& cell = c[i++];
    if (f.is_null())
      cell.reset();
    else if (cell)
      cell->assign(f.c_str(), f.size());
    else
      cell.emplace(f.c_str(), f.size());
  }
}

LogCells cells_of(const pqxx::row& r) {
  LogCells c;
  cells_of(r, c);
  return c;
}

constexpr const char* kKeyQuotas =
    "SELECT id::text, quota_limit, quota_used, unlimited_quota FROM keys "
    "WHERE id = ANY($1::bigint[])";

// The quota fields of the keys the rows name (rows of deleted keys keep none).
void attach_key_quotas(pqxx::transaction_base& tx, UsageResult& out) {
  rollup::ArrayLiteral ids;
  bool any = false;
  for (const auto& row : out.rows)
    if (row.group) {
      ids.add(std::string_view(*row.group));
      any = true;
    }
  if (!any) return;
  std::map<std::string, usage::KeyQuota, std::less<>> quotas;
  for (const auto& r : tx.exec_params(kKeyQuotas, ids.finish()))
    quotas[r[0].as<std::string>()] = {r[1].as<int64_t>(), r[2].as<int64_t>(), r[3].as<bool>()};
  for (auto& row : out.rows)
    if (row.group)
      if (auto it = quotas.find(*row.group); it != quotas.end()) row.quota = it->second;
}

}  // namespace

UsageResult query_usage(pqxx::transaction_base& tx, const usage::UsageQuery& q) {
  const int64_t d1 = usage::ceil_to(q.from_us, kDayUs);
  const int64_t d2 = usage::floor_to(q.to_us, kDayUs);
  const bool split = q.group_by != GroupBy::hour && d1 < d2;
  // Without filters, a generic plan: it does not depend on the values (index range scans
  // on bucket, a hash aggregate), and planning the three-branch UNION took longer than
  // running it (3.5 ms of 9 for 30 days by master). With a filter the custom plan reads
  // only that master's or key's rows through their index; a generic plan cannot (the
  // "$5 IS NULL OR ..." stays), so it keeps being planned per request. LOCAL: the log
  // search in the same session keeps custom plans (its partition pruning needs values).
  if (!q.master_id && !q.key_id && !q.model && !q.provider_id)
    tx.exec("SET LOCAL plan_cache_mode = force_generic_plan");
  const pqxx::result res = tx.exec_prepared(
      kUsageStatements.prepare(tx, {q.group_by, usage::reads_master_rollups(q), split}),
      ts_param(q.from_us), ts_param(split ? d1 : q.from_us), ts_param(split ? d2 : q.to_us),
      ts_param(q.to_us), q.master_id, q.key_id, q.model, q.provider_id);
  UsageResult out;
  for (const auto& r : res) {
    if (r[0].as<int>() == 1) {
      out.totals = metrics_of(r);
      continue;
    }
    UsageRow row;
    if (!r[1].is_null()) row.group = r[1].as<std::string>();
    row.m = metrics_of(r);
    out.rows.push_back(std::move(row));
  }
  if (q.group_by == GroupBy::key) attach_key_quotas(tx, out);
  return out;
}

const std::vector<LogColumn>& log_columns() {
  return kLogCols;
}

Json::Value log_json(const LogCells& cells) {
  Json::Value j(Json::objectValue);
  for (size_t i = 0; i < kLogCols.size() && i < cells.size(); ++i) {
    const auto& col = kLogCols[i];
    const auto& v = cells[i];
    if (!v) {
      j[col.name] = Json::Value(Json::nullValue);
      continue;
    }
    switch (col.kind) {
      case LogColumn::integer:
        j[col.name] = Json::Int64(std::stoll(*v));
        break;
      case LogColumn::time:
        j[col.name] = db::rfc3339_from_micros(std::stoll(*v));
        break;
      case LogColumn::boolean:
        j[col.name] = *v == "t";
        break;
      case LogColumn::number:
        j[col.name] = std::strtod(v->c_str(), nullptr);
        break;
      case LogColumn::json: {
        Json::CharReaderBuilder b;
        std::unique_ptr<Json::CharReader> reader(b.newCharReader());
        Json::Value parsed;
        if (reader->parse(v->data(), v->data() + v->size(), &parsed, nullptr))
          j[col.name] = parsed;
        else
          j[col.name] = *v;
        break;
      }
      case LogColumn::text:
        j[col.name] = *v;
        break;
    }
  }
  return j;
}

std::string logs_search_sql() {
  return std::string(kLogSelect) + kLogWhere + " LIMIT $13";
}

std::vector<LogCells> query_logs(pqxx::transaction_base& tx, const usage::LogsQuery& q,
                                 int64_t limit) {
  const pqxx::result res = tx.exec_params(
      logs_search_sql(), ts_param(q.from_us), ts_param(q.to_us), q.master_id, q.key_id, q.model,
      q.provider_id, q.status, q.status_class, q.request_id, q.error_type, opt_ts(q.cursor),
      q.cursor ? std::optional<int64_t>(q.cursor->id) : std::nullopt, limit);
  std::vector<LogCells> out;
  out.reserve(res.size());
  for (const auto& r : res) out.push_back(cells_of(r));
  return out;
}

std::vector<LogCells> logs_by_request_id(pqxx::transaction_base& tx, const std::string& request_id,
                                         std::optional<int64_t> master_id, int64_t from_us) {
  const pqxx::result res = tx.exec_params(
      std::string(kLogSelect) +
          " WHERE request_id = $1 AND ts >= $2::timestamptz AND ($3::bigint IS NULL OR "
          "master_id = $3) ORDER BY ts DESC, id DESC LIMIT 100",
      request_id, ts_param(from_us), master_id);
  std::vector<LogCells> out;
  for (const auto& r : res) out.push_back(cells_of(r));
  return out;
}

void declare_logs_cursor(pqxx::transaction_base& tx, const usage::LogsQuery& q, int64_t max_rows) {
  // A server-side cursor: PostgreSQL keeps the result, we hold one FETCH at a time.
  // Planned for the whole result, not for the first 10% (the cursor default): an export
  // reads every row, and the fast-start plan (walk ts backwards, filter) read a scattered
  // master's 30 days at half the speed of the bitmap scan + sort a COPY picks. The LIMIT
  // (one row past max_rows, to tell that more matched) keeps a window far larger than
  // an export may send from being sorted whole before the first row.
  tx.exec("SET LOCAL cursor_tuple_fraction = 1.0");
  tx.exec_params(std::string("DECLARE ez_export NO SCROLL CURSOR FOR ") + kLogSelect + kLogWhere +
                     " LIMIT $13",
                 ts_param(q.from_us), ts_param(q.to_us), q.master_id, q.key_id, q.model,
                 q.provider_id, q.status, q.status_class, q.request_id, q.error_type,
                 opt_ts(q.cursor), q.cursor ? std::optional<int64_t>(q.cursor->id) : std::nullopt,
                 max_rows + 1);
}

int64_t fetch_logs(pqxx::transaction_base& tx, int64_t max_rows,
                   const std::function<void(const LogCells&)>& each, bool* more, int batch) {
  int64_t sent = 0;
  *more = false;
  const std::string fetch = "FETCH " + std::to_string(batch) + " FROM ez_export";
  // The next FETCH is sent before this batch is written out, so PostgreSQL reads rows
  // while the worker formats and sends the previous ones (one FETCH at a time left both
  // idle in turn: ~28% of the machine idle during an export). At most two batches are
  // held: the one being written and the one on its way.
  pqxx::pipeline pipe(tx);
  auto pending = pipe.insert(fetch);
  LogCells cells;
  // Waits for a FETCH still in flight, so the transaction stays usable after an early
  // return or an exception from `each` (an abandoned pipeline cancels, which would leave
  // the transaction unusable until it is aborted).
  const auto drain = [&pipe]() noexcept {
    try {
      pipe.complete();
    } catch (const std::exception&) {  // the connection is gone: nothing to drain
    }
  };
  try {
    for (;;) {
      const pqxx::result res = pipe.retrieve(pending);
      const bool last = res.size() < static_cast<size_t>(batch);
      if (!last) pending = pipe.insert(fetch);
      for (const auto& r : res) {
        if (sent >= max_rows) {
          *more = true;
          drain();
          return sent;
        }
        cells_of(r, cells);
        each(cells);
        ++sent;
      }
      if (last) return sent;
    }
  } catch (...) {
    drain();
    throw;
  }
}

RebuildResult rebuild_usage(pqxx::connection& conn, int64_t from_us, int64_t to_us) {
  RebuildResult out;
  out.from_us = usage::floor_to(from_us, kDayUs);
  out.to_us = usage::ceil_to(to_us, kDayUs);
  pqxx::work tx(conn);
  tx.exec("SELECT pg_advisory_xact_lock(ez_usage_lock_key())");
  const std::string from = ts_param(out.from_us), to = ts_param(out.to_us);
  for (const auto& t : rollup::kRollupTables) {
    tx.exec_params(std::string("DELETE FROM ") + t.name +
                       " WHERE bucket >= $1::timestamptz AND bucket < $2::timestamptz",
                   from, to);
    const auto n =
        static_cast<int64_t>(tx.exec_params(rollup::rebuild_sql(t), from, to).affected_rows());
    if (t.per_master)
      (t.grain == rollup::Grain::hour ? out.master_hourly_rows : out.master_daily_rows) = n;
    else
      (t.grain == rollup::Grain::hour ? out.hourly_rows : out.daily_rows) = n;
  }
  tx.commit();
  return out;
}

usage::LogCursor cursor_of(const LogCells& cells) {
  return {std::stoll(cells.at(1).value_or("0")), std::stoll(cells.at(0).value_or("0"))};
}

}  // namespace ez::usage
