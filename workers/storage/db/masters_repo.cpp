#include "db/masters_repo.h"

#include "db/json_columns.h"
#include "db/pg.h"

namespace ez::db {

namespace {

// One column list for every statement that returns a master, so to_row() has a
// single shape to read. Arrays come back as JSON text and times as microseconds
// (json_columns.h, shared by every resource).
#define EZ_MASTER_COLS                                                                       \
  "id, name, group_name, array_to_json(namespaces)::text AS namespaces, default_namespace, " \
  "max_child_keys, global_qps, status, epoch, key_prefix, " EZ_SQL_MICROS(                   \
      "created_at") " AS created_us, " EZ_SQL_MICROS("updated_at") " AS updated_us"

const Statement kGet{"masters_get", "SELECT " EZ_MASTER_COLS " FROM masters WHERE id = $1"};
const Statement kGetShare{"masters_get_share",
                          "SELECT " EZ_MASTER_COLS " FROM masters WHERE id = $1 FOR SHARE"};
const Statement kGetUpdate{"masters_get_update",
                           "SELECT " EZ_MASTER_COLS " FROM masters WHERE id = $1 FOR UPDATE"};
const Statement kByHash{"masters_by_key_hash",
                        "SELECT " EZ_MASTER_COLS " FROM masters WHERE key_hash = $1"};
const Statement kInsert{
    "masters_insert",
    "INSERT INTO masters (name, group_name, namespaces, default_namespace, max_child_keys, "
    "global_qps, status, key_hash, key_prefix) "
    "VALUES ($1, $2, " EZ_SQL_TEXT_ARRAY(
        "$3") ", $4, $5, $6, $7, $8, $9) RETURNING " EZ_MASTER_COLS};
const Statement kUpdate{
    "masters_update",
    "UPDATE masters SET name = $2, group_name = $3, namespaces = " EZ_SQL_TEXT_ARRAY("$4") ", "
    "default_namespace = $5, max_child_keys = $6, global_qps = $7, status = $8, "
    "epoch = epoch + $9, updated_at = now() WHERE id = $1 RETURNING " EZ_MASTER_COLS};
const Statement kSetKey{"masters_set_key",
                        "UPDATE masters SET key_hash = $2, key_prefix = $3, updated_at = now() "
                        "WHERE id = $1 RETURNING " EZ_MASTER_COLS};
const Statement kDelete{"masters_delete", "DELETE FROM masters WHERE id = $1"};
const Statement kList{"masters_list",
                      "SELECT " EZ_MASTER_COLS " FROM masters WHERE id > $1 ORDER BY id LIMIT $2"};

#undef EZ_MASTER_COLS

MasterRow to_row(const pqxx::row& r) {
  MasterRow m;
  m.id = r["id"].as<int64_t>();
  m.name = r["name"].as<std::string>();
  m.group = r["group_name"].as<std::string>();
  m.namespaces = parse_json_string_array(r["namespaces"].as<std::string>());
  m.default_namespace = r["default_namespace"].as<std::string>();
  m.max_child_keys = r["max_child_keys"].as<int64_t>();
  m.global_qps = r["global_qps"].as<int64_t>();
  m.status = r["status"].as<std::string>();
  m.epoch = r["epoch"].as<int64_t>();
  m.key_prefix = r["key_prefix"].as<std::string>();
  m.created_at = rfc3339_from_micros(r["created_us"].as<int64_t>());
  m.updated_at = rfc3339_from_micros(r["updated_us"].as<int64_t>());
  return m;
}

std::optional<MasterRow> first(const pqxx::result& res) {
  if (res.empty()) return std::nullopt;
  return to_row(res[0]);
}

}  // namespace

Json::Value to_json(const MasterRow& m) {
  Json::Value j(Json::objectValue);
  j["id"] = Json::Int64(m.id);
  j["name"] = m.name;
  j["group"] = m.group;
  j["namespaces"] = string_array_json(m.namespaces);
  j["default_namespace"] = m.default_namespace;
  j["max_child_keys"] = Json::Int64(m.max_child_keys);
  j["global_qps"] = Json::Int64(m.global_qps);
  j["status"] = m.status;
  j["epoch"] = Json::Int64(m.epoch);
  j["key_prefix"] = m.key_prefix;
  j["created_at"] = m.created_at;
  j["updated_at"] = m.updated_at;
  return j;
}

std::optional<MasterRow> find_master(pqxx::transaction_base& tx, int64_t id, Lock lock) {
  const Statement& s = lock == Lock::update ? kGetUpdate : lock == Lock::share ? kGetShare : kGet;
  return first(tx.exec_prepared(s.name(), id));
}

std::optional<MasterRow> find_master_by_key_hash(pqxx::transaction_base& tx,
                                                 const std::string& key_hash) {
  return first(tx.exec_prepared(kByHash.name(), key_hash));
}

MasterRow insert_master(pqxx::transaction_base& tx, const MasterValues& v,
                        const std::string& key_hash, const std::string& key_prefix) {
  return to_row(tx.exec_prepared1(kInsert.name(), v.name, v.group, json_array_text(v.namespaces),
                                  v.default_namespace, v.max_child_keys, v.global_qps, v.status,
                                  key_hash, key_prefix));
}

MasterRow update_master(pqxx::transaction_base& tx, int64_t id, const MasterValues& v,
                        bool bump_epoch) {
  return to_row(tx.exec_prepared1(kUpdate.name(), id, v.name, v.group,
                                  json_array_text(v.namespaces), v.default_namespace,
                                  v.max_child_keys, v.global_qps, v.status, bump_epoch ? 1 : 0));
}

MasterRow set_master_key(pqxx::transaction_base& tx, int64_t id, const std::string& key_hash,
                         const std::string& key_prefix) {
  return to_row(tx.exec_prepared1(kSetKey.name(), id, key_hash, key_prefix));
}

void delete_master(pqxx::transaction_base& tx, int64_t id) {
  tx.exec_prepared0(kDelete.name(), id);
}

std::vector<MasterRow> list_masters(pqxx::transaction_base& tx, int64_t after,
                                    int64_t fetch_limit) {
  std::vector<MasterRow> out;
  for (const auto& r : tx.exec_prepared(kList.name(), after, fetch_limit)) out.push_back(to_row(r));
  return out;
}

}  // namespace ez::db
