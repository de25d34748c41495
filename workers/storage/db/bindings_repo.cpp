#include "db/bindings_repo.h"

#include "db/json_columns.h"
#include "db/pg.h"

namespace ez::db {

namespace {

#define EZ_BINDING_COLS                                                               \
  "id, namespace, public_model, route_group, selector_type, selector_value, weight, " \
  "status, " EZ_SQL_MICROS("created_at") " AS created_us, " EZ_SQL_MICROS(            \
      "updated_at") " AS updated_us"

const Statement kGet{"bindings_get", "SELECT " EZ_BINDING_COLS " FROM bindings WHERE id = $1"};
const Statement kGetForUpdate{"bindings_get_for_update",
                              "SELECT " EZ_BINDING_COLS " FROM bindings WHERE id = $1 FOR UPDATE"};
const Statement kInsert{
    "bindings_insert",
    "INSERT INTO bindings (namespace, public_model, route_group, selector_type, "
    "selector_value, weight, status) VALUES ($1, $2, $3, $4, $5, $6, $7) "
    "RETURNING " EZ_BINDING_COLS};
const Statement kUpdate{"bindings_update",
                        "UPDATE bindings SET namespace = $2, public_model = $3, route_group = $4, "
                        "selector_type = $5, selector_value = $6, weight = $7, status = $8, "
                        "updated_at = now() WHERE id = $1 RETURNING " EZ_BINDING_COLS};
const Statement kDelete{"bindings_delete", "DELETE FROM bindings WHERE id = $1 RETURNING id"};
const Statement kList{"bindings_list",
                      "SELECT " EZ_BINDING_COLS
                      " FROM bindings WHERE id > $1"
                      " AND ($2 = '' OR namespace = $2) AND ($3 = '' OR public_model = $3)"
                      " ORDER BY id LIMIT $4"};

#undef EZ_BINDING_COLS

BindingRow to_row(const pqxx::row& r) {
  BindingRow b;
  b.id = r["id"].as<int64_t>();
  b.v.ns = r["namespace"].as<std::string>();
  b.v.public_model = r["public_model"].as<std::string>();
  b.v.route_group = r["route_group"].as<std::string>();
  b.v.selector_type = r["selector_type"].as<std::string>();
  b.v.selector_value = r["selector_value"].as<std::string>();
  b.v.weight = r["weight"].as<int64_t>();
  b.v.status = r["status"].as<std::string>();
  b.created_at = rfc3339_from_micros(r["created_us"].as<int64_t>());
  b.updated_at = rfc3339_from_micros(r["updated_us"].as<int64_t>());
  return b;
}

}  // namespace

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
  std::vector<BindingRow> out;
  for (const auto& r : tx.exec_prepared(kList.name(), after, f.ns, f.public_model, fetch_limit))
    out.push_back(to_row(r));
  return out;
}

}  // namespace ez::db
