// /admin/features: feature flags as one JSON map. PUT merges: each member sets a
// flag, a null member deletes one, absent flags are left alone.
#include "api/admin_input.h"
#include "api/auth.h"
#include "api/routes.h"
#include "db/audit.h"
#include "db/features_repo.h"
#include "http/response.h"
#include "snapshot/outbox.h"

namespace ez::api {

namespace {

http::Response get(Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  pqxx::nontransaction tx(ctx.pg().conn());
  return http::json(200, db::all_features(tx));
}

http::Response put(Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const auto changes = feature_changes(req.json_body());
  pqxx::work tx(ctx.pg().conn());
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
    snapshot::record_change(tx, snapshot::Resource::feature, c.name);
  }
  if (after.empty()) return http::json(200, current);  // nothing changed: no audit, no push
  db::audit::record(tx, actor.name, "update", "feature", "", before, after, req.request_id);
  const Json::Value merged = db::all_features(tx);
  tx.commit();
  snapshot::push_pending(ctx);
  return http::json(200, merged);
}

}  // namespace

void register_feature_routes(http::Router& r) {
  r.add("GET", "/admin/features", get);
  r.add("PUT", "/admin/features", put);
}

}  // namespace ez::api
