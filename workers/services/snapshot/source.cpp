#include "snapshot/source.h"

#include "db/cells.h"
#include "db/pg.h"
#include "db/pg_cells.h"

namespace ez::snapshot::source {
namespace {

#define EZ_FEATURE_SELECT                                                      \
  "SELECT name, CASE WHEN jsonb_typeof(value) = 'string' THEN value #>> '{}' " \
  "ELSE value::text END FROM feature_flags"

const db::Statement kBindingFieldsById{
    "snap_binding_fields_by_id",
    "SELECT DISTINCT namespace || '.' || public_model FROM bindings WHERE id = ANY($1::bigint[])"};
const db::Statement kBindingFieldsOfGroups{
    "snap_binding_fields_of_groups",
    "SELECT DISTINCT b.namespace || '.' || b.public_model FROM bindings b "
    "JOIN provider_groups g ON g.name = b.route_group WHERE g.id = ANY($1::bigint[])"};
// Not a provider row: the four columns a selector index needs, for the groups a
// few bindings name (a binding list resolves its page against them on every
// request). The models array goes through the one array decoder all the same.
const db::Statement kActiveProvidersOfGroups{
    "snap_active_providers_of_groups",
    "SELECT id, group_id, models, name FROM providers "
    "WHERE status = 'active' AND group_id = ANY($1::bigint[])"};
const db::Statement kGroupIdsByName{
    "snap_group_ids_by_name", "SELECT name, id FROM provider_groups WHERE name = ANY($1::text[])"};
const db::Statement kFeaturesAll{"snap_features_all", EZ_FEATURE_SELECT};
const db::Statement kFeaturesByName{"snap_features_by_name",
                                    EZ_FEATURE_SELECT " WHERE name = ANY($1::text[])"};

#undef EZ_FEATURE_SELECT

std::vector<std::string> strings_of(const pqxx::result& r) {
  std::vector<std::string> out;
  out.reserve(r.size());
  for (const auto& row : r) out.emplace_back(row[0].c_str());
  return out;
}

}  // namespace

Masters masters_by_id(std::vector<MasterRow> rows) {
  Masters out;
  for (auto& m : rows) out.emplace(m.id, std::move(m));
  return out;
}

KeysWithMasters keys(pqxx::transaction_base& tx, const std::vector<int64_t>& ids) {
  KeysWithMasters out;
  auto rows = db::load_keys(tx, ids);
  std::vector<int64_t> master_ids;
  for (const auto& k : rows) master_ids.push_back(k.master_id);
  out.masters = masters_by_id(db::load_masters(tx, master_ids));
  for (auto& k : rows) {
    // A master deleted between the two reads took its keys along; the
    // delete trigger's outbox rows remove them.
    if (out.masters.count(k.master_id)) out.keys.push_back(std::move(k));
  }
  return out;
}

size_t stream_keys(pqxx::transaction_base& tx, const Masters& masters,
                   const std::function<void(const KeyRow&, const MasterRow&)>& sink) {
  size_t n = 0;
  (void)db::stream_keys(tx, [&](const KeyRow& k) {
    const auto m = masters.find(k.master_id);
    if (m == masters.end()) return;  // impossible in one snapshot (foreign key)
    sink(k, m->second);
    ++n;
  });
  return n;
}

std::vector<std::string> binding_fields_by_id(pqxx::transaction_base& tx,
                                              const std::vector<int64_t>& ids) {
  return strings_of(tx.exec_prepared(kBindingFieldsById.name(), db::int_array(ids)));
}

std::vector<std::string> binding_fields_of_groups(pqxx::transaction_base& tx,
                                                  const std::vector<int64_t>& group_ids) {
  return strings_of(tx.exec_prepared(kBindingFieldsOfGroups.name(), db::int_array(group_ids)));
}

GroupIndexes group_indexes(pqxx::transaction_base& tx,
                           const std::optional<std::vector<int64_t>>& group_ids) {
  if (!group_ids) return group_indexes(db::load_providers(tx, std::nullopt));
  GroupIndexes out;
  db::Cells c;
  std::vector<std::string> models;
  for (const auto& row :
       tx.exec_prepared(kActiveProvidersOfGroups.name(), db::int_array(*group_ids))) {
    db::cells_of(row, c);
    c.array(2, models);
    out[c.i64(1)].add(c.i64(0), models, c.str(3));
  }
  return out;
}

GroupIndexes group_indexes(const std::vector<ProviderRow>& providers) {
  GroupIndexes out;
  for (const auto& p : providers)
    if (p.v.status == "active") out[p.group_id].add(p.id, p.v.models, p.v.name);
  return out;
}

std::unordered_map<std::string, int64_t> group_ids_by_name(pqxx::transaction_base& tx,
                                                           const std::vector<std::string>& names) {
  std::unordered_map<std::string, int64_t> out;
  for (const auto& row : tx.exec_prepared(kGroupIdsByName.name(), db::text_array(names)))
    out.emplace(row[0].c_str(), row[1].as<int64_t>());
  return out;
}

std::vector<std::pair<std::string, std::string>> features(
    pqxx::transaction_base& tx, const std::optional<std::vector<std::string>>& names) {
  auto r = names ? tx.exec_prepared(kFeaturesByName.name(), db::text_array(*names))
                 : tx.exec_prepared(kFeaturesAll.name());
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : r) out.emplace_back(row[0].c_str(), row[1].c_str());
  return out;
}

}  // namespace ez::snapshot::source
