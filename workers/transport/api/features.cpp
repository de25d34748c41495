// /admin/features: feature flags as one JSON map. PUT merges: each member sets a
// flag, a null member deletes one, absent flags are left alone.
#include "api/auth.h"
#include "api/routes.h"
#include "db/audit.h"
#include "db/features_repo.h"
#include "domain/admin_input.h"
#include "domain/write_unit.h"
#include "http/response.h"
#include "snapshot/outbox.h"

namespace ez::api {

using namespace ez::domain;  // validation and domain rules (services/domain)

namespace {

http::Response get(Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  pqxx::nontransaction tx(ctx.pg().conn());
  return http::json(200, db::all_features(tx));
}

http::Response put(Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const auto changes = feature_changes(req.json_body());
  WriteUnit w(ctx, {actor.name, req.request_id});
  pqxx::work& tx = w.tx();
  db::lock_features(tx);
  const Json::Value current = db::all_features(tx);
  // The audit row shows only the flags this request changed.
  Json::Value before(Json::objectValue), after(Json::objectValue);
  for (const auto& c : changes) {
    const Json::Value* old = current.find(c.name.data(), c.name.data() + c.name.size());
    if (c.value) {
      if (old && *old == *c.value) continue;
      db::upsert_feature(tx, c.name, *c.value);
      after[c.name] = *c.value;
    } else {
      if (!old) continue;
      (void)db::delete_feature(tx, c.name);
      after[c.name] = Json::Value();
    }
    before[c.name] = old ? *old : Json::Value();
    w.changed(snapshot::Resource::feature, c.name);
  }
  if (after.empty()) return http::json(200, current);  // nothing changed: no audit, no push
  w.audit("update", "feature", "", before, after);
  const Json::Value merged = db::all_features(tx);
  w.commit();
  return http::json(200, merged);
}

}  // namespace

void register_feature_routes(http::Router& r) {
  r.add("GET", "/admin/features", get);
  r.add("PUT", "/admin/features", put);
}

}  // namespace ez::api
