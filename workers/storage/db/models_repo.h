// Models (meta:models in Redis), keyed by "namespace.public_model". Functions run
// in the caller's transaction; the handler has validated the values.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <utility>
#include <vector>

#include "db/cells.h"

namespace ez::db {

struct ModelValues {
  std::string name;  // namespace.public_model
  std::string kind = "chat";
  int64_t context_window = 0;
  double cost_per_token = 0;
  bool supports_vision = false;
  bool supports_functions = false;
  bool supports_tool_choice = false;
  bool supports_fim = false;
  bool supports_stream = true;
  int64_t max_output_tokens = 0;
  // Prices per million tokens as numeric text ("0.0000025"), never a double; PostgreSQL
  // only (not in the Redis snapshot). Priced when input_price and output_price are set.
  std::optional<std::string> input_price, output_price, cache_read_price;
  std::string currency = "USD";

  bool operator==(const ModelValues&) const = default;
};

struct ModelRow {
  int64_t id = 0;
  ModelValues v;
  std::string created_at;
  std::string updated_at;
};

// The cells of the models column list (models_repo.cpp) into a row.
inline constexpr size_t kModelColumns = 17;
void decode(const Cells& c, ModelRow& m);

struct ModelFilter {
  std::string ns;  // namespace; "" = any
  std::string kind;
};

[[nodiscard]] std::optional<ModelRow> find_model(pqxx::transaction_base& tx,
                                                 const std::string& name, bool for_update = false);
// Throws pqxx::unique_violation on a duplicate name.
[[nodiscard]] ModelRow insert_model(pqxx::transaction_base& tx, const ModelValues& v);
[[nodiscard]] std::optional<ModelRow> update_model(pqxx::transaction_base& tx, int64_t id,
                                                   const ModelValues& v);
[[nodiscard]] bool delete_model(pqxx::transaction_base& tx, int64_t id);
// Models by id or by name, in no order; nullopt = every model (the snapshots).
[[nodiscard]] std::vector<ModelRow> load_models(
    pqxx::transaction_base& tx,
    const std::optional<std::pair<std::vector<int64_t>, std::vector<std::string>>>& refs);
[[nodiscard]] std::vector<ModelRow> list_models(pqxx::transaction_base& tx, const ModelFilter& f,
                                                int64_t after, int64_t fetch_limit);

}  // namespace ez::db
