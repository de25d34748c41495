// Client keys in PostgreSQL. Functions run inside the caller's transaction.
// The token itself is never written: only its sha256 hex (the balancer's lookup
// key) and a short display prefix.
#pragma once

#include <json/value.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <vector>

#include "db/cells.h"
#include "db/masters_repo.h"

namespace ez::db {

// One row of keys: what the API answers and, read through its column list's
// snapshot prefix (stream_keys), what key_json writes to Redis. Two columns have
// two forms: the API's (expires_at, model_rate_limits) and the snapshot's
// (expires_unix, model_rate_limits_text), the latter written a million times per
// resync without a formatter or a JSON tree; decode() fills the snapshot's form
// always and the API's only from the whole column list.
struct KeyRow {
  int64_t id = 0;
  int64_t master_id = 0;
  std::string name;
  std::string group;
  std::vector<std::string> namespaces;
  std::vector<std::string> scopes;
  std::vector<std::string> model_limits;  // allowlist (when model_limits_enabled)
  bool model_limits_enabled = false;
  Json::Value model_rate_limits{Json::objectValue};
  std::vector<std::string> allow_ips;
  std::optional<std::string> expires_at;  // RFC 3339 UTC; nullopt = never
  std::string status;
  std::string issued_by;
  std::string token_hash;  // for the outbox (old hash on rotate/delete); never in JSON
  std::string key_prefix;
  std::string master_group;  // the group the key inherits when `group` is empty
  std::string created_at;
  std::string updated_at;
  // Why the key is disabled when the API did not decide it (import: expired,
  // exhausted, no_plaintext); cleared when the key is set active again.
  std::string status_reason;
  // Quota in the source system's units (sql/007); unlimited_quota ignores both.
  int64_t quota_limit = 0;
  int64_t quota_used = 0;
  bool unlimited_quota = true;
  // The snapshot's forms: jsonb text (always an object), and the expiry in unix
  // seconds rounded down, 0 = never.
  std::string model_rate_limits_text = "{}";
  int64_t expires_unix = 0;
};

// The cells of the keys column list (keys_repo.cpp) into a row: its first
// kKeySnapshotColumns are what the snapshot needs (all that stream_keys reads),
// the rest the API's.
inline constexpr size_t kKeySnapshotColumns = 14;
inline constexpr size_t kKeyColumns = 22;
void decode(const Cells& c, KeyRow& k);

// The API representation: never the hash. The display prefix is "key_prefix". "group" is
// the effective group, the key's own or else its master's: what the balancer reads in Redis.
[[nodiscard]] Json::Value to_json(const KeyRow& k);

struct KeyValues {
  std::string name;
  std::string group;
  std::vector<std::string> namespaces;
  std::vector<std::string> scopes;
  std::vector<std::string> model_limits;
  bool model_limits_enabled = false;
  Json::Value model_rate_limits{Json::objectValue};
  std::vector<std::string> allow_ips;
  std::optional<std::string> expires_at;  // RFC 3339 (validated), nullopt = never
  std::string status = "active";
  int64_t quota_limit = 0;
  int64_t quota_used = 0;
  bool unlimited_quota = true;
};

[[nodiscard]] std::optional<KeyRow> find_key(pqxx::transaction_base& tx, int64_t id,
                                             bool for_update = false);
// Only when the key belongs to `master_id` (master self-service).
[[nodiscard]] std::optional<KeyRow> find_owned_key(pqxx::transaction_base& tx, int64_t id,
                                                   int64_t master_id, bool for_update = false);
[[nodiscard]] int64_t count_keys_of_master(pqxx::transaction_base& tx, int64_t master_id);
[[nodiscard]] KeyRow insert_key(pqxx::transaction_base& tx, int64_t master_id, const KeyValues& v,
                                const std::string& issued_by, const std::string& token_hash,
                                const std::string& key_prefix);
[[nodiscard]] KeyRow update_key(pqxx::transaction_base& tx, int64_t id, const KeyValues& v);
[[nodiscard]] KeyRow set_key_token(pqxx::transaction_base& tx, int64_t id,
                                   const std::string& token_hash, const std::string& key_prefix);
void delete_key(pqxx::transaction_base& tx, int64_t id);

struct KeyFilter {
  std::optional<int64_t> master_id;
  std::optional<std::string> status;
};
// Up to `fetch_limit` keys with id > after, by id.
[[nodiscard]] std::vector<KeyRow> list_keys(pqxx::transaction_base& tx, const KeyFilter& filter,
                                            int64_t after, int64_t fetch_limit);

// By id, in no order, the snapshot's columns only (what key_json needs).
[[nodiscard]] std::vector<KeyRow> load_keys(pqxx::transaction_base& tx,
                                            const std::vector<int64_t>& ids);
[[nodiscard]] std::vector<int64_t> key_ids_of_masters(pqxx::transaction_base& tx,
                                                      const std::vector<int64_t>& master_ids);
// Every key through COPY ... TO STDOUT, the snapshot's columns only, one reused row
// (so memory does not grow with a million keys); returns the count.
size_t stream_keys(pqxx::transaction_base& tx, const std::function<void(const KeyRow&)>& sink);

// (id, token_hash) of every key of a master, by id: what the outbox needs before
// the master (and by cascade its keys) is deleted or re-versioned.
[[nodiscard]] std::vector<std::pair<int64_t, std::string>> key_hashes_of_master(
    pqxx::transaction_base& tx, int64_t master_id);

// A key of `master_id` naming a namespace outside `namespaces`, if any:
// (key id, namespace). Used to refuse a master update that would break the
// "key namespaces are a subset of the master's" invariant.
[[nodiscard]] std::optional<std::pair<int64_t, std::string>> key_outside_namespaces(
    pqxx::transaction_base& tx, int64_t master_id, const std::vector<std::string>& namespaces);

}  // namespace ez::db
