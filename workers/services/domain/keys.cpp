#include "domain/keys.h"

#include <pqxx/pqxx>

#include "common/error.h"
#include "context/context.h"
#include "db/errors.h"
#include "db/masters_repo.h"
#include "domain/key_rules.h"

namespace ez::domain {

namespace {

db::KeyValues values_of(const db::KeyRow& k) {
  db::KeyValues v;
  v.name = k.name;
  v.group = k.group;
  v.namespaces = k.namespaces;
  v.scopes = k.scopes;
  v.model_limits = k.model_limits;
  v.model_limits_enabled = k.model_limits_enabled;
  v.model_rate_limits = k.model_rate_limits;
  v.allow_ips = k.allow_ips;
  v.expires_at = k.expires_at;
  v.status = k.status;
  v.quota_limit = k.quota_limit;
  v.quota_used = k.quota_used;
  v.unlimited_quota = k.unlimited_quota;
  return v;
}

void apply(db::KeyValues& v, const KeyFields& f) {
  if (f.name) v.name = *f.name;
  if (f.group) v.group = *f.group;
  if (f.namespaces) v.namespaces = *f.namespaces;
  if (f.scopes) v.scopes = *f.scopes;
  if (f.model_limits) v.model_limits = *f.model_limits;
  if (f.model_limits_enabled) v.model_limits_enabled = *f.model_limits_enabled;
  if (f.model_rate_limits) v.model_rate_limits = *f.model_rate_limits;
  if (f.allow_ips) v.allow_ips = *f.allow_ips;
  if (f.expires_at) v.expires_at = *f.expires_at;
  if (f.status) v.status = *f.status;
  if (f.quota_limit) v.quota_limit = *f.quota_limit;
  if (f.quota_used) v.quota_used = *f.quota_used;
  if (f.unlimited_quota) v.unlimited_quota = *f.unlimited_quota;
}

}  // namespace

IssuedKey issue_child_key(WriteUnit& w, int64_t master_id, const KeyFields& fields,
                          const std::string& issued_by, UnknownMaster unknown) {
  pqxx::work& tx = w.tx();
  // FOR UPDATE serialises issuers of one master: the count below cannot be
  // raced by a concurrent insert (read committed re-reads after the lock).
  auto master = db::find_master(tx, master_id, db::Lock::update);
  if (!master) {
    if (unknown == UnknownMaster::invalid_field)
      invalid("master_id", "master " + std::to_string(master_id) + " does not exist");
    not_found("master " + std::to_string(master_id));
  }
  if (issued_by == "master" && master->status != "active")
    fail(ErrorCode::forbidden, "master " + std::to_string(master_id) + " is suspended");
  db::KeyValues v;
  apply(v, fields);
  check_key_namespaces(v.namespaces, master->namespaces);
  enforce_child_key_quota(master_id, db::count_keys_of_master(tx, master_id),
                          master->max_child_keys);
  const IssuedSecret s = new_client_key();
  IssuedKey k{db::insert_key(tx, master_id, v, issued_by, s.hash, s.prefix), s.secret};
  w.changed(snapshot::Resource::key, std::to_string(k.row.id));
  w.audit("create", "key", std::to_string(k.row.id), Json::Value(), db::to_json(k.row));
  return k;
}

db::KeyRow update_child_key(WriteUnit& w, const db::KeyRow& before, const KeyFields& fields) {
  pqxx::work& tx = w.tx();
  const db::KeyValues current = values_of(before);
  db::KeyValues v = current;
  apply(v, fields);
  // GET shows an inheriting key's group as its master's: sending that back keeps the
  // key inheriting instead of pinning it to today's group of the master.
  if (fields.group && before.group.empty() && *fields.group == before.master_group) v.group.clear();
  if (fields.namespaces) {
    // The caller's share lock on the master keeps its namespaces stable until commit.
    auto master = db::find_master(tx, before.master_id);
    if (!master) not_found("key " + std::to_string(before.id));
    check_key_namespaces(v.namespaces, master->namespaces);
  }
  if (v.name == current.name && v.group == current.group && v.namespaces == current.namespaces &&
      v.scopes == current.scopes && v.model_limits == current.model_limits &&
      v.model_limits_enabled == current.model_limits_enabled &&
      v.model_rate_limits == current.model_rate_limits && v.allow_ips == current.allow_ips &&
      v.expires_at == current.expires_at && v.status == current.status &&
      v.quota_limit == current.quota_limit && v.quota_used == current.quota_used &&
      v.unlimited_quota == current.unlimited_quota)
    return before;
  const db::KeyRow after = db::update_key(tx, before.id, v);
  w.changed(snapshot::Resource::key, std::to_string(before.id));
  w.audit("update", "key", std::to_string(before.id), db::to_json(before), db::to_json(after));
  return after;
}

void delete_child_key(WriteUnit& w, const db::KeyRow& key) {
  w.changed(snapshot::Resource::key, std::to_string(key.id), key.token_hash);
  w.audit("delete", "key", std::to_string(key.id), db::to_json(key), Json::Value());
  db::delete_key(w.tx(), key.id);
}

IssuedKey rotate_child_key(WriteUnit& w, const db::KeyRow& before) {
  const IssuedSecret s = new_client_key();
  IssuedKey k{db::set_key_token(w.tx(), before.id, s.hash, s.prefix), s.secret};
  w.changed(snapshot::Resource::key, std::to_string(before.id), before.token_hash);
  w.audit("rotate", "key", std::to_string(before.id), db::to_json(before), db::to_json(k.row));
  return k;
}

db::KeyRow lock_key(WriteUnit& w, int64_t id) {
  pqxx::work& tx = w.tx();
  auto key = db::find_key(tx, id);
  if (!key) not_found("key " + std::to_string(id));
  if (!db::find_master(tx, key->master_id, db::Lock::share)) not_found("key " + std::to_string(id));
  key = db::find_key(tx, id, /*for_update=*/true);
  if (!key) not_found("key " + std::to_string(id));
  return *key;
}

db::KeyRow lock_own_key(WriteUnit& w, int64_t id, int64_t master_id) {
  pqxx::work& tx = w.tx();
  if (!db::find_owned_key(tx, id, master_id)) not_found("key " + std::to_string(id));
  if (!db::find_master(tx, master_id, db::Lock::share)) not_found("key " + std::to_string(id));
  auto key = db::find_owned_key(tx, id, master_id, /*for_update=*/true);
  if (!key) not_found("key " + std::to_string(id));
  return *key;
}

std::vector<db::KeyRow> list_keys(context::Context& ctx, const db::KeyFilter& filter, int64_t after,
                                  int64_t limit) {
  pqxx::read_transaction tx(ctx.pg_read().conn());
  return db::list_keys(tx, filter, after, limit);
}

db::KeyRow get_key(context::Context& ctx, int64_t id) {
  pqxx::read_transaction tx(ctx.pg().conn());
  auto k = db::find_key(tx, id);
  if (!k) not_found("key " + std::to_string(id));
  return *k;
}

db::KeyRow get_own_key(context::Context& ctx, int64_t id, int64_t master_id) {
  pqxx::read_transaction tx(ctx.pg().conn());
  auto k = db::find_owned_key(tx, id, master_id);
  if (!k) not_found("key " + std::to_string(id));
  return *k;
}

void require_master_exists(context::Context& ctx, int64_t id) {
  pqxx::read_transaction tx(ctx.pg().conn());
  if (!db::find_master(tx, id)) not_found("master " + std::to_string(id));
}

std::optional<db::MasterRow> find_master_by_key_hash(context::Context& ctx,
                                                     const std::string& token_hash) {
  // Translated here: the caller (authentication) tells a lost session from a missing key.
  return db::translate_errors([&] {
    pqxx::read_transaction tx(ctx.pg().conn());
    return db::find_master_by_key_hash(tx, token_hash);
  });
}

}  // namespace ez::domain
