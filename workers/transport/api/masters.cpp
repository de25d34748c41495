// Masters (tenants), admin side: /admin/masters CRUD. A master's own key is
// generated here at creation and shown once; only its sha256 hex is stored.
#include <algorithm>
#include <pqxx/pqxx>

#include "api/auth.h"
#include "api/pagination.h"
#include "api/routes.h"
#include "context/context.h"
#include "db/audit.h"
#include "db/keys_repo.h"
#include "db/masters_repo.h"
#include "domain/key_rules.h"
#include "domain/validate.h"
#include "domain/write_unit.h"
#include "http/error.h"
#include "http/response.h"
#include "snapshot/outbox.h"

namespace ez::api {

using namespace ez::domain;  // validation and domain rules (services/domain)

using http::ErrorCode;

namespace {

db::MasterValues values_of(const db::MasterRow& m) {
  db::MasterValues v;
  v.name = m.name;
  v.group = m.group;
  v.namespaces = m.namespaces;
  v.default_namespace = m.default_namespace;
  v.max_child_keys = m.max_child_keys;
  v.global_qps = m.global_qps;
  v.status = m.status;
  return v;
}

void apply(db::MasterValues& v, const MasterFields& f) {
  if (f.name) v.name = *f.name;
  if (f.group) v.group = *f.group;
  if (f.namespaces) v.namespaces = *f.namespaces;
  if (f.default_namespace) v.default_namespace = *f.default_namespace;
  if (f.max_child_keys) v.max_child_keys = *f.max_child_keys;
  if (f.global_qps) v.global_qps = *f.global_qps;
  if (f.status) v.status = *f.status;
}

bool same_values(const db::MasterValues& a, const db::MasterValues& b) {
  return a.name == b.name && a.group == b.group && a.namespaces == b.namespaces &&
         a.default_namespace == b.default_namespace && a.max_child_keys == b.max_child_keys &&
         a.global_qps == b.global_qps && a.status == b.status;
}

void check_default_namespace(const db::MasterValues& v) {
  if (v.default_namespace.empty()) return;
  if (std::find(v.namespaces.begin(), v.namespaces.end(), v.default_namespace) ==
      v.namespaces.end())
    http::invalid("default_namespace",
                  "default_namespace '" + v.default_namespace + "' is not one of namespaces");
}

[[noreturn]] void duplicate_name(const std::string& name) {
  http::fail(ErrorCode::conflict, "a master named '" + name + "' already exists", "name");
}

// ---- handlers ---------------------------------------------------------------

http::Response create_master(Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const MasterFields f = parse_master_fields(req.json_body(), /*create=*/true);
  db::MasterValues v;
  apply(v, f);
  if (!f.default_namespace && !v.namespaces.empty()) v.default_namespace = v.namespaces.front();
  check_default_namespace(v);
  const IssuedSecret s = new_master_key();
  WriteUnit w(ctx, {actor.name, req.request_id});
  pqxx::work& tx = w.tx();
  db::MasterRow m;
  try {
    m = db::insert_master(tx, v, s.hash, s.prefix);
  } catch (const pqxx::unique_violation&) {
    // name is the only unique column a client controls (key_hash collisions
    // of 256-bit random secrets do not happen).
    duplicate_name(v.name);
  }
  w.changed(snapshot::Resource::master, std::to_string(m.id));
  w.audit("create", "master", std::to_string(m.id), Json::Value(), db::to_json(m));
  w.commit();
  Json::Value body = db::to_json(m);
  body["master_key"] = s.secret;
  http::Response r = http::json(201, body);
  r.header("Location", "/admin/masters/" + std::to_string(m.id));
  r.header("Cache-Control", "no-store");  // the body carries a secret
  return r;
}

http::Response list_masters(Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  check_query_params(req.query, {});
  const PageRequest page = parse_page(req);
  pqxx::read_transaction tx(ctx.pg_read().conn());
  auto rows = db::list_masters(tx, page.after, page.fetch_limit());
  return http::json(200, page_json(
                             rows, page, [](const db::MasterRow& m) { return db::to_json(m); },
                             [](const db::MasterRow& m) { return m.id; }));
}

http::Response get_master(Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "master");
  pqxx::read_transaction tx(ctx.pg().conn());
  auto m = db::find_master(tx, id);
  if (!m) http::not_found("master " + std::to_string(id));
  return http::json(200, db::to_json(*m));
}

http::Response update_master(Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "master");
  const MasterFields f = parse_master_fields(req.json_body(), /*create=*/false);
  WriteUnit w(ctx, {actor.name, req.request_id});
  pqxx::work& tx = w.tx();
  // FOR UPDATE: key writes take this row's share lock first, so no key can
  // gain a namespace we are removing while we check.
  auto found = db::find_master(tx, id, db::Lock::update);
  if (!found) http::not_found("master " + std::to_string(id));
  const db::MasterRow& before = *found;
  db::MasterValues v = values_of(before);
  apply(v, f);
  check_default_namespace(v);
  // Nothing changes: no write, no audit row, no outbox row, updated_at stays.
  if (same_values(v, values_of(before))) return http::json(200, db::to_json(before));
  const bool namespaces_changed = !same_set(v.namespaces, before.namespaces);
  if (namespaces_changed) {
    if (auto used = db::key_outside_namespaces(tx, id, v.namespaces))
      http::fail(ErrorCode::conflict,
                 "namespace '" + used->second + "' is still used by key " +
                     std::to_string(used->first) + "; change that key first",
                 "namespaces");
  }
  // The balancer re-validates a master's keys when its epoch moves.
  const bool bump_epoch = namespaces_changed || v.status != before.status;
  db::MasterRow after;
  try {
    after = db::update_master(tx, id, v, bump_epoch);
  } catch (const pqxx::unique_violation&) {
    duplicate_name(v.name);
  }
  // The pusher re-pushes the master's keys with it (their snapshots carry the
  // epoch, group and namespaces they inherit), so one row is enough here.
  w.changed(snapshot::Resource::master, std::to_string(id));
  w.audit("update", "master", std::to_string(id), db::to_json(before), db::to_json(after));
  w.commit();
  return http::json(200, db::to_json(after));
}

