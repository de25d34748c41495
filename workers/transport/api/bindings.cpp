// /admin/bindings: namespace.public_model -> candidate provider group + selector.
// Every answer carries the binding's resolution (domain/binding_resolution.h). Thin
// handlers: validate (admin_input), call the binding service (domain/bindings.h), answer.
#include "domain/bindings.h"

#include "api/auth.h"
#include "api/pagination.h"
#include "api/routes.h"
#include "domain/admin_input.h"
#include "domain/binding_resolution.h"
#include "domain/validate.h"
#include "domain/write_unit.h"
#include "http/response.h"

namespace ez::api {

using namespace ez::domain;  // validation and domain rules (services/domain)

namespace {

// The binding's JSON with its resolution (and, after a write, the warnings about it).
Json::Value binding_answer(ResolvedBinding&& b, bool with_warnings) {
  Json::Value out = binding_json(b.row);
  attach_report(out, std::move(b.report), with_warnings);
  return out;
}

http::Response create(context::Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const db::BindingValues v = binding_values(req.json_body(), nullptr);
  WriteUnit w(ctx, {actor.name, req.request_id});
  ResolvedBinding b = domain::create_binding(w, v);
  w.commit();
  const int64_t id = b.row.id;
  auto resp = http::json(201, binding_answer(std::move(b), true));
  resp.header("Location", "/admin/bindings/" + std::to_string(id));
  return resp;
}

http::Response list(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const auto filter = binding_filter(req.query);
  const auto page = parse_page(req);
  BindingPage found = domain::list_bindings(ctx, filter, page.after, page.fetch_limit());
  const auto& rows = found.rows;
  return http::json(
      200, page_json(
               rows, page,
               [&](const db::BindingRow& r) {
                 Json::Value j = binding_json(r);
                 // Each report is attached once: moved, not copied.
                 attach_report(j, std::move(found.reports[static_cast<size_t>(&r - rows.data())]),
                               false);
                 return j;
               },
               [](const db::BindingRow& r) { return r.id; }));
}

http::Response get(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "binding");
  return http::json(200, binding_answer(domain::get_binding(ctx, id), false));
}

http::Response update(context::Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "binding");
  const Json::Value body = req.json_body();
  WriteUnit w(ctx, {actor.name, req.request_id});
  ResolvedBinding b = domain::update_binding(w, id, body);
  w.commit();
  return http::json(200, binding_answer(std::move(b), true));
}

// What a binding with this body would resolve to, without storing anything:
// the console calls it while an admin edits a selector.
http::Response resolve(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const db::BindingValues v = binding_values(req.json_body(), nullptr);
  const BindingReport report = domain::resolve_binding(ctx, v);
  Json::Value out(Json::objectValue);
  out["resolution"] = report.resolution;
  Json::Value& warnings = out["warnings"] = Json::Value(Json::arrayValue);
  for (const auto& w : report.warnings) warnings.append(w);
  return http::json(200, out);
}

http::Response remove(context::Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "binding");
  WriteUnit w(ctx, {actor.name, req.request_id});
  domain::delete_binding(w, id);
  w.commit();
  return http::no_content();
}

}  // namespace

void register_binding_routes(http::Router& r) {
  r.add("POST", "/admin/bindings", create);
  r.add("POST", "/admin/bindings/resolve", resolve);
  r.add("GET", "/admin/bindings", list, paged({{"namespace"}, {"public_model"}}));
  r.add("GET", "/admin/bindings/{id}", get);
  r.add("PUT", "/admin/bindings/{id}", update);
  r.add("DELETE", "/admin/bindings/{id}", remove);
}

}  // namespace ez::api
