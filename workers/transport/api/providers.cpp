// /providers: upstream AI providers. Thin handlers: validate (admin_input), call the
// provider service (domain/providers.h: row, audit, outbox), commit, answer.
#include "domain/providers.h"

#include "api/auth.h"
#include "api/pagination.h"
#include "api/routes.h"
#include "domain/admin_input.h"
#include "domain/validate.h"
#include "domain/write_unit.h"
#include "http/response.h"

namespace ez::api {

using namespace ez::domain;  // validation and domain rules (services/domain)

namespace {

http::Response create(context::Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const db::ProviderValues v = provider_values(req.json_body(), nullptr);
  WriteUnit w(ctx, {actor.name, req.request_id});
  const db::ProviderRow row = domain::create_provider(w, v);
  w.commit();
  auto resp = http::json(201, provider_json(row));
  resp.header("Location", "/providers/" + std::to_string(row.id));
  return resp;
}

http::Response list(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const auto filter = provider_filter(req.query);
  const auto page = parse_page(req);
  const auto rows = domain::list_providers(ctx, filter, page.after, page.fetch_limit());
  return http::json(200, page_json(
                             rows, page, [](const db::ProviderRow& r) { return provider_json(r); },
                             [](const db::ProviderRow& r) { return r.id; }));
}

http::Response get(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "provider");
  return http::json(200, provider_json(domain::get_provider(ctx, id)));
}

http::Response update(context::Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "provider");
  const Json::Value body = req.json_body();
  WriteUnit w(ctx, {actor.name, req.request_id});
  const db::ProviderRow row = domain::update_provider(w, id, body);
  w.commit();
  return http::json(200, provider_json(row));
}

http::Response remove(context::Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "provider");
  WriteUnit w(ctx, {actor.name, req.request_id});
  domain::delete_provider(w, id);
  w.commit();
  return http::no_content();
}

}  // namespace

void register_provider_routes(http::Router& r) {
  r.add("POST", "/providers", create);
  r.add("GET", "/providers", list, paged({{"group"}, {"type"}, {"status"}}));
  r.add("GET", "/providers/{id}", get);
  r.add("PUT", "/providers/{id}", update);
  r.add("DELETE", "/providers/{id}", remove);
}

}  // namespace ez::api
