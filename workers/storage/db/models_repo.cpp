#include "db/models_repo.h"

#include "db/json_columns.h"
#include "db/pg.h"

namespace ez::db {

namespace {

#define EZ_MODEL_COLS                                                                        \
  "id, name, kind, context_window, cost_per_token, supports_vision, supports_functions, "    \
  "supports_tool_choice, supports_fim, supports_stream, max_output_tokens, "                 \
  "input_price::text, output_price::text, cache_read_price::text, currency, " EZ_SQL_MICROS( \
      "created_at") " AS created_us, " EZ_SQL_MICROS("updated_at") " AS updated_us"

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
// starts_with() rather than LIKE: a namespace holding % or _ is matched literally.
const Statement kList{"models_list", "SELECT " EZ_MODEL_COLS
                                     " FROM models WHERE id > $1"
                                     " AND ($2 = '' OR starts_with(name, $2 || '.'))"
                                     " AND ($3 = '' OR kind = $3) ORDER BY id LIMIT $4"};

#undef EZ_MODEL_COLS

ModelRow to_row(const pqxx::row& r) {
  ModelRow m;
  m.id = r["id"].as<int64_t>();
  m.v.name = r["name"].as<std::string>();
  m.v.kind = r["kind"].as<std::string>();
  m.v.context_window = r["context_window"].as<int64_t>();
  m.v.cost_per_token = r["cost_per_token"].as<double>();
  m.v.supports_vision = r["supports_vision"].as<bool>();
  m.v.supports_functions = r["supports_functions"].as<bool>();
  m.v.supports_tool_choice = r["supports_tool_choice"].as<bool>();
  m.v.supports_fim = r["supports_fim"].as<bool>();
  m.v.supports_stream = r["supports_stream"].as<bool>();
  m.v.max_output_tokens = r["max_output_tokens"].as<int64_t>();
  auto price = [&](const char* col) -> std::optional<std::string> {
    if (r[col].is_null()) return std::nullopt;
    return r[col].as<std::string>();
  };
  m.v.input_price = price("input_price");
  m.v.output_price = price("output_price");
  m.v.cache_read_price = price("cache_read_price");
  m.v.currency = r["currency"].as<std::string>();
  m.created_at = rfc3339_from_micros(r["created_us"].as<int64_t>());
  m.updated_at = rfc3339_from_micros(r["updated_us"].as<int64_t>());
  return m;
}

}  // namespace

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
  std::vector<ModelRow> out;
  for (const auto& r : tx.exec_prepared(kList.name(), after, f.ns, f.kind, fetch_limit))
    out.push_back(to_row(r));
  return out;
}

}  // namespace ez::db
