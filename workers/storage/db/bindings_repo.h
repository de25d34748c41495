// Bindings: namespace.public_model -> a candidate provider group with a selector
// naming the upstream model. Functions run in the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "db/cells.h"

namespace ez::db {

struct BindingValues {
  std::string ns;  // namespace
  std::string public_model;
  std::string route_group;
  std::string selector_type = "exact";
  std::string selector_value;
  int64_t weight = 1;
  std::string status = "active";

  bool operator==(const BindingValues&) const = default;
};

// One row of bindings: what the API answers and one candidate of the
// namespace.public_model's snapshot (binding_json).
struct BindingRow {
  int64_t id = 0;
  BindingValues v;
  std::string created_at;  // RFC 3339 UTC
  std::string updated_at;
  // The snapshot's form of updated_at: unix seconds, rounded down.
  int64_t updated_unix = 0;
  // The provider group named route_group; 0 when there is none (the candidate
  // resolves to no_provider until one is created).
  int64_t group_id = 0;
};

// The cells of the bindings column list (bindings_repo.cpp) into a row.
inline constexpr size_t kBindingColumns = 11;
void decode(const Cells& c, BindingRow& b);

struct BindingFilter {
  std::string ns;  // "" = any
  std::string public_model;
};

[[nodiscard]] std::optional<BindingRow> find_binding(pqxx::transaction_base& tx, int64_t id,
                                                     bool for_update = false);
// Throws pqxx::unique_violation when (namespace, public_model, route_group) exists.
[[nodiscard]] BindingRow insert_binding(pqxx::transaction_base& tx, const BindingValues& v);
[[nodiscard]] std::optional<BindingRow> update_binding(pqxx::transaction_base& tx, int64_t id,
                                                       const BindingValues& v);
[[nodiscard]] bool delete_binding(pqxx::transaction_base& tx, int64_t id);
// The rows of the given namespace.public_model names, in no order; nullopt = every
// binding (the snapshots).
[[nodiscard]] std::vector<BindingRow> load_bindings(
    pqxx::transaction_base& tx, const std::optional<std::vector<std::string>>& fields);
[[nodiscard]] std::vector<BindingRow> list_bindings(pqxx::transaction_base& tx,
                                                    const BindingFilter& f, int64_t after,
                                                    int64_t fetch_limit);

}  // namespace ez::db
