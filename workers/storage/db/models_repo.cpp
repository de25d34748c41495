#include "db/models_repo.h"

#include <stdexcept>

#include "db/json_columns.h"
#include "db/pg.h"
#include "db/pg_cells.h"

namespace ez::db {

namespace {

// THE column list of a model (decode() reads it by position), for the API and
// the snapshots alike; times come as microseconds (db/cells.h), prices as numeric text.
#define EZ_MODEL_COLS                                                                        \
  "id, name, kind, context_window, cost_per_token, supports_vision, supports_functions, "    \
  "supports_tool_choice, supports_fim, supports_stream, max_output_tokens, "                 \
  "input_price::text, output_price::text, cache_read_price::text, currency, " EZ_SQL_MICROS( \
      "created_at") ", " EZ_SQL_MICROS("updated_at")

const Statement kGet{"models_get", "SELECT " EZ_MODEL_COLS " FROM models WHERE name = $1"};
const Statement kGetForUpdate{"models_get_for_update",
                              "SELECT " EZ_MODEL_COLS " FROM models WHERE name = $1 FOR UPDATE"};
const Statement kInsert{
    "models_insert",
    "INSERT INTO models (name, kind, context_window, cost_per_token, supports_vision, "
    "supports_functions, supports_tool_choice, supports_fim, supports_stream, max_output_tokens, "
    "input_price, output_price, cache_read_price, currency) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::numeric, $12::numeric, $13::numeric, "
    "$14) RETURNING " EZ_MODEL_COLS};
const Statement kUpdate{
    "models_update",
    "UPDATE models SET name = $2, kind = $3, context_window = $4, cost_per_token = $5, "
    "supports_vision = $6, supports_functions = $7, supports_tool_choice = $8, "
    "supports_fim = $9, supports_stream = $10, max_output_tokens = $11, "
    "input_price = $12::numeric, output_price = $13::numeric, cache_read_price = $14::numeric, "
    "currency = $15, updated_at = now() "
    "WHERE id = $1 RETURNING " EZ_MODEL_COLS};
const Statement kDelete{"models_delete", "DELETE FROM models WHERE id = $1 RETURNING id"};
const Statement kAll{"models_all", "SELECT " EZ_MODEL_COLS " FROM models"};
const Statement kByRefs{"models_by_refs", "SELECT " EZ_MODEL_COLS
                                          " FROM models WHERE id = ANY($1::bigint[])"
                                          " OR name = ANY($2::text[])"};
// starts_with() rather than LIKE: a namespace holding % or _ is matched literally.
const Statement kList{"models_list", "SELECT " EZ_MODEL_COLS
                                     " FROM models WHERE id > $1"
                                     " AND ($2 = '' OR starts_with(name, $2 || '.'))"
                                     " AND ($3 = '' OR kind = $3) ORDER BY id LIMIT $4"};

#undef EZ_MODEL_COLS

ModelRow to_row(const pqxx::row& r) {
  return decode_row<ModelRow>(r);
}

}  // namespace

void decode(const Cells& c, ModelRow& m) {
  if (c.size() != kModelColumns) throw std::logic_error("models: unexpected column count");
  m.id = c.i64(0);
  c.str(1, m.v.name);
  c.str(2, m.v.kind);
  m.v.context_window = c.i64(3);
  m.v.cost_per_token = c.f64(4);
  m.v.supports_vision = c.boolean(5);
  m.v.supports_functions = c.boolean(6);
  m.v.supports_tool_choice = c.boolean(7);
  m.v.supports_fim = c.boolean(8);
  m.v.supports_stream = c.boolean(9);
  m.v.max_output_tokens = c.i64(10);
  m.v.input_price = c.opt_str(11);  // NULL: not priced
  m.v.output_price = c.opt_str(12);
  m.v.cache_read_price = c.opt_str(13);
  c.str(14, m.v.currency);
  m.created_at = c.rfc3339(15);
  m.updated_at = c.rfc3339(16);
}

std::vector<ModelRow> load_models(
    pqxx::transaction_base& tx,
    const std::optional<std::pair<std::vector<int64_t>, std::vector<std::string>>>& refs) {
  return decode_rows<ModelRow>(
      refs ? tx.exec_prepared(kByRefs.name(), int_array(refs->first), text_array(refs->second))
           : tx.exec_prepared(kAll.name()));
}

std::optional<ModelRow> find_model(pqxx::transaction_base& tx, const std::string& name,
                                   bool for_update) {
  auto res = tx.exec_prepared((for_update ? kGetForUpdate : kGet).name(), name);
  if (res.empty()) return std::nullopt;
  return to_row(res[0]);
}

ModelRow insert_model(pqxx::transaction_base& tx, const ModelValues& v) {
  return to_row(tx.exec_prepared1(
      kInsert.name(), v.name, v.kind, v.context_window, v.cost_per_token, v.supports_vision,
      v.supports_functions, v.supports_tool_choice, v.supports_fim, v.supports_stream,
      v.max_output_tokens, v.input_price, v.output_price, v.cache_read_price, v.currency));
}

std::optional<ModelRow> update_model(pqxx::transaction_base& tx, int64_t id, const ModelValues& v) {
  auto res = tx.exec_prepared(
      kUpdate.name(), id, v.name, v.kind, v.context_window, v.cost_per_token, v.supports_vision,
      v.supports_functions, v.supports_tool_choice, v.supports_fim, v.supports_stream,
      v.max_output_tokens, v.input_price, v.output_price, v.cache_read_price, v.currency);
  if (res.empty()) return std::nullopt;
  return to_row(res[0]);
}

bool delete_model(pqxx::transaction_base& tx, int64_t id) {
  return !tx.exec_prepared(kDelete.name(), id).empty();
}

std::vector<ModelRow> list_models(pqxx::transaction_base& tx, const ModelFilter& f, int64_t after,
                                  int64_t fetch_limit) {
  return decode_rows<ModelRow>(tx.exec_prepared(kList.name(), after, f.ns, f.kind, fetch_limit));
}

}  // namespace ez::db
