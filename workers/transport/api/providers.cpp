// /providers: upstream AI providers. Thin handlers: validate (admin_input),
// call the repository, audit + outbox in the same transaction, push after commit.
#include "api/auth.h"
#include "api/pagination.h"
#include "api/routes.h"
#include "db/audit.h"
#include "db/providers_repo.h"
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
  throw ApiError(ErrorCode::conflict, "a provider named \"" + name + "\" already exists", "name");
}

// `old_group_id`: the group the provider left (moved or deleted), so the pusher
// also recomputes the bindings that used to reach it through that group.
void changed(pqxx::transaction_base& tx, int64_t id, int64_t old_group_id = 0) {
  snapshot::record_change(tx, snapshot::Resource::provider, std::to_string(id),
                          old_group_id ? std::to_string(old_group_id) : std::string());
}

http::Response create(Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const db::ProviderValues v = provider_values(req.json_body(), nullptr);
  WriteUnit w(ctx, {actor.name, req.request_id});
  pqxx::work& tx = w.tx();
  db::ProviderRow row;
  try {
    row = db::insert_provider(tx, v);
  } catch (const pqxx::unique_violation&) {
    duplicate_name(v.name);
  }
  w.audit("create", "provider", std::to_string(row.id), Json::Value(), provider_json(row, false));
  changed(tx, row.id);
  w.commit();
  auto resp = http::json(201, provider_json(row));
  resp.header("Location", "/providers/" + std::to_string(row.id));
  return resp;
}

http::Response list(Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const auto filter = provider_filter(req.query);
  const auto page = parse_page(req);
  pqxx::nontransaction tx(ctx.pg_read().conn());
  const auto rows = db::list_providers(tx, filter, page.after, page.fetch_limit());
  return http::json(200, page_json(
                             rows, page, [](const db::ProviderRow& r) { return provider_json(r); },
                             [](const db::ProviderRow& r) { return r.id; }));
}

http::Response get(Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "provider");
  pqxx::nontransaction tx(ctx.pg().conn());
  auto row = db::find_provider(tx, id);
  if (!row) http::not_found("provider");
  return http::json(200, provider_json(*row));
}

http::Response update(Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "provider");
  const Json::Value body = req.json_body();
  WriteUnit w(ctx, {actor.name, req.request_id});
  pqxx::work& tx = w.tx();
  auto before = db::find_provider(tx, id, /*for_update=*/true);
  if (!before) http::not_found("provider");
  const db::ProviderValues v = provider_values(body, &before->v);
  if (v == before->v) return http::json(200, provider_json(*before));  // nothing to write
  std::optional<db::ProviderRow> after;
  try {
    after = db::update_provider(tx, id, v);
  } catch (const pqxx::unique_violation&) {
    duplicate_name(v.name);
  }
  if (!after) http::not_found("provider");
  w.audit("update", "provider", std::to_string(id), provider_json(*before, false),
          provider_json(*after, false));
  changed(tx, id, after->group_id != before->group_id ? before->group_id : 0);
  w.commit();
  return http::json(200, provider_json(*after));
}

http::Response remove(Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "provider");
  WriteUnit w(ctx, {actor.name, req.request_id});
  pqxx::work& tx = w.tx();
  auto before = db::find_provider(tx, id, /*for_update=*/true);
  if (!before || !db::delete_provider(tx, id)) http::not_found("provider");
  w.audit("delete", "provider", std::to_string(id), provider_json(*before, false), Json::Value());
  changed(tx, id, before->group_id);
  w.commit();
  return http::no_content();
}

}  // namespace

void register_provider_routes(http::Router& r) {
  r.add("POST", "/providers", create);
  r.add("GET", "/providers", list);
  r.add("GET", "/providers/{id}", get);
  r.add("PUT", "/providers/{id}", update);
  r.add("DELETE", "/providers/{id}", remove);
}

}  // namespace ez::api
