// The first, pure half of pushing the outbox: which rows of which resources a batch of
// outbox rows asks the pusher to read again, deduplicated (outbox.cpp then reads them and
// turns them into Redis commands). Unit-tested without a database.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace ez::snapshot {

struct OutboxRow {
  int64_t id;
  std::string resource, resource_id, old_field;
};

// What one batch of outbox rows asks for, deduplicated. Old identities (a rotated key's
// hash, a renamed model's or binding's old name, the group a provider left) are kept
// apart so the pusher also removes or recomputes them.
struct Wanted {
  std::set<int64_t> masters, keys, providers, provider_old_groups, model_ids, binding_ids;
  std::set<std::string> key_old_hashes, model_names, model_old_names, binding_fields, features;
};

// A resource_id that is not a number names the row another way (a key's hash, a model's
// namespace.public_model name, a binding's field); unknown resources are ignored.
[[nodiscard]] Wanted collect(const std::vector<OutboxRow>& rows);

}  // namespace ez::snapshot
