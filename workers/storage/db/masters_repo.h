// Masters in PostgreSQL. Every function runs inside the caller's transaction so
// that the write, its outbox row and its audit row commit together. Only the
// sha256 hex of a master key and its display prefix are ever written.
#pragma once

#include <json/value.h>

#include <cstdint>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "db/cells.h"

namespace ez::db {

struct MasterRow {
  int64_t id = 0;
  std::string name;
  std::string group;
  std::vector<std::string> namespaces;
  std::string default_namespace;
  int64_t max_child_keys = 0;
  int64_t global_qps = 0;
  std::string status;
  int64_t epoch = 1;
  std::string key_prefix;
  std::string created_at;  // RFC 3339, UTC
  std::string updated_at;
};

// The cells of the masters column list (masters_repo.cpp) into a row.
inline constexpr size_t kMasterColumns = 12;
void decode(const Cells& c, MasterRow& m);

// The API representation (never the hash).
[[nodiscard]] Json::Value to_json(const MasterRow& m);

// What the repository writes; the handler has merged and validated it.
struct MasterValues {
  std::string name;
  std::string group = "default";
  std::vector<std::string> namespaces;
  std::string default_namespace;
  int64_t max_child_keys = 100;
  int64_t global_qps = 0;
  std::string status = "active";
};

enum class Lock { none, share, update };

[[nodiscard]] std::optional<MasterRow> find_master(pqxx::transaction_base& tx, int64_t id,
                                                   Lock lock = Lock::none);
[[nodiscard]] std::optional<MasterRow> find_master_by_key_hash(pqxx::transaction_base& tx,
                                                               const std::string& key_hash);
// Throws pqxx::unique_violation on a duplicate name.
[[nodiscard]] MasterRow insert_master(pqxx::transaction_base& tx, const MasterValues& v,
                                      const std::string& key_hash, const std::string& key_prefix);
// Sets every field; `bump_epoch` adds one to the epoch in the same statement.
[[nodiscard]] MasterRow update_master(pqxx::transaction_base& tx, int64_t id, const MasterValues& v,
                                      bool bump_epoch);
// Replaces the master's key (rotation): the old hash stops matching at commit.
[[nodiscard]] MasterRow set_master_key(pqxx::transaction_base& tx, int64_t id,
                                       const std::string& key_hash, const std::string& key_prefix);
void delete_master(pqxx::transaction_base& tx, int64_t id);
// By id, in no order; nullopt = every master (the snapshots).
[[nodiscard]] std::vector<MasterRow> load_masters(pqxx::transaction_base& tx,
                                                  const std::optional<std::vector<int64_t>>& ids);
// Up to `fetch_limit` masters with id > after, by id.
[[nodiscard]] std::vector<MasterRow> list_masters(pqxx::transaction_base& tx, int64_t after,
                                                  int64_t fetch_limit);

}  // namespace ez::db
