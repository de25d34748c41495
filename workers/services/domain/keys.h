// The key service: issuing, changing and deleting client keys, for the admin routes, the
// master self-service routes and (through the same rules) the import. Issuance has exactly
// ONE implementation, issue_child_key(), so the max_child_keys check cannot be skipped by
// any path that creates a key. Each function writes through the caller's WriteUnit (row,
// outbox, audit); the caller commits it.
//
// Lock order, the same in every write so that no two writes can deadlock: the master row
// first (FOR UPDATE to issue, FOR SHARE otherwise), then the key row (FOR UPDATE).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "db/keys_repo.h"
#include "domain/key_rules.h"
#include "domain/write_unit.h"

namespace ez::context {
class Context;
}

namespace ez::domain {

// How an unknown master is reported: a path id (POST /admin/masters/{id}/keys)
// is 404; a body field (POST /keys {"master_id": ...}) is 400 invalid_field
// naming master_id, because the route exists and the body is what is wrong.
enum class UnknownMaster { not_found, invalid_field };

struct IssuedKey {
  db::KeyRow row;
  std::string secret;  // returned to the client once, never stored
};

// Locks the master row FOR UPDATE (concurrent issuers for one master queue
// here), counts its keys, enforces max_child_keys (409) and the namespace
// subset (400), inserts the key with `issued_by` ("admin" | "master"), records
// the outbox change and the audit row in `w`. Keys issued by a master require the
// master to be active (403), re-checked under the lock. The caller commits `w`.
[[nodiscard]] IssuedKey issue_child_key(WriteUnit& w, int64_t master_id, const KeyFields& fields,
                                        const std::string& issued_by, UnknownMaster unknown);

// Applies `fields` to `before` (locked FOR UPDATE, master share-locked) and writes the
// result with its outbox and audit rows; a change to namespaces is checked against the
// master's. When nothing changes nothing is written (no audit row, updated_at stays)
// and `before` is returned.
[[nodiscard]] db::KeyRow update_child_key(WriteUnit& w, const db::KeyRow& before,
                                          const KeyFields& fields);

// Deletes `key` (already looked up, locked FOR UPDATE): outbox with its hash so
// the balancer drops it, audit row, then the DELETE.
void delete_child_key(WriteUnit& w, const db::KeyRow& key);

// A new secret for `before` (locked FOR UPDATE): the token row, the outbox change carrying
// the old hash (so the push removes the old secret's field and it stops working as soon
// as the push lands) and the audit row. The caller commits `w`.
[[nodiscard]] IssuedKey rotate_child_key(WriteUnit& w, const db::KeyRow& before);

// The key `id` locked for a write, in the lock order above: the master's share lock,
// then the key's row lock. 404 when the key does not exist or vanished with its master
// in between. The `own` form is scoped to one master: another master's key is a 404, like
// a missing one.
[[nodiscard]] db::KeyRow lock_key(WriteUnit& w, int64_t id);
[[nodiscard]] db::KeyRow lock_own_key(WriteUnit& w, int64_t id, int64_t master_id);

// Reads. A page of keys after id `after` (at most `limit` rows), from the read connection
// (a list may lag the primary by the replication delay); one key from the primary, so
// that a client reads its own write. get_own_key is scoped to one master.
[[nodiscard]] std::vector<db::KeyRow> list_keys(context::Context& ctx, const db::KeyFilter& filter,
                                                int64_t after, int64_t limit);
[[nodiscard]] db::KeyRow get_key(context::Context& ctx, int64_t id);
[[nodiscard]] db::KeyRow get_own_key(context::Context& ctx, int64_t id, int64_t master_id);
// 404 unless master `id` exists (the keys of an unknown master are not an empty list).
void require_master_exists(context::Context& ctx, int64_t id);

// The active or suspended master whose key hashes to `token_hash`, if any.
[[nodiscard]] std::optional<db::MasterRow> find_master_by_key_hash(context::Context& ctx,
                                                                   const std::string& token_hash);

}  // namespace ez::domain
