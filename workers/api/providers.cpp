// /providers: upstream AI providers. Thin handlers: validate (admin_input),
// call the repository, audit + outbox in the same transaction, push after commit.
#include "api/admin_input.h"
#include "api/auth.h"
#include "api/pagination.h"
#include "api/routes.h"
#include "api/validate.h"
#include "db/audit.h"
#include "db/providers_repo.h"
#include "http/error.h"
#include "http/response.h"
#include "snapshot/outbox.h"

namespace ez::api {

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
  pqxx::work tx(ctx.pg().conn());
  db::ProviderRow row;
  try {
    row = db::insert_provider(tx, v);
  } catch (const pqxx::unique_violation&) {
    duplicate_name(v.name);
  }
  db::audit::record(tx, actor.name, "create", "provider", std::to_string(row.id), Json::Value(),
                    provider_json(row, false), req.request_id);
  changed(tx, row.id);
  tx.commit();
  snapshot::push_pending(ctx);
  auto resp = http::json(201, provider_json(row));
  resp.header("Location", "/providers/" + std::to_string(row.id));
  return resp;
}

http::Response list(Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const auto filter = provider_filter(req);
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
  pqxx::work tx(ctx.pg().conn());
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
  db::audit::record(tx, actor.name, "update", "provider", std::to_string(id),
                    provider_json(*before, false), provider_json(*after, false), req.request_id);
  changed(tx, id, after->group_id != before->group_id ? before->group_id : 0);
  tx.commit();
  snapshot::push_pending(ctx);
  return http::json(200, provider_json(*after));
}

http::Response remove(Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "provider");
  pqxx::work tx(ctx.pg().conn());
  auto before = db::find_provider(tx, id, /*for_update=*/true);
  if (!before || !db::delete_provider(tx, id)) http::not_found("provider");
  db::audit::record(tx, actor.name, "delete", "provider", std::to_string(id),
                    provider_json(*before, false), Json::Value(), req.request_id);
  changed(tx, id, before->group_id);
  tx.commit();
  snapshot::push_pending(ctx);
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
