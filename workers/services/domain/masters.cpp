#include "domain/masters.h"

#include <algorithm>

#include "common/error.h"
#include "db/errors.h"
#include "db/keys_repo.h"

namespace ez::domain {

namespace {

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
    invalid("default_namespace",
            "default_namespace '" + v.default_namespace + "' is not one of namespaces");
}

Error duplicate_name(const std::string& name) {
  // name is the only unique column a client controls (key_hash collisions of 256-bit
  // random secrets do not happen).
  return Error(ErrorCode::conflict, "a master named '" + name + "' already exists", "name");
}

db::MasterRow lock_master(pqxx::transaction_base& tx, int64_t id) {
  auto m = db::find_master(tx, id, db::Lock::update);
  if (!m) not_found("master " + std::to_string(id));
  return std::move(*m);
}

}  // namespace

db::MasterValues master_values_of(const db::MasterRow& m) {
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

db::MasterValues new_master_values(const MasterFields& f) {
  db::MasterValues v;
  apply(v, f);
  if (!f.default_namespace && !v.namespaces.empty()) v.default_namespace = v.namespaces.front();
  check_default_namespace(v);
  return v;
}

MasterUpdate plan_master_update(const db::MasterRow& before, const MasterFields& f) {
  MasterUpdate u;
  const db::MasterValues current = master_values_of(before);
  u.values = current;
  apply(u.values, f);
  check_default_namespace(u.values);
  u.changed = !same_values(u.values, current);
  if (!u.changed) return u;
  u.namespaces_changed = !same_set(u.values.namespaces, before.namespaces);
  u.bump_epoch = u.namespaces_changed || u.values.status != before.status;
  return u;
}

Json::Value deleted_master_json(const db::MasterRow& m,
                                const std::vector<std::pair<int64_t, std::string>>& keys) {
  Json::Value before = db::to_json(m);
  before["deleted_key_ids"] = Json::Value(Json::arrayValue);
  for (const auto& [key_id, hash] : keys) before["deleted_key_ids"].append(Json::Int64(key_id));
  return before;
}

IssuedMaster create_master(WriteUnit& w, const db::MasterValues& v) {
  const IssuedSecret s = new_master_key();
  return db::translate_errors([&] {
    IssuedMaster m{db::on_duplicate([&] { return db::insert_master(w.tx(), v, s.hash, s.prefix); },
                                    [&] { return duplicate_name(v.name); }),
                   s.secret};
    w.changed(snapshot::Resource::master, std::to_string(m.row.id));
    w.audit("create", "master", std::to_string(m.row.id), Json::Value(), db::to_json(m.row));
    return m;
  });
}

db::MasterRow update_master(WriteUnit& w, int64_t id, const MasterFields& f) {
  return db::translate_errors([&] {
    pqxx::work& tx = w.tx();
    const db::MasterRow before = lock_master(tx, id);
    const MasterUpdate u = plan_master_update(before, f);
    if (!u.changed) return before;
    if (u.namespaces_changed) {
      if (auto used = db::key_outside_namespaces(tx, id, u.values.namespaces))
        fail(ErrorCode::conflict,
             "namespace '" + used->second + "' is still used by key " +
                 std::to_string(used->first) + "; change that key first",
             "namespaces");
    }
    const db::MasterRow after =
        db::on_duplicate([&] { return db::update_master(tx, id, u.values, u.bump_epoch); },
                         [&] { return duplicate_name(u.values.name); });
    // The pusher re-pushes the master's keys with it (their snapshots carry the epoch,
    // group and namespaces they inherit), so one row is enough here.
    w.changed(snapshot::Resource::master, std::to_string(id));
    w.audit("update", "master", std::to_string(id), db::to_json(before), db::to_json(after));
    return after;
  });
}

IssuedMaster rotate_master_key(WriteUnit& w, int64_t id) {
  return db::translate_errors([&] {
    pqxx::work& tx = w.tx();
    const db::MasterRow before = lock_master(tx, id);
    const IssuedSecret s = new_master_key();
    IssuedMaster m{db::set_master_key(tx, id, s.hash, s.prefix), s.secret};
    w.changed(snapshot::Resource::master, std::to_string(id));
    w.audit("rotate", "master", std::to_string(id), db::to_json(before), db::to_json(m.row));
    return m;
  });
}

void delete_master(WriteUnit& w, int64_t id) {
  db::translate_errors([&] {
    pqxx::work& tx = w.tx();
    // FOR UPDATE: no key can be issued for this master between listing its keys and the
    // cascade that deletes them.
    const db::MasterRow m = lock_master(tx, id);
    const auto keys = db::key_hashes_of_master(tx, id);
    for (const auto& [key_id, hash] : keys)
      w.changed(snapshot::Resource::key, std::to_string(key_id), hash);
    w.changed(snapshot::Resource::master, std::to_string(id));
    w.audit("delete", "master", std::to_string(id), deleted_master_json(m, keys), Json::Value());
    db::delete_master(tx, id);
  });
}

db::MasterRow get_master(context::Context& ctx, int64_t id) {
  return db::translate_errors([&] {
    pqxx::read_transaction tx(ctx.pg().conn());
    auto m = db::find_master(tx, id);
    if (!m) not_found("master " + std::to_string(id));
    return std::move(*m);
  });
}

std::vector<db::MasterRow> list_masters(context::Context& ctx, int64_t after, int64_t fetch_limit) {
  return db::translate_errors([&] {
    pqxx::read_transaction tx(ctx.pg_read().conn());
    return db::list_masters(tx, after, fetch_limit);
  });
}

}  // namespace ez::domain
