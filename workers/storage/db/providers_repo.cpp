#include "db/providers_repo.h"

#include <stdexcept>

#include "db/json_columns.h"
#include "db/pg.h"
#include "db/pg_cells.h"

namespace ez::db {

namespace {

// THE column list of a provider (decode() reads it by position), for the API and
// the snapshots alike. Arrays come as array literals, times as microseconds
// (db/cells.h).
#define EZ_PROVIDER_COLS                                                               \
  "p.id, p.name, p.type, p.base_url, p.api_key, p.google_project, p.google_location, " \
  "p.group_id, g.name AS group_name, p.models, p.weight, p.priority, p.status, "       \
  "p.auto_ban, " EZ_SQL_MICROS("p.created_at") ", " EZ_SQL_MICROS("p.updated_at")

const Statement kGet{"providers_get",
                     "SELECT " EZ_PROVIDER_COLS
                     " FROM providers p JOIN provider_groups g ON g.id = p.group_id"
                     " WHERE p.id = $1"};
// Locks the provider row alone. A locking SELECT that joins provider_groups finds no
// row when a concurrent transaction has just changed group_id: PostgreSQL re-checks
// only the locked row's new version against the join, and the old group row no
// longer matches it. So: lock, then read the joined row in a new statement (read
// committed gives it a snapshot taken after the lock was granted).
const Statement kLock{"providers_lock", "SELECT id FROM providers WHERE id = $1 FOR UPDATE"};
const Statement kInsert{
    "providers_insert",
    "WITH p AS (INSERT INTO providers (name, type, base_url, api_key, google_project, "
    "google_location, group_id, models, weight, priority, status, auto_ban) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7, " EZ_SQL_TEXT_ARRAY("$8") ", $9, $10, $11, $12) "
    "RETURNING *) "
    "SELECT " EZ_PROVIDER_COLS " FROM p JOIN provider_groups g ON g.id = p.group_id"};
const Statement kUpdate{
    "providers_update",
    "WITH p AS (UPDATE providers SET name = $2, type = $3, base_url = $4, api_key = $5, "
    "google_project = $6, google_location = $7, group_id = $8, models = " EZ_SQL_TEXT_ARRAY("$9")
    ", weight = $10, priority = $11, status = $12, auto_ban = $13, updated_at = now() "
    "WHERE id = $1 RETURNING *) "
    "SELECT " EZ_PROVIDER_COLS " FROM p JOIN provider_groups g ON g.id = p.group_id"};
const Statement kDelete{"providers_delete", "DELETE FROM providers WHERE id = $1 RETURNING id"};
// Empty filter values match everything; the planner walks the primary key either way.
const Statement kList{"providers_list",
                      "SELECT " EZ_PROVIDER_COLS
                      " FROM providers p JOIN provider_groups g ON g.id = p.group_id"
                      " WHERE p.id > $1 AND ($2 = '' OR g.name = $2) AND ($3 = '' OR p.type = $3)"
                      " AND ($4 = '' OR p.status = $4) ORDER BY p.id LIMIT $5"};
const Statement kAll{"providers_all",
                     "SELECT " EZ_PROVIDER_COLS
                     " FROM providers p JOIN provider_groups g ON g.id = p.group_id"};
const Statement kByIds{"providers_by_ids",
                       "SELECT " EZ_PROVIDER_COLS
                       " FROM providers p JOIN provider_groups g ON g.id = p.group_id"
                       " WHERE p.id = ANY($1::bigint[])"};
const Statement kGroupByName{"provider_groups_by_name",
                             "SELECT id FROM provider_groups WHERE name = $1"};
// DO UPDATE (not DO NOTHING) so RETURNING also yields the id of a row that a
// concurrent transaction has just inserted.
const Statement kGroupInsert{"provider_groups_insert",
                             "INSERT INTO provider_groups (name) VALUES ($1) "
                             "ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id"};

#undef EZ_PROVIDER_COLS

ProviderRow to_row(const pqxx::row& r) {
  return decode_row<ProviderRow>(r);
}

}  // namespace

void decode(const Cells& c, ProviderRow& p) {
  if (c.size() != kProviderColumns) throw std::logic_error("providers: unexpected column count");
  p.id = c.i64(0);
  c.str(1, p.v.name);
  c.str(2, p.v.type);
  c.str(3, p.v.base_url);
  c.str(4, p.v.api_key);
  c.str(5, p.v.google_project);
  c.str(6, p.v.google_location);
  p.group_id = c.i64(7);
  c.str(8, p.v.group);
  c.array(9, p.v.models);
  p.v.weight = c.i64(10);
  p.v.priority = c.i64(11);
  c.str(12, p.v.status);
  p.v.auto_ban = c.boolean(13);
  p.created_at = c.rfc3339(14);
  p.updated_at = c.rfc3339(15);
}

std::vector<ProviderRow> load_providers(pqxx::transaction_base& tx,
                                        const std::optional<std::vector<int64_t>>& ids) {
  return decode_rows<ProviderRow>(ids ? tx.exec_prepared(kByIds.name(), int_array(*ids))
                                      : tx.exec_prepared(kAll.name()));
}

int64_t ensure_provider_group(pqxx::transaction_base& tx, const std::string& name) {
  auto found = tx.exec_prepared(kGroupByName.name(), name);
  if (!found.empty()) return found[0][0].as<int64_t>();
  return tx.exec_prepared1(kGroupInsert.name(), name)[0].as<int64_t>();
}

std::optional<ProviderRow> find_provider(pqxx::transaction_base& tx, int64_t id, bool for_update) {
  if (for_update && tx.exec_prepared(kLock.name(), id).empty()) return std::nullopt;
  auto res = tx.exec_prepared(kGet.name(), id);
  if (res.empty()) return std::nullopt;
  return to_row(res[0]);
}

ProviderRow insert_provider(pqxx::transaction_base& tx, const ProviderValues& v) {
  const int64_t group_id = ensure_provider_group(tx, v.group);
  return to_row(tx.exec_prepared1(
      kInsert.name(), v.name, v.type, v.base_url, v.api_key, v.google_project, v.google_location,
      group_id, json_array_text(v.models), v.weight, v.priority, v.status, v.auto_ban));
}

std::optional<ProviderRow> update_provider(pqxx::transaction_base& tx, int64_t id,
                                           const ProviderValues& v) {
  const int64_t group_id = ensure_provider_group(tx, v.group);
  auto res =
      tx.exec_prepared(kUpdate.name(), id, v.name, v.type, v.base_url, v.api_key, v.google_project,
                       v.google_location, group_id, json_array_text(v.models), v.weight, v.priority,
                       v.status, v.auto_ban);
  if (res.empty()) return std::nullopt;
  return to_row(res[0]);
}

bool delete_provider(pqxx::transaction_base& tx, int64_t id) {
  return !tx.exec_prepared(kDelete.name(), id).empty();
}

std::vector<ProviderRow> list_providers(pqxx::transaction_base& tx, const ProviderFilter& f,
                                        int64_t after, int64_t fetch_limit) {
  return decode_rows<ProviderRow>(
      tx.exec_prepared(kList.name(), after, f.group, f.type, f.status, fetch_limit));
}

}  // namespace ez::db
