#include "api/usage_view.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

#include "common/json_writer.h"
#include "db/errors.h"
#include "db/json_columns.h"
#include "http/response.h"
#include "rollup/rollup_sql.h"

namespace ez::api {

namespace {

// numeric text -> a finite double (jsoncpp prints infinity as 1e+9999, which no reader takes).
Json::Value finite_json(const std::string& text) {
  const double d = std::strtod(text.c_str(), nullptr);
  if (std::isfinite(d)) return d;
  return std::copysign(std::numeric_limits<double>::max(), d);
}

using usage::GroupBy;

// numeric text -> an integer when it is one (token sums), else a double. A client reads these
// into int64 and float64 (Go's decoder refuses anything else), so a sum past them, which only
// rows stored before ingest had ceilings can reach, prints as the largest it can read.
Json::Value number_json(const std::string& text) {
  int64_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec == std::errc() && p == text.data() + text.size()) return Json::Int64(n);
  if (ec == std::errc::result_out_of_range && p == text.data() + text.size())
    return Json::Int64(text[0] == '-' ? std::numeric_limits<int64_t>::min()
                                      : std::numeric_limits<int64_t>::max());
  return finite_json(text);
}

Json::Value opt_int(const std::optional<int64_t>& v) {
  return v ? Json::Value(Json::Int64(*v)) : Json::Value(Json::nullValue);
}

std::string bucket_text(const std::string& micros) {
  return db::rfc3339_from_micros(std::stoll(micros));
}

std::string group_text(const usage::UsageRow& row, GroupBy g) {
  if (!row.group) return "";
  if (g == GroupBy::hour || g == GroupBy::day) return bucket_text(*row.group);
  return *row.group;
}

std::string opt_text(const std::optional<int64_t>& v) {
  return v ? std::to_string(*v) : std::string();
}

}  // namespace

const char* usage_dimension_field(GroupBy g) {
  switch (g) {
    case GroupBy::master:
      return "master_id";
    case GroupBy::key:
      return "key_id";
    case GroupBy::model:
      return "model";
    case GroupBy::provider:
      return "provider_id";
    case GroupBy::day:
    case GroupBy::hour:
      return "bucket";
  }
  return "master_id";
}

Json::Value key_quota_json(const std::optional<usage::KeyQuota>& q) {
  if (!q) return Json::Value(Json::nullValue);
  Json::Value j(Json::objectValue);
  j["unlimited"] = q->unlimited;
  j["limit"] = Json::Int64(q->limit);
  j["used"] = Json::Int64(q->used);
  j["remaining"] = opt_int(usage::quota_remaining(*q));
  return j;
}

Json::Value usage_metrics_json(const usage::UsageMetrics& m) {
  Json::Value j(Json::objectValue);
  j["requests"] = Json::Int64(m.requests);
  j["errors"] = Json::Int64(m.errors);
  j["prompt_tokens"] = number_json(m.prompt_tokens);
  j["completion_tokens"] = number_json(m.completion_tokens);
  j["total_tokens"] = number_json(m.total_tokens);
  j["cost"] = m.cost ? finite_json(*m.cost) : Json::Value(Json::nullValue);
  j["unpriced_requests"] = Json::Int64(m.unpriced);
  j["latency_p50_ms"] = opt_int(rollup::percentile_ms(m.hist, 0.50, m.latency_max));
  j["latency_p95_ms"] = opt_int(rollup::percentile_ms(m.hist, 0.95, m.latency_max));
  j["latency_p99_ms"] = opt_int(rollup::percentile_ms(m.hist, 0.99, m.latency_max));
  return j;
}

Json::Value usage_row_json(const usage::UsageRow& row, GroupBy g) {
  Json::Value j(Json::objectValue);
  j["group"] = group_text(row, g);
  const char* dim = usage_dimension_field(g);
  if (!row.group)
    j[dim] = Json::Value(Json::nullValue);
  else if (g == GroupBy::model)
    j[dim] = *row.group;
  else if (g == GroupBy::day || g == GroupBy::hour)
    j[dim] = bucket_text(*row.group);
  else
    j[dim] = Json::Int64(std::stoll(*row.group));
  const Json::Value m = usage_metrics_json(row.m);
  for (const auto& name : m.getMemberNames()) j[name] = m[name];
  if (g == GroupBy::key) j["quota"] = key_quota_json(row.quota);
  return j;
}

Json::Value usage_json(const usage::UsageResult& r, const usage::UsageQuery& q) {
  Json::Value j(Json::objectValue);
  j["from"] = db::rfc3339_from_micros(q.from_us);
  j["to"] = db::rfc3339_from_micros(q.to_us);
  j["group_by"] = usage::group_by_name(q.group_by);
  Json::Value rows(Json::arrayValue);
  for (const auto& row : r.rows) rows.append(usage_row_json(row, q.group_by));
  j["rows"] = std::move(rows);
  j["totals"] = usage_metrics_json(r.totals);
  return j;
}

std::string usage_csv_header(GroupBy g) {
  return std::string("group,") + usage_dimension_field(g) +
         ",requests,errors,prompt_tokens,completion_tokens,total_tokens,cost,unpriced_requests,"
         "latency_p50_ms,latency_p95_ms,latency_p99_ms\r\n";
}

