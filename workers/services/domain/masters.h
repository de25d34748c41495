// The master service (tenants, admin side): creating, changing, rotating the key of and
// deleting masters through the caller's WriteUnit (row, audit row, outbox rows; the caller
// commits), and the reads the admin routes answer with. A master's own key is generated
// here and returned once; only its sha256 hex is stored. A duplicate name is a 409 naming
// "name", a missing master a 404. The rules themselves are in domain/key_rules.h.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "context/context.h"
#include "db/masters_repo.h"
#include "domain/key_rules.h"
#include "domain/write_unit.h"

namespace ez::domain {

// ---- the pure decisions (unit-tested without a database) ---------------------------

[[nodiscard]] db::MasterValues master_values_of(const db::MasterRow& m);
// A new master's values: `f` over the defaults, default_namespace the first namespace when
// not given; 400 naming default_namespace when it is not one of namespaces.
[[nodiscard]] db::MasterValues new_master_values(const MasterFields& f);

// What a PUT does to a master.
struct MasterUpdate {
  db::MasterValues values;          // `f` merged onto the stored values, checked
  bool changed = false;             // false: nothing is written (no audit row, updated_at stays)
  bool namespaces_changed = false;  // as a set: the keys' namespaces must be re-checked
  bool bump_epoch = false;          // namespaces or status moved: the balancer re-validates keys
};
[[nodiscard]] MasterUpdate plan_master_update(const db::MasterRow& before, const MasterFields& f);

// The audit row's "before" of a deleted master: the row and the ids of the keys that went
// with it.
[[nodiscard]] Json::Value deleted_master_json(
    const db::MasterRow& m, const std::vector<std::pair<int64_t, std::string>>& keys);

// ---- writes -----------------------------------------------------------------------

struct IssuedMaster {
  db::MasterRow row;
  std::string secret;  // the master key, returned to the client once, never stored
};

// Inserts a master with `v` (new_master_values) and a fresh master key.
[[nodiscard]] IssuedMaster create_master(WriteUnit& w, const db::MasterValues& v);
// Locks the master FOR UPDATE (404; key writes take its share lock first, so no key can
// gain a namespace being removed while this checks), applies `f` (plan_master_update), and
// refuses (409 naming namespaces) to drop a namespace one of its keys still uses.
[[nodiscard]] db::MasterRow update_master(WriteUnit& w, int64_t id, const MasterFields& f);
// A leaked master key: a new one, returned once; the old one stops at commit. Child keys
// are untouched.
[[nodiscard]] IssuedMaster rotate_master_key(WriteUnit& w, int64_t id);
// Deletes the master and (by cascade) its keys, with an outbox row per key so the
// balancer drops them.
void delete_master(WriteUnit& w, int64_t id);

// ---- reads ------------------------------------------------------------------------

// One master, from the primary (404 when there is none).
[[nodiscard]] db::MasterRow get_master(context::Context& ctx, int64_t id);
// A page of masters with id > after (up to fetch_limit), from the read replica if any.
[[nodiscard]] std::vector<db::MasterRow> list_masters(context::Context& ctx, int64_t after,
                                                      int64_t fetch_limit);

}  // namespace ez::domain
