// The key operations shared by the admin routes (keys.cpp) and the master
// self-service routes (master_self.cpp). Issuance has exactly ONE
// implementation, issue_child_key(), so the max_child_keys check cannot be
// skipped by any path that creates a key.
#pragma once

#include <json/value.h>

#include <cstdint>
#include <pqxx/pqxx>
#include <string>

#include "api/auth.h"
#include "db/keys_repo.h"
#include "domain/key_rules.h"
#include "domain/write_unit.h"

namespace ez::api {

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
[[nodiscard]] IssuedKey issue_child_key(domain::WriteUnit& w, int64_t master_id,
                                        const domain::KeyFields& fields,
                                        const std::string& issued_by, UnknownMaster unknown);

// The key's JSON as a write answers it: db::to_json plus "warnings" (an array
// of sentences) when key_warnings() has any, e.g. an empty enabled allowlist.
[[nodiscard]] Json::Value key_write_json(const db::KeyRow& k);

// key_write_json plus "key": the plaintext secret (creation and rotation only).
[[nodiscard]] Json::Value key_json_with_secret(const IssuedKey& k);

// Applies `fields` to `before` (locked FOR UPDATE, master share-locked) and writes the
// result with its outbox and audit rows; a change to namespaces is checked against the
// master's. When nothing changes nothing is written (no audit row, updated_at stays)
// and `before` is returned.
[[nodiscard]] db::KeyRow update_child_key(domain::WriteUnit& w, const db::KeyRow& before,
                                          const domain::KeyFields& fields);

// Deletes `key` (already looked up, locked FOR UPDATE): outbox with its hash so
// the balancer drops it, audit row, then the DELETE.
void delete_child_key(domain::WriteUnit& w, const db::KeyRow& key);

}  // namespace ez::api
