// Providers (and their provider groups) in PostgreSQL. Every function runs in
// the caller's transaction so the write, its outbox row and its audit row
// commit together. The handler has validated and merged the values.
#pragma once

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "db/cells.h"

namespace ez::db {

// What a client sets (defaults = a new provider's defaults).
struct ProviderValues {
  std::string name;
  std::string type;
  std::string base_url;
  std::string api_key;  // in clear: the balancer needs it to call the upstream
  std::string google_project;
  std::string google_location;
  std::string group = "default";
  std::vector<std::string> models;
  int64_t weight = 1;
  int64_t priority = 0;
  std::string status = "active";
  bool auto_ban = true;

  bool operator==(const ProviderValues&) const = default;
};

// One row of providers joined with its group's name: what the API answers and what
// the snapshot's provider_json and selector indexes read.
struct ProviderRow {
  int64_t id = 0;
  int64_t group_id = 0;
  ProviderValues v;
  std::string created_at;  // RFC 3339 UTC
  std::string updated_at;
};

// The cells of the providers column list (providers_repo.cpp) into a row.
inline constexpr size_t kProviderColumns = 16;
void decode(const Cells& c, ProviderRow& p);

struct ProviderFilter {
  std::string group;  // "" = any
  std::string type;
  std::string status;
};

[[nodiscard]] std::optional<ProviderRow> find_provider(pqxx::transaction_base& tx, int64_t id,
                                                       bool for_update = false);
// The group is created on first use. Throws pqxx::unique_violation on a duplicate name.
[[nodiscard]] ProviderRow insert_provider(pqxx::transaction_base& tx, const ProviderValues& v);
// Sets every field; nullopt when the row is gone.
[[nodiscard]] std::optional<ProviderRow> update_provider(pqxx::transaction_base& tx, int64_t id,
                                                         const ProviderValues& v);
// False when there was no such row.
[[nodiscard]] bool delete_provider(pqxx::transaction_base& tx, int64_t id);
// Up to `fetch_limit` providers with id > after, by id.
[[nodiscard]] std::vector<ProviderRow> list_providers(pqxx::transaction_base& tx,
                                                      const ProviderFilter& f, int64_t after,
                                                      int64_t fetch_limit);

// By id, in no order; nullopt = every provider (the snapshots).
[[nodiscard]] std::vector<ProviderRow> load_providers(
    pqxx::transaction_base& tx, const std::optional<std::vector<int64_t>>& ids);

// The id of the group named `name`, created when missing (races resolved by the unique name).
[[nodiscard]] int64_t ensure_provider_group(pqxx::transaction_base& tx, const std::string& name);

}  // namespace ez::db