std::string usage_csv_line(const usage::UsageRow& row, GroupBy g) {
  const auto& m = row.m;
  const std::string group = group_text(row, g);
  std::string line = usage::csv_field(group) + "," + usage::csv_field(group);
  for (const std::string& v :
       {std::to_string(m.requests), std::to_string(m.errors), m.prompt_tokens, m.completion_tokens,
        m.total_tokens, m.cost.value_or(""), std::to_string(m.unpriced),
        opt_text(rollup::percentile_ms(m.hist, 0.50, m.latency_max)),
        opt_text(rollup::percentile_ms(m.hist, 0.95, m.latency_max)),
        opt_text(rollup::percentile_ms(m.hist, 0.99, m.latency_max))})
    line += "," + usage::csv_field(v);
  return line + "\r\n";
}

void append_log_ndjson(std::string& out, const usage::LogCells& cells) {
  const auto& cols = usage::log_columns();
  out += '{';
  for (size_t i = 0; i < cols.size(); ++i) {
    if (i) out += ',';
    out += '"';
    out += cols[i].name;  // plain ASCII names
    out += "\":";
    if (i >= cells.size() || !cells[i]) {
      out += "null";
      continue;
    }
    const std::string& v = *cells[i];
    switch (cols[i].kind) {
      case usage::LogColumn::integer:
      case usage::LogColumn::json:  // PostgreSQL's int8 and jsonb text are JSON already
        out += v;
        break;
      case usage::LogColumn::time:
        append_json_string(out, db::rfc3339_from_micros(std::stoll(v)));
        break;
      case usage::LogColumn::boolean:
        out += v == "t" ? "true" : "false";
        break;
      case usage::LogColumn::number: {
        // As the JSON answers print it: the double, in its shortest round-trip form.
        char buf[40];
        const auto r = std::to_chars(buf, buf + sizeof buf, std::strtod(v.c_str(), nullptr));
        out.append(buf, r.ptr);
        break;
      }
      case usage::LogColumn::text:
        append_json_string(out, v);
        break;
    }
  }
  out += "}\n";
}

std::string log_ndjson_line(const usage::LogCells& cells) {
  std::string out;
  append_log_ndjson(out, cells);
  return out;
}

std::string logs_csv_header() {
  std::string line;
  for (const auto& c : usage::log_columns())
    line += (line.empty() ? "" : ",") + std::string(c.name);
  return line + "\r\n";
}

std::string logs_csv_line(const usage::LogCells& cells) {
  std::string line;
  const auto& cols = usage::log_columns();
  for (size_t i = 0; i < cols.size() && i < cells.size(); ++i) {
    if (i) line += ',';
    if (!cells[i]) continue;  // NULL: an empty field
    if (cols[i].kind == usage::LogColumn::time)
      line += db::rfc3339_from_micros(std::stoll(*cells[i]));
    else
      line += usage::csv_field(*cells[i]);
  }
  return line + "\r\n";
}

std::string usage_table(const usage::UsageResult& r, const usage::UsageQuery& q) {
  std::vector<std::vector<std::string>> cells;
  cells.push_back({usage::group_by_name(q.group_by), "requests", "errors", "prompt_tok",
                   "completion_tok", "total_tok", "cost", "unpriced", "p50_ms", "p95_ms",
                   "p99_ms"});
  auto line = [&](const std::string& group, const usage::UsageMetrics& m) {
    cells.push_back({group, std::to_string(m.requests), std::to_string(m.errors), m.prompt_tokens,
                     m.completion_tokens, m.total_tokens, m.cost.value_or("-"),
                     std::to_string(m.unpriced),
                     opt_text(rollup::percentile_ms(m.hist, 0.50, m.latency_max)),
                     opt_text(rollup::percentile_ms(m.hist, 0.95, m.latency_max)),
                     opt_text(rollup::percentile_ms(m.hist, 0.99, m.latency_max))});
  };
  for (const auto& row : r.rows) line(row.group ? group_text(row, q.group_by) : "(none)", row.m);
  line("TOTAL", r.totals);
  std::vector<size_t> width(cells.front().size(), 0);
  for (const auto& c : cells)
    for (size_t i = 0; i < c.size(); ++i) width[i] = std::max(width[i], c[i].size());
  std::string out = "usage " + db::rfc3339_from_micros(q.from_us) + " .. " +
                    db::rfc3339_from_micros(q.to_us) + "\n";
  for (const auto& c : cells) {
    for (size_t i = 0; i < c.size(); ++i) {
      // The group left-aligned, numbers right-aligned.
      const std::string pad(width[i] - c[i].size(), ' ');
      out += i == 0 ? c[i] + pad : "  " + pad + c[i];
    }
    out += "\n";
  }
  return out;
}

std::string export_error_line(usage::Format f, const std::string& code,
                              const std::string& message) {
  if (f == usage::Format::ndjson) {
    Json::Value j(Json::objectValue);
    j["error"] = message;
    j["code"] = code;
    return http::to_json(j) + "\n";
  }
  // CSV has no trailer: a last line no data row can look like (rows never start with #).
  return "#error," + usage::csv_field(code) + "," + usage::csv_field(message) + "\r\n";
}

ExportFailure export_failure(usage::Format f, std::exception_ptr failure) {
  ExportFailure out;
  try {
    std::rethrow_exception(failure);
  } catch (...) {
    // The one table of storage failures (db/errors.h): a lost server is `unavailable`
    // whether libpqxx says broken_connection or passes on the server's 57P01.
    if (const auto e = db::translate_current(); e && e->session_lost()) {
      out.session_lost = true;
      out.detail = "postgres connection lost: " + e->detail();
      out.line = export_error_line(f, "unavailable", "database unavailable; export incomplete");
      return out;
    }
    try {
      throw;
    } catch (const std::exception& e) {
      out.detail = e.what();
    } catch (...) {
      out.detail = "unknown exception";
    }
  }
  out.line = export_error_line(f, "internal", "internal error; export incomplete");
  return out;
}

}  // namespace ez::api
