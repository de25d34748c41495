// The bridge between a PostgreSQL write and the Redis snapshot the balancer
// reads. A handler records what changed IN ITS OWN TRANSACTION (an outbox row,
// so a write whose Redis push fails is not lost), commits, then asks for the
// pending rows to be pushed. Rows left behind (Redis down) are replayed in order
// by the background replay until Redis answers again.
#pragma once

#include <pqxx/pqxx>
#include <string>

namespace ez::context {
class Context;
}

namespace ez::snapshot {

enum class Resource { provider, master, key, model, binding, feature };

// Records that `id` of `resource` was created, changed or deleted. The pusher
// reads the current row when it runs (a missing row means "delete from Redis"),
// so callers never build snapshot JSON themselves.
//  - key: id is the key id; pass the previous sha256 hex in `old_hash` when the
//    hash changes (rotation) or the key is being deleted, so the old field is removed.
//  - master: deleting a master deletes its keys (ON DELETE CASCADE): record each
//    key (with its hash) before the delete.
//  - provider: bindings that reach it are recomputed by the pusher; pass the
//    old group id in `old_hash` when the provider leaves a group.
//  - model: id is the model id or its namespace.public_model name.
//  - binding: id is the binding row id or its namespace.public_model field.
//  - feature: id is the flag name.
// Old identities that only the row knew (a key's old hash, a model's old name,
// a binding's old field, a provider's old group) are also recorded by triggers
// (sql/003_sync.sql), so a cascade or a forgotten argument cannot leave a stale
// field in Redis.
void record_change(pqxx::transaction_base& tx, Resource resource, const std::string& id,
                   const std::string& old_hash = {});

// After commit: push every pending outbox row to Redis, oldest first, and
// publish refresh events. Never throws; on failure the rows stay for replay.
void push_pending(context::Context& ctx) noexcept;

}  // namespace ez::snapshot