// A leaked master key: a new one, shown once; the old one stops at commit (master auth
// looks the hash up in PostgreSQL on every request). Child keys are untouched.
http::Response rotate_master(Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "master");
  WriteUnit w(ctx, {actor.name, req.request_id});
  pqxx::work& tx = w.tx();
  auto before = db::find_master(tx, id, db::Lock::update);
  if (!before) http::not_found("master " + std::to_string(id));
  const IssuedSecret s = new_master_key();
  const db::MasterRow after = db::set_master_key(tx, id, s.hash, s.prefix);
  w.changed(snapshot::Resource::master, std::to_string(id));
  w.audit("rotate", "master", std::to_string(id), db::to_json(*before), db::to_json(after));
  w.commit();
  Json::Value body = db::to_json(after);
  body["master_key"] = s.secret;
  http::Response r = http::json(200, body);
  r.header("Cache-Control", "no-store");  // the body carries a secret
  return r;
}

http::Response delete_master(Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "master");
  WriteUnit w(ctx, {actor.name, req.request_id});
  pqxx::work& tx = w.tx();
  // FOR UPDATE: no key can be issued for this master between listing its keys
  // and the cascade that deletes them.
  auto m = db::find_master(tx, id, db::Lock::update);
  if (!m) http::not_found("master " + std::to_string(id));
  const auto keys = db::key_hashes_of_master(tx, id);
  for (const auto& [key_id, hash] : keys)
    w.changed(snapshot::Resource::key, std::to_string(key_id), hash);
  w.changed(snapshot::Resource::master, std::to_string(id));
  Json::Value before = db::to_json(*m);
  before["deleted_key_ids"] = Json::Value(Json::arrayValue);
  for (const auto& [key_id, hash] : keys) before["deleted_key_ids"].append(Json::Int64(key_id));
  w.audit("delete", "master", std::to_string(id), before, Json::Value());
  db::delete_master(tx, id);
  w.commit();
  return http::no_content();
}

}  // namespace

void register_master_routes(http::Router& r) {
  r.add("POST", "/admin/masters", create_master);
  r.add("GET", "/admin/masters", list_masters);
  r.add("GET", "/admin/masters/{id}", get_master);
  r.add("PUT", "/admin/masters/{id}", update_master);
  r.add("DELETE", "/admin/masters/{id}", delete_master);
  r.add("POST", "/admin/masters/{id}/rotate", rotate_master);
}

}  // namespace ez::api
