// /admin/features: feature flags as one JSON map. PUT merges: each member sets a
// flag, a null member deletes one, absent flags are left alone (domain/features.h).
#include "domain/features.h"

#include "api/auth.h"
#include "api/routes.h"
#include "domain/admin_input.h"
#include "domain/write_unit.h"
#include "http/response.h"

namespace ez::api {

using namespace ez::domain;  // validation and domain rules (services/domain)

namespace {

http::Response get(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  return http::json(200, domain::all_features(ctx));
}

http::Response put(context::Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const auto changes = feature_changes(req.json_body());
  WriteUnit w(ctx, {actor.name, req.request_id});
  const Json::Value flags = domain::update_features(w, changes);
  w.commit();
  return http::json(200, flags);
}

}  // namespace

void register_feature_routes(http::Router& r) {
  r.add("GET", "/admin/features", get);
  r.add("PUT", "/admin/features", put);
}

}  // namespace ez::api
