// Usage statistics and log search: thin handlers over usage/query.h (parsing),
// usage/usage_repo.h (SQL) and api/usage_view.h (shapes).
//   GET /admin/usage, /admin/usage/export, /master/usage
//   GET /admin/logs, /admin/logs/export, /admin/logs/{request_id}, /master/logs
// Exports stream (http::Response::stream): rows go out as they are fetched from a
// server-side cursor; past usage.export_max_rows, or on an error after the headers are
// out, the body ends with one error line (api/usage_view.h export_error_line).
#include <chrono>
#include <memory>
#include <pqxx/pqxx>

#include "api/auth.h"
#include "api/master_auth.h"
#include "api/routes.h"
#include "api/usage_view.h"
#include "common/log.h"
#include "common/time.h"
#include "http/error.h"
#include "http/response.h"
#include "usage/query.h"
#include "usage/usage_repo.h"

namespace ez::api {

namespace {

usage::Scope usage_scope(context::Context& ctx, std::optional<int64_t> master, bool is_export) {
  return {master, is_export, ctx.settings().usage_max_window_days, unix_now_us()};
}
usage::Scope logs_scope(context::Context& ctx, std::optional<int64_t> master, bool is_export) {
  return {master, is_export, ctx.settings().usage_logs_max_window_days, unix_now_us()};
}

http::Response usage_answer(context::Context& ctx, const usage::UsageQuery& q) {
  pqxx::read_transaction tx(ctx.pg_read().conn());
  return http::json(200, usage_json(usage::query_usage(tx, q), q));
}

http::Response admin_usage(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  return usage_answer(ctx,
                      usage::parse_usage_query(req.query, usage_scope(ctx, std::nullopt, false)));
}

http::Response master_usage(context::Context& ctx, http::Request& req) {
  const MasterPrincipal p = require_master(ctx, req);
  return usage_answer(ctx,
                      usage::parse_usage_query(req.query, usage_scope(ctx, p.master.id, false)));
}

const char* content_type(usage::Format f) {
  return f == usage::Format::ndjson ? "application/x-ndjson" : "text/csv; charset=utf-8";
}

http::Response streamed(usage::Format f, const std::string& name) {
  http::Response r;
  r.status = 200;
  r.content_type = content_type(f);
  r.header("Content-Disposition", "attachment; filename=\"" + name +
                                      (f == usage::Format::ndjson ? ".ndjson\"" : ".csv\""));
  r.header("Cache-Control", "no-store");
  return r;
}

std::string limit_message(int64_t max_rows) {
  return "export stopped after " + std::to_string(max_rows) +
         " rows: more rows match than usage.export_max_rows allows; narrow the window or the "
         "filters";
}

http::Response admin_usage_export(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const usage::UsageQuery q =
      usage::parse_usage_query(req.query, usage_scope(ctx, std::nullopt, true));
  // The groups of a window are few (rollups): computed before the headers, so a database
  // error is still a proper error answer; then written out line by line.
  auto result = std::make_shared<usage::UsageResult>();
  {
    pqxx::read_transaction tx(ctx.pg_read().conn());
    *result = usage::query_usage(tx, q);
  }
  const int64_t max_rows = ctx.settings().usage_export_max_rows;
  http::Response r = streamed(q.format, "usage");
  r.stream = [result, q, max_rows](const http::Response::Writer& put) {
    if (q.format == usage::Format::csv) put(usage_csv_header(q.group_by));
    int64_t n = 0;
    for (const auto& row : result->rows) {
      if (n++ >= max_rows) {
        put(export_error_line(q.format, "export_limit", limit_message(max_rows)));
        return;
      }
      put(q.format == usage::Format::csv ? usage_csv_line(row, q.group_by)
                                         : http::to_json(usage_row_json(row, q.group_by)) + "\n");
    }
  };
  return r;
}

Json::Value logs_page(context::Context& ctx, const usage::LogsQuery& q) {
  pqxx::read_transaction tx(ctx.pg_read().conn());
  const auto rows = usage::query_logs(tx, q, q.limit + 1);
  Json::Value items(Json::arrayValue);
  const size_t shown = std::min(rows.size(), static_cast<size_t>(q.limit));
  for (size_t i = 0; i < shown; ++i) items.append(usage::log_json(rows[i]));
  Json::Value out(Json::objectValue);
  out["items"] = std::move(items);
  out["next_cursor"] =
      rows.size() > shown ? Json::Value(usage::encode_log_cursor(usage::cursor_of(rows[shown - 1])))
                          : Json::Value(Json::nullValue);
  return out;
}

http::Response admin_logs(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  return http::json(200,
                    logs_page(ctx, usage::parse_logs_query(req.query, logs_scope(ctx, {}, false))));
}

http::Response master_logs(context::Context& ctx, http::Request& req) {
  const MasterPrincipal p = require_master(ctx, req);
  return http::json(
      200, logs_page(ctx, usage::parse_logs_query(req.query, logs_scope(ctx, p.master.id, false))));
}

http::Response admin_log(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const std::string& id = req.param("request_id");
  if (id.size() > 128) http::not_found("log");
  // Bounded like every log read: the raw-log retention is the most there can be.
  const int64_t from =
      unix_now_us() - int64_t{ctx.settings().log_retention_days + 1} * usage::kDayUs;
  pqxx::read_transaction tx(ctx.pg_read().conn());
  const auto rows = usage::logs_by_request_id(tx, id, std::nullopt, from);
  if (rows.empty()) http::not_found("log");
  // Several entries may share a request id (a retried delivery): the newest answers,
  // all of them are listed.
  Json::Value out = usage::log_json(rows.front());
  if (rows.size() > 1) {
    Json::Value all(Json::arrayValue);
    for (const auto& r : rows) all.append(usage::log_json(r));
    out["entries"] = std::move(all);
  }
  return http::json(200, out);
}

http::Response admin_logs_export(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const usage::LogsQuery q = usage::parse_logs_query(req.query, logs_scope(ctx, {}, true));
  const int64_t max_rows = ctx.settings().usage_export_max_rows;
  // Declared now, so that a database that is down is a 503, not a broken body.
  auto tx = std::make_shared<pqxx::read_transaction>(ctx.pg_read().conn());
  usage::declare_logs_cursor(*tx, q, max_rows);
  http::Response r = streamed(q.format, "logs");
  context::Context* c = &ctx;
  // The master kills a worker past workers.request_timeout_ms, which cut exports off
  // without an error line (a client took them for complete): stop first, and say so.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(usage::export_time_budget_ms(
                                             ctx.settings().workers_request_timeout_ms));
  r.stream = [tx, q, max_rows, c, deadline](const http::Response::Writer& put) {
    struct OutOfTime {};
    int64_t sent = 0;
    try {
      if (q.format == usage::Format::csv) put(logs_csv_header());
      std::string chunk;
      bool more = false;
      (void)usage::fetch_logs(
          *tx, max_rows,
          [&](const usage::LogCells& cells) {
            // Written straight into the chunk: no JSON tree per row (docs/benchmarks.md).
            if (q.format == usage::Format::csv)
              chunk += logs_csv_line(cells);
            else
              append_log_ndjson(chunk, cells);
            ++sent;
            if (chunk.size() >= 64 * 1024) {
              put(chunk);
              chunk.clear();
              if (std::chrono::steady_clock::now() >= deadline) throw OutOfTime{};
            }
          },
          &more);
      put(chunk);
      if (more) put(export_error_line(q.format, "export_limit", limit_message(max_rows)));
    } catch (const OutOfTime&) {
      log::warn("log export stopped after " + std::to_string(sent) + " rows: request timeout");
      put(export_error_line(q.format, "export_timeout",
                            "export stopped after " + std::to_string(sent) +
                                " rows: it would outlast workers.request_timeout_ms; narrow the "
                                "window or the filters"));
    } catch (...) {
      const ExportFailure f = export_failure(q.format, std::current_exception());
      if (f.session_lost) {
        c->pg().mark_broken();
        log::warn("log export: " + f.detail);
      } else {
        log::error("log export failed: " + f.detail);
      }
      put(f.line);
    }
  };
  return r;
}

}  // namespace

