// The provider service: creating, changing and deleting upstream providers through the
// caller's WriteUnit (the row, its audit row and its outbox row; the caller commits), and
// the reads the admin routes answer with. Storage failures leave as ez::Error (db/errors.h):
// a duplicate name is a 409 naming "name", a missing provider a 404.
#pragma once

#include <json/value.h>

#include <cstdint>
#include <vector>

#include "context/context.h"
#include "db/providers_repo.h"
#include "domain/write_unit.h"

namespace ez::domain {

// What a provider's outbox row carries besides its id: the group it left (moved, or
// deleted: `after` null), so the pusher also recomputes the bindings that reached it
// through that group. 0 when it stayed.
[[nodiscard]] int64_t provider_left_group(const db::ProviderRow& before,
                                          const db::ProviderRow* after);

// Inserts `v` (validated by provider_values).
[[nodiscard]] db::ProviderRow create_provider(WriteUnit& w, const db::ProviderValues& v);
// Locks the provider FOR UPDATE (404), merges `body` onto its values (provider_values: a
// partial update validated as a whole) and writes the result. When nothing changes nothing
// is written (no audit row, updated_at stays) and the stored row is returned.
[[nodiscard]] db::ProviderRow update_provider(WriteUnit& w, int64_t id, const Json::Value& body);
// Locks and deletes the provider (404 when there is none).
void delete_provider(WriteUnit& w, int64_t id);

// One provider, from the primary so a client reads its own write (404 when there is none).
[[nodiscard]] db::ProviderRow get_provider(context::Context& ctx, int64_t id);
// A page of providers with id > after (up to fetch_limit), from the read replica if any.
[[nodiscard]] std::vector<db::ProviderRow> list_providers(context::Context& ctx,
                                                          const db::ProviderFilter& filter,
                                                          int64_t after, int64_t fetch_limit);

}  // namespace ez::domain
