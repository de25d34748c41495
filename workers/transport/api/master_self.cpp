// Master self-service: a master, authenticated by its own key (master_auth.h),
// reads itself and manages its own keys. Every lookup is scoped to the calling
// master, so another master's key id is indistinguishable from a missing one
// (404). Keys issued here carry issued_by = "master".
#include "api/keys.h"
#include "api/master_auth.h"
#include "api/pagination.h"
#include "api/routes.h"
#include "context/context.h"
#include "db/keys_repo.h"
#include "domain/keys.h"
#include "domain/validate.h"
#include "domain/write_unit.h"
#include "http/error.h"
#include "http/response.h"

namespace ez::api {

using namespace ez::domain;  // validation and domain rules (services/domain)

namespace {

http::Response get_self(context::Context& ctx, http::Request& req) {
  const MasterPrincipal p = require_master(ctx, req);
  return http::json(200, db::to_json(p.master));
}

http::Response list_own_keys(context::Context& ctx, http::Request& req) {
  const MasterPrincipal p = require_master(ctx, req);
  check_query_params(req.query, {"status"});
  const PageRequest page = parse_page(req);
  db::KeyFilter filter;
  filter.master_id = p.master.id;
  if (auto s = req.query_param("status"))
    filter.status = check_enum(*s, "status", {"active", "disabled"});
  const auto rows = domain::list_keys(ctx, filter, page.after, page.fetch_limit());
  return http::json(200, page_json(
                             rows, page, [](const db::KeyRow& k) { return db::to_json(k); },
                             [](const db::KeyRow& k) { return k.id; }));
}

http::Response get_own_key(context::Context& ctx, http::Request& req) {
  const MasterPrincipal p = require_master(ctx, req);
  const int64_t id = parse_id(req.param("id"), "key");
  return http::json(200, db::to_json(domain::get_own_key(ctx, id, p.master.id)));
}

http::Response create_own_key(context::Context& ctx, http::Request& req) {
  const MasterPrincipal p = require_master(ctx, req);
  const KeyFields f = parse_key_fields(req.json_body(), KeyBody::create_for_master);
  // A master does not grant itself quota: quotas are an admin's decision.
  for (const char* field : {"quota_limit", "quota_used", "unlimited_quota"})
    if (req.json_body().isMember(field))
      http::invalid(field, std::string(field) + " is set by an admin, not by the master");
  WriteUnit w(ctx, {p.actor.name, req.request_id});
  IssuedKey k = issue_child_key(w, p.master.id, f, "master", UnknownMaster::not_found);
  w.commit();
  http::Response r = http::json(201, key_json_with_secret(k));
  r.header("Location", "/master/keys/" + std::to_string(k.row.id));
  r.header("Cache-Control", "no-store");
  return r;
}

// A master may rename, disable/enable and re-limit its own keys; what they may reach
// (group, namespaces, scopes, networks, expiry) stays the admin's.
http::Response update_own_key(context::Context& ctx, http::Request& req) {
  const MasterPrincipal p = require_master(ctx, req);
  const int64_t id = parse_id(req.param("id"), "key");
  const KeyFields f = parse_key_fields(req.json_body(), KeyBody::update_by_master);
  WriteUnit w(ctx, {p.actor.name, req.request_id});
  const db::KeyRow after = update_child_key(w, lock_own_key(w, id, p.master.id), f);
  w.commit();
  // The same answer as the admin route's (warnings included): one view of a key write.
  return http::json(200, key_write_json(after));
}

http::Response delete_own_key(context::Context& ctx, http::Request& req) {
  const MasterPrincipal p = require_master(ctx, req);
  const int64_t id = parse_id(req.param("id"), "key");
  WriteUnit w(ctx, {p.actor.name, req.request_id});
  const db::KeyRow key = lock_own_key(w, id, p.master.id);
  delete_child_key(w, key);
  w.commit();
  return http::no_content();
}

}  // namespace

void register_self_routes(http::Router& r) {
  r.add("GET", "/master/self", get_self);
  r.add("GET", "/master/keys", list_own_keys, paged({{"status"}}));
  r.add("POST", "/master/keys", create_own_key);
  r.add("GET", "/master/keys/{id}", get_own_key);
  r.add("DELETE", "/master/keys/{id}", delete_own_key);
  r.add("PUT", "/master/keys/{id}", update_own_key);
}

}  // namespace ez::api
