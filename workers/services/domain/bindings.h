// The binding service: creating, changing and deleting bindings through the caller's
// WriteUnit (row, audit row, outbox row; the caller commits), resolving them against the
// providers as the same transaction sees them, and the reads the admin routes answer with.
// A binding's outbox id is the config:bindings field it feeds, "namespace.public_model":
// that snapshot aggregates every binding row of the pair, and it must be rebuilt (or
// removed) even after the row is gone. A duplicate (namespace, public_model, route_group)
// is a 409 naming "route_group", a missing binding a 404.
#pragma once

#include <json/value.h>

#include <cstdint>
#include <string>
#include <vector>

#include "context/context.h"
#include "db/bindings_repo.h"
#include "domain/binding_resolution.h"
#include "domain/write_unit.h"

namespace ez::domain {

// The config:bindings field a binding feeds.
[[nodiscard]] std::string binding_field(const db::BindingValues& v);
// The field a moved binding left (its snapshot loses this candidate), empty otherwise.
[[nodiscard]] std::string binding_left_field(const db::BindingValues& before,
                                             const db::BindingValues& after);

// A binding row with what it resolves to.
struct ResolvedBinding {
  db::BindingRow row;
  BindingReport report;
};

// Inserts `v` (validated by binding_values); the report is the resolution the write commits.
[[nodiscard]] ResolvedBinding create_binding(WriteUnit& w, const db::BindingValues& v);
// Locks the binding FOR UPDATE (404), merges `body` onto its values (binding_values) and
// writes the result. When nothing changes nothing is written and the stored row is returned.
[[nodiscard]] ResolvedBinding update_binding(WriteUnit& w, int64_t id, const Json::Value& body);
// Locks and deletes the binding (404 when there is none).
void delete_binding(WriteUnit& w, int64_t id);

// One binding, from the primary (404 when there is none).
[[nodiscard]] ResolvedBinding get_binding(context::Context& ctx, int64_t id);
// A page of bindings with id > after (up to fetch_limit), from the read replica if any;
// reports[i] is rows[i]'s.
struct BindingPage {
  std::vector<db::BindingRow> rows;
  std::vector<BindingReport> reports;
};
[[nodiscard]] BindingPage list_bindings(context::Context& ctx, const db::BindingFilter& filter,
                                        int64_t after, int64_t fetch_limit);
// What a binding with these values would resolve to, storing nothing.
[[nodiscard]] BindingReport resolve_binding(context::Context& ctx, const db::BindingValues& v);

}  // namespace ez::domain
