#include "db/masters_repo.h"

#include <stdexcept>

#include "db/json_columns.h"
#include "db/pg.h"
#include "db/pg_cells.h"

namespace ez::db {

namespace {

// THE column list of a master (decode() reads it by position), for the API and
// the snapshots alike. Arrays come as array literals, times as microseconds
// (db/cells.h).
#define EZ_MASTER_COLS                                                                \
  "id, name, group_name, namespaces, default_namespace, max_child_keys, global_qps, " \
  "status, epoch, key_prefix, " EZ_SQL_MICROS("created_at") ", " EZ_SQL_MICROS("updated_at")

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
const Statement kAll{"masters_all", "SELECT " EZ_MASTER_COLS " FROM masters"};
const Statement kByIds{"masters_by_ids",
                       "SELECT " EZ_MASTER_COLS " FROM masters WHERE id = ANY($1::bigint[])"};
const Statement kList{"masters_list",
                      "SELECT " EZ_MASTER_COLS " FROM masters WHERE id > $1 ORDER BY id LIMIT $2"};

#undef EZ_MASTER_COLS

MasterRow to_row(const pqxx::row& r) {
  return decode_row<MasterRow>(r);
}

std::optional<MasterRow> first(const pqxx::result& res) {
  return decode_first<MasterRow>(res);
}

}  // namespace

void decode(const Cells& c, MasterRow& m) {
  if (c.size() != kMasterColumns) throw std::logic_error("masters: unexpected column count");
  m.id = c.i64(0);
  c.str(1, m.name);
  c.str(2, m.group);
  c.array(3, m.namespaces);
  c.str(4, m.default_namespace);
  m.max_child_keys = c.i64(5);
  m.global_qps = c.i64(6);
  c.str(7, m.status);
  m.epoch = c.i64(8);
  c.str(9, m.key_prefix);
  m.created_at = c.rfc3339(10);
  m.updated_at = c.rfc3339(11);
}

std::vector<MasterRow> load_masters(pqxx::transaction_base& tx,
                                    const std::optional<std::vector<int64_t>>& ids) {
  return decode_rows<MasterRow>(ids ? tx.exec_prepared(kByIds.name(), int_array(*ids))
                                    : tx.exec_prepared(kAll.name()));
}

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
  return decode_rows<MasterRow>(tx.exec_prepared(kList.name(), after, fetch_limit));
}

}  // namespace ez::db
