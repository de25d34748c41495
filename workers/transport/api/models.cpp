// /models: model metadata keyed by "namespace.public_model" (meta:models). The
// path carries the name URL-encoded: /models/default.gpt-4o. Thin handlers: validate
// (admin_input), call the model service (domain/models.h), commit, answer.
#include "domain/models.h"

#include "api/auth.h"
#include "api/pagination.h"
#include "api/routes.h"
#include "domain/admin_input.h"
#include "domain/validate.h"
#include "domain/write_unit.h"
#include "http/error.h"
#include "http/response.h"

namespace ez::api {

using namespace ez::domain;  // validation and domain rules (services/domain)

namespace {

// A name that cannot exist is simply not found.
const std::string& path_name(const http::Request& req) {
  const std::string& name = req.param("name");
  if (!model_name_problem(name).empty()) http::not_found("model");
  return name;
}

http::Response create(context::Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const db::ModelValues v = model_values(req.json_body(), nullptr);
  WriteUnit w(ctx, {actor.name, req.request_id});
  const db::ModelRow row = domain::create_model(w, v);
  w.commit();
  auto resp = http::json(201, model_json(row));
  resp.header("Location", "/models/" + row.v.name);
  return resp;
}

http::Response list(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const auto filter = model_filter(req.query);
  const auto page = parse_page(req);
  const auto rows = domain::list_models(ctx, filter, page.after, page.fetch_limit());
  return http::json(200,
                    page_json(rows, page, model_json, [](const db::ModelRow& r) { return r.id; }));
}

http::Response get(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const std::string& name = path_name(req);
  return http::json(200, model_json(domain::get_model(ctx, name)));
}

http::Response update(context::Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const std::string& name = path_name(req);
  const Json::Value body = req.json_body();
  WriteUnit w(ctx, {actor.name, req.request_id});
  const db::ModelRow row = domain::update_model(w, name, body);  // a "name" in the body renames
  w.commit();
  return http::json(200, model_json(row));
}

http::Response remove(context::Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const std::string& name = path_name(req);
  WriteUnit w(ctx, {actor.name, req.request_id});
  domain::delete_model(w, name);
  w.commit();
  return http::no_content();
}

}  // namespace

void register_model_routes(http::Router& r) {
  r.add("POST", "/models", create);
  r.add("GET", "/models", list, paged({{"namespace"}, {"kind"}}));
  r.add("GET", "/models/{name}", get);
  r.add("PUT", "/models/{name}", update);
  r.add("DELETE", "/models/{name}", remove);
}

}  // namespace ez::api
