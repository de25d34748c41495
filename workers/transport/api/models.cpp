// /models: model metadata keyed by "namespace.public_model" (meta:models). The
// path carries the name URL-encoded: /models/default.gpt-4o.
#include "api/auth.h"
#include "api/pagination.h"
#include "api/routes.h"
#include "db/audit.h"
#include "db/models_repo.h"
#include "domain/admin_input.h"
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

[[noreturn]] void duplicate_name(const std::string& name) {
  throw ApiError(ErrorCode::conflict, "a model named \"" + name + "\" already exists", "name");
}

// The outbox id of a model is its name: that is its meta:models field, and the
// pusher needs it to delete the field once the row is gone.
// `old_name`: the name a renamed model leaves behind (its field is removed).
void changed(pqxx::transaction_base& tx, const std::string& name,
             const std::string& old_name = {}) {
  snapshot::record_change(tx, snapshot::Resource::model, name, old_name);
}

// A name that cannot exist is simply not found.
const std::string& path_name(const http::Request& req) {
  const std::string& name = req.param("name");
  if (!model_name_problem(name).empty()) http::not_found("model");
  return name;
}

http::Response create(Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const db::ModelValues v = model_values(req.json_body(), nullptr);
  WriteUnit w(ctx, {actor.name, req.request_id});
  pqxx::work& tx = w.tx();
  db::ModelRow row;
  try {
    row = db::insert_model(tx, v);
  } catch (const pqxx::unique_violation&) {
    duplicate_name(v.name);
  }
  const Json::Value after = model_json(row);
  w.audit("create", "model", row.v.name, Json::Value(), after);
  changed(tx, row.v.name);
  w.commit();
  auto resp = http::json(201, after);
  resp.header("Location", "/models/" + row.v.name);
  return resp;
}

http::Response list(Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const auto filter = model_filter(req.query);
  const auto page = parse_page(req);
  pqxx::nontransaction tx(ctx.pg_read().conn());
  const auto rows = db::list_models(tx, filter, page.after, page.fetch_limit());
  return http::json(200,
                    page_json(rows, page, model_json, [](const db::ModelRow& r) { return r.id; }));
}

http::Response get(Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const std::string& name = path_name(req);
  pqxx::nontransaction tx(ctx.pg().conn());
  auto row = db::find_model(tx, name);
  if (!row) http::not_found("model");
  return http::json(200, model_json(*row));
}

http::Response update(Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const std::string& name = path_name(req);
  const Json::Value body = req.json_body();
  WriteUnit w(ctx, {actor.name, req.request_id});
  pqxx::work& tx = w.tx();
  auto before = db::find_model(tx, name, /*for_update=*/true);
  if (!before) http::not_found("model");
  // A "name" in the body renames the model.
  const db::ModelValues v = model_values(body, &before->v);
  if (v == before->v) return http::json(200, model_json(*before));
  std::optional<db::ModelRow> after;
  try {
    after = db::update_model(tx, before->id, v);
  } catch (const pqxx::unique_violation&) {
    duplicate_name(v.name);
  }
  if (!after) http::not_found("model");
  w.audit("update", "model", before->v.name, model_json(*before), model_json(*after));
  changed(tx, after->v.name, after->v.name != before->v.name ? before->v.name : std::string());
  w.commit();
  return http::json(200, model_json(*after));
}

http::Response remove(Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const std::string& name = path_name(req);
  WriteUnit w(ctx, {actor.name, req.request_id});
  pqxx::work& tx = w.tx();
  auto before = db::find_model(tx, name, /*for_update=*/true);
  if (!before || !db::delete_model(tx, before->id)) http::not_found("model");
  w.audit("delete", "model", name, model_json(*before), Json::Value());
  changed(tx, name);
  w.commit();
  return http::no_content();
}

}  // namespace

void register_model_routes(http::Router& r) {
  r.add("POST", "/models", create);
  r.add("GET", "/models", list);
  r.add("GET", "/models/{name}", get);
  r.add("PUT", "/models/{name}", update);
  r.add("DELETE", "/models/{name}", remove);
}

}  // namespace ez::api
