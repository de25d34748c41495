// Bindings: namespace.public_model -> a candidate provider group with a selector
// naming the upstream model. Functions run in the caller's transaction.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

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

struct BindingRow {
  int64_t id = 0;
  BindingValues v;
  std::string created_at;
  std::string updated_at;
};

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
[[nodiscard]] std::vector<BindingRow> list_bindings(pqxx::transaction_base& tx,
                                                    const BindingFilter& f, int64_t after,
                                                    int64_t fetch_limit);

}  // namespace ez::db
