// /admin/bindings: namespace.public_model -> candidate provider group + selector.
// Every answer carries the binding's resolution (api/binding_resolution.h).
#include "api/auth.h"
#include "api/pagination.h"
#include "api/routes.h"
#include "db/audit.h"
#include "db/bindings_repo.h"
#include "domain/admin_input.h"
#include "domain/binding_resolution.h"
#include "domain/validate.h"
#include "domain/write_unit.h"
#include "http/error.h"
#include "http/response.h"
#include "snapshot/outbox.h"

namespace ez::api {

using namespace ez::domain;  // validation and domain rules (services/domain)

namespace {

using http::ApiError;
using http::ErrorCode;

[[noreturn]] void duplicate(const db::BindingValues& v) {
  throw ApiError(ErrorCode::conflict,
                 "a binding of " + v.ns + "." + v.public_model + " to route_group \"" +
                     v.route_group + "\" already exists",
                 "route_group");
}

// The outbox id of a binding is the config:bindings field it feeds,
// "namespace.public_model": that snapshot aggregates every binding row of the
// pair, and it must be rebuilt (or removed) even after the row is gone.
// `before`: the pair a moved binding left, whose snapshot loses this candidate.
void changed(pqxx::transaction_base& tx, const db::BindingValues& v,
             const db::BindingValues* before = nullptr) {
  std::string old_field;
  if (before && (before->ns != v.ns || before->public_model != v.public_model))
    old_field = before->ns + "." + before->public_model;
  snapshot::record_change(tx, snapshot::Resource::binding, v.ns + "." + v.public_model, old_field);
}

http::Response create(Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const db::BindingValues v = binding_values(req.json_body(), nullptr);
  WriteUnit w(ctx, {actor.name, req.request_id});
  pqxx::work& tx = w.tx();
  db::BindingRow row;
  try {
    row = db::insert_binding(tx, v);
  } catch (const pqxx::unique_violation&) {
    duplicate(v);
  }
  const Json::Value after = binding_json(row);
  w.audit("create", "binding", std::to_string(row.id), Json::Value(), after);
  changed(tx, row.v);
  Json::Value out = after;
  attach_report(out, std::move(resolve_bindings(tx, {row.v}).front()), true);
  w.commit();
  auto resp = http::json(201, out);
  resp.header("Location", "/admin/bindings/" + std::to_string(row.id));
  return resp;
}

http::Response list(Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const auto filter = binding_filter(req.query);
  const auto page = parse_page(req);
  pqxx::nontransaction tx(ctx.pg_read().conn());
  const auto rows = db::list_bindings(tx, filter, page.after, page.fetch_limit());
  std::vector<db::BindingValues> values;
  for (const auto& r : rows) values.push_back(r.v);
  auto reports = resolve_bindings(tx, values);
  return http::json(
      200, page_json(
               rows, page,
               [&](const db::BindingRow& r) {
                 Json::Value j = binding_json(r);
                 // Each report is attached once: moved, not copied.
                 attach_report(j, std::move(reports[static_cast<size_t>(&r - rows.data())]), false);
                 return j;
               },
               [](const db::BindingRow& r) { return r.id; }));
}

http::Response get(Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "binding");
  pqxx::nontransaction tx(ctx.pg().conn());
  auto row = db::find_binding(tx, id);
  if (!row) http::not_found("binding");
  Json::Value out = binding_json(*row);
  attach_report(out, std::move(resolve_bindings(tx, {row->v}).front()), false);
  return http::json(200, out);
}

http::Response update(Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "binding");
  const Json::Value body = req.json_body();
  WriteUnit w(ctx, {actor.name, req.request_id});
  pqxx::work& tx = w.tx();
  auto before = db::find_binding(tx, id, /*for_update=*/true);
  if (!before) http::not_found("binding");
  const db::BindingValues v = binding_values(body, &before->v);
  if (v == before->v) {
    Json::Value out = binding_json(*before);
    attach_report(out, std::move(resolve_bindings(tx, {v}).front()), true);
    return http::json(200, out);
  }
  std::optional<db::BindingRow> after;
  try {
    after = db::update_binding(tx, id, v);
  } catch (const pqxx::unique_violation&) {
    duplicate(v);
  }
  if (!after) http::not_found("binding");
  w.audit("update", "binding", std::to_string(id), binding_json(*before), binding_json(*after));
  changed(tx, after->v, &before->v);
  Json::Value out = binding_json(*after);
  attach_report(out, std::move(resolve_bindings(tx, {after->v}).front()), true);
  w.commit();
  return http::json(200, out);
}

// What a binding with this body would resolve to, without storing anything:
// the console calls it while an admin edits a selector.
http::Response resolve(Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const db::BindingValues v = binding_values(req.json_body(), nullptr);
  pqxx::read_transaction tx(ctx.pg().conn());
  const BindingReport report = resolve_bindings(tx, {v}).front();
  Json::Value out(Json::objectValue);
  out["resolution"] = report.resolution;
  Json::Value& warnings = out["warnings"] = Json::Value(Json::arrayValue);
  for (const auto& w : report.warnings) warnings.append(w);
  return http::json(200, out);
}

http::Response remove(Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "binding");
  WriteUnit w(ctx, {actor.name, req.request_id});
  pqxx::work& tx = w.tx();
  auto before = db::find_binding(tx, id, /*for_update=*/true);
  if (!before || !db::delete_binding(tx, id)) http::not_found("binding");
  w.audit("delete", "binding", std::to_string(id), binding_json(*before), Json::Value());
  changed(tx, before->v);
  w.commit();
  return http::no_content();
}

}  // namespace

void register_binding_routes(http::Router& r) {
  r.add("POST", "/admin/bindings", create);
  r.add("POST", "/admin/bindings/resolve", resolve);
  r.add("GET", "/admin/bindings", list);
  r.add("GET", "/admin/bindings/{id}", get);
  r.add("PUT", "/admin/bindings/{id}", update);
  r.add("DELETE", "/admin/bindings/{id}", remove);
}

}  // namespace ez::api
