// Client keys, admin side: /keys CRUD + rotation and the per-master issuance
// route /admin/masters/{id}/keys. The master self-service side is in
// master_self.cpp; both issue keys through issue_child_key() only.
// The writes, their locks and their lock order are the key service's (domain/keys.h).
#include "api/keys.h"

#include "api/pagination.h"
#include "api/routes.h"
#include "context/context.h"
#include "domain/validate.h"
#include "domain/write_unit.h"
#include "http/error.h"
#include "http/response.h"

namespace ez::api {

using namespace ez::domain;  // validation and domain rules (services/domain)

using http::ErrorCode;

namespace {

http::Response created(const IssuedKey& k) {
  http::Response r = http::json(201, key_json_with_secret(k));
  r.header("Location", "/keys/" + std::to_string(k.row.id));
  r.header("Cache-Control", "no-store");  // the body carries a secret
  return r;
}

// ---- handlers ---------------------------------------------------------------

http::Response create_key(context::Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const KeyFields f = parse_key_fields(req.json_body(), KeyBody::create_admin);
  WriteUnit w(ctx, {actor.name, req.request_id});
  IssuedKey k = issue_child_key(w, *f.master_id, f, "admin", UnknownMaster::invalid_field);
  w.commit();
  return created(k);
}

http::Response create_key_for_master(context::Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const int64_t master_id = parse_id(req.param("id"), "master");
  const KeyFields f = parse_key_fields(req.json_body(), KeyBody::create_for_master);
  WriteUnit w(ctx, {actor.name, req.request_id});
  IssuedKey k = issue_child_key(w, master_id, f, "admin", UnknownMaster::not_found);
  w.commit();
  return created(k);
}

Json::Value list_page(context::Context& ctx, const db::KeyFilter& filter, const PageRequest& page) {
  const auto rows = domain::list_keys(ctx, filter, page.after, page.fetch_limit());
  return page_json(
      rows, page, [](const db::KeyRow& k) { return db::to_json(k); },
      [](const db::KeyRow& k) { return k.id; });
}

http::Response list_keys(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  check_query_params(req.query, {"master_id", "status"});
  const PageRequest page = parse_page(req);
  db::KeyFilter filter;
  if (auto m = req.query_param("master_id")) {
    auto id = http::parse_int64(*m);
    if (!id || *id < 1)
      http::fail(ErrorCode::bad_request, "master_id must be a positive integer", "master_id");
    filter.master_id = *id;
  }
  if (auto s = req.query_param("status"))
    filter.status = check_enum(*s, "status", {"active", "disabled"});
  return http::json(200, list_page(ctx, filter, page));
}

http::Response list_keys_of_master(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const int64_t master_id = parse_id(req.param("id"), "master");
  check_query_params(req.query, {"status"});
  const PageRequest page = parse_page(req);
  db::KeyFilter filter;
  filter.master_id = master_id;
  if (auto s = req.query_param("status"))
    filter.status = check_enum(*s, "status", {"active", "disabled"});
  require_master_exists(ctx, master_id);
  return http::json(200, list_page(ctx, filter, page));
}

http::Response get_key(context::Context& ctx, http::Request& req) {
  (void)require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "key");
  return http::json(200, db::to_json(domain::get_key(ctx, id)));
}

http::Response update_key(context::Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "key");
  const KeyFields f = parse_key_fields(req.json_body(), KeyBody::update);
  WriteUnit w(ctx, {actor.name, req.request_id});
  const db::KeyRow before = lock_key(w, id);
  if (f.master_id && *f.master_id != before.master_id)
    http::invalid("master_id", "a key cannot move to another master; issue a new key instead");
  const db::KeyRow after = update_child_key(w, before, f);
  w.commit();
  return http::json(200, key_write_json(after));
}

http::Response delete_key(context::Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "key");
  WriteUnit w(ctx, {actor.name, req.request_id});
  const db::KeyRow key = lock_key(w, id);
  delete_child_key(w, key);
  w.commit();
  return http::no_content();
}

http::Response rotate_key(context::Context& ctx, http::Request& req) {
  const Actor actor = require_admin(ctx, req);
  const int64_t id = parse_id(req.param("id"), "key");
  WriteUnit w(ctx, {actor.name, req.request_id});
  const IssuedKey k = rotate_child_key(w, lock_key(w, id));
  w.commit();
  http::Response r = http::json(200, key_json_with_secret(k));
  r.header("Cache-Control", "no-store");
  return r;
}

}  // namespace

Json::Value key_write_json(const db::KeyRow& k) {
  Json::Value j = db::to_json(k);
  const auto warnings = key_warnings(k.model_limits_enabled, k.model_limits);
  if (!warnings.empty()) {
    Json::Value& w = j["warnings"] = Json::Value(Json::arrayValue);
    for (const auto& text : warnings) w.append(text);
  }
  return j;
}

Json::Value key_json_with_secret(const IssuedKey& k) {
  Json::Value j = key_write_json(k.row);
  j["key"] = k.secret;
  return j;
}

void register_key_routes(http::Router& r) {
  r.add("POST", "/keys", create_key);
  r.add("GET", "/keys", list_keys, paged({{"master_id", http::ParamType::integer}, {"status"}}));
  r.add("GET", "/keys/{id}", get_key);
  r.add("PUT", "/keys/{id}", update_key);
  r.add("DELETE", "/keys/{id}", delete_key);
  r.add("POST", "/keys/{id}/rotate", rotate_key);
  r.add("POST", "/admin/masters/{id}/keys", create_key_for_master);
  r.add("GET", "/admin/masters/{id}/keys", list_keys_of_master, paged({{"status"}}));
}

}  // namespace ez::api
