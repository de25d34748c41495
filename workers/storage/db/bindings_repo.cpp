#include "db/bindings_repo.h"

#include <stdexcept>

#include "db/json_columns.h"
#include "db/pg.h"
#include "db/pg_cells.h"

namespace ez::db {

namespace {

// THE column list of a binding (decode() reads it by position), for the API and
// the snapshots alike, over a relation named b. The route group's id is a scalar
// subquery rather than a join, so a locking read locks the binding alone and
// re-reads the group after the lock; no group of that name gives 0. Times come
// as microseconds (db/cells.h).
// clang-format off
#define EZ_BINDING_COLS                                                                    \
  "b.id, b.namespace, b.public_model, b.route_group, b.selector_type, b.selector_value, "  \
  "b.weight, b.status, " EZ_SQL_MICROS("b.created_at") ", " EZ_SQL_MICROS("b.updated_at") \
  ", COALESCE((SELECT g.id FROM provider_groups g WHERE g.name = b.route_group), 0)"
// clang-format on

const Statement kGet{"bindings_get", "SELECT " EZ_BINDING_COLS " FROM bindings b WHERE b.id = $1"};
const Statement kGetForUpdate{"bindings_get_for_update",
                              "SELECT " EZ_BINDING_COLS
                              " FROM bindings b WHERE b.id = $1 FOR UPDATE"};
const Statement kInsert{
    "bindings_insert",
    "WITH b AS (INSERT INTO bindings (namespace, public_model, route_group, selector_type, "
    "selector_value, weight, status) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *) "
    "SELECT " EZ_BINDING_COLS " FROM b"};
const Statement kUpdate{
    "bindings_update",
    "WITH b AS (UPDATE bindings SET namespace = $2, public_model = $3, route_group = $4, "
    "selector_type = $5, selector_value = $6, weight = $7, status = $8, "
    "updated_at = now() WHERE id = $1 RETURNING *) "
    "SELECT " EZ_BINDING_COLS " FROM b"};
const Statement kDelete{"bindings_delete", "DELETE FROM bindings WHERE id = $1 RETURNING id"};
const Statement kList{"bindings_list",
                      "SELECT " EZ_BINDING_COLS
                      " FROM bindings b WHERE b.id > $1"
                      " AND ($2 = '' OR b.namespace = $2) AND ($3 = '' OR b.public_model = $3)"
                      " ORDER BY b.id LIMIT $4"};
const Statement kAll{"bindings_all", "SELECT " EZ_BINDING_COLS " FROM bindings b"};
const Statement kByFields{
    "bindings_by_fields",
    "SELECT " EZ_BINDING_COLS
    " FROM bindings b WHERE b.namespace || '.' || b.public_model = ANY($1::text[])"};

#undef EZ_BINDING_COLS

BindingRow to_row(const pqxx::row& r) {
  return decode_row<BindingRow>(r);
}

}  // namespace

void decode(const Cells& c, BindingRow& b) {
  if (c.size() != kBindingColumns) throw std::logic_error("bindings: unexpected column count");
  b.id = c.i64(0);
  c.str(1, b.v.ns);
  c.str(2, b.v.public_model);
  c.str(3, b.v.route_group);
  c.str(4, b.v.selector_type);
  c.str(5, b.v.selector_value);
  b.v.weight = c.i64(6);
  c.str(7, b.v.status);
  b.created_at = c.rfc3339(8);
  b.updated_at = c.rfc3339(9);
  b.updated_unix = floor_seconds(c.i64(9));
  b.group_id = c.i64(10);
}

std::vector<BindingRow> load_bindings(pqxx::transaction_base& tx,
                                      const std::optional<std::vector<std::string>>& fields) {
  return decode_rows<BindingRow>(fields ? tx.exec_prepared(kByFields.name(), text_array(*fields))
                                        : tx.exec_prepared(kAll.name()));
}

std::optional<BindingRow> find_binding(pqxx::transaction_base& tx, int64_t id, bool for_update) {
  auto res = tx.exec_prepared((for_update ? kGetForUpdate : kGet).name(), id);
  if (res.empty()) return std::nullopt;
  return to_row(res[0]);
}

BindingRow insert_binding(pqxx::transaction_base& tx, const BindingValues& v) {
  return to_row(tx.exec_prepared1(kInsert.name(), v.ns, v.public_model, v.route_group,
                                  v.selector_type, v.selector_value, v.weight, v.status));
}

std::optional<BindingRow> update_binding(pqxx::transaction_base& tx, int64_t id,
                                         const BindingValues& v) {
  auto res = tx.exec_prepared(kUpdate.name(), id, v.ns, v.public_model, v.route_group,
                              v.selector_type, v.selector_value, v.weight, v.status);
  if (res.empty()) return std::nullopt;
  return to_row(res[0]);
}

bool delete_binding(pqxx::transaction_base& tx, int64_t id) {
  return !tx.exec_prepared(kDelete.name(), id).empty();
}

std::vector<BindingRow> list_bindings(pqxx::transaction_base& tx, const BindingFilter& f,
                                      int64_t after, int64_t fetch_limit) {
  return decode_rows<BindingRow>(
      tx.exec_prepared(kList.name(), after, f.ns, f.public_model, fetch_limit));
}

}  // namespace ez::db