void register_usage_routes(http::Router& r) {
  using http::ParamType;
  // What every caller may filter by; an admin also by master, a list also pages, an export
  // also picks its format (usage/query.cpp reads them).
  const http::QuerySpec usage = {{"from"},     {"to"},
                                 {"group_by"}, {"key_id", ParamType::integer},
                                 {"model"},    {"provider_id", ParamType::integer}};
  const http::QuerySpec logs = {{"from"},
                                {"to"},
                                {"key_id", ParamType::integer},
                                {"model"},
                                {"provider_id", ParamType::integer},
                                {"status"},
                                {"request_id"},
                                {"error_type"}};
  const http::QueryParam master = {"master_id", ParamType::integer};
  const http::QueryParam format = {"format"};
  auto with = [](http::QuerySpec spec, std::initializer_list<http::QueryParam> more) {
    spec.insert(spec.end(), more);
    return spec;
  };
  r.add("GET", "/admin/usage", admin_usage, with(usage, {master}));
  r.add("GET", "/admin/usage/export", admin_usage_export, with(usage, {master, format}));
  r.add("GET", "/master/usage", master_usage, usage);
  // Before /admin/logs/{request_id}: the first matching route wins.
  r.add("GET", "/admin/logs/export", admin_logs_export, with(logs, {master, format}));
  r.add("GET", "/admin/logs", admin_logs,
        with(logs, {master, {"limit", ParamType::integer}, {"cursor"}}));
  r.add("GET", "/admin/logs/{request_id}", admin_log);
  r.add("GET", "/master/logs", master_logs,
        with(logs, {{"limit", ParamType::integer}, {"cursor"}}));
}

}  // namespace ez::api
