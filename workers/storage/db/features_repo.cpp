#include "db/features_repo.h"

#include "common/json_text.h"
#include "db/json_columns.h"
#include "db/pg.h"

namespace ez::db {

namespace {

const Statement kAll{"features_all", "SELECT name, value::text FROM feature_flags ORDER BY name"};
const Statement kLock{"features_lock",
                      "SELECT pg_advisory_xact_lock(hashtext('ezapi.feature_flags'))"};
const Statement kUpsert{
    "features_upsert",
    "INSERT INTO feature_flags (name, value) VALUES ($1, $2::jsonb) "
    "ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value, updated_at = now()"};
const Statement kDelete{"features_delete",
                        "DELETE FROM feature_flags WHERE name = $1 RETURNING name"};

Json::Value to_map(const pqxx::result& res) {
  Json::Value out(Json::objectValue);
  for (const auto& r : res) out[r[0].as<std::string>()] = parse_json_text(r[1].as<std::string>());
  return out;
}

}  // namespace

Json::Value all_features(pqxx::transaction_base& tx) {
  return to_map(tx.exec_prepared(kAll.name()));
}

void lock_features(pqxx::transaction_base& tx) {
  tx.exec_prepared(kLock.name());
}

void upsert_feature(pqxx::transaction_base& tx, const std::string& name, const Json::Value& value) {
  tx.exec_prepared0(kUpsert.name(), name, to_json(value));
}

bool delete_feature(pqxx::transaction_base& tx, const std::string& name) {
  return !tx.exec_prepared(kDelete.name(), name).empty();
}

}  // namespace ez::db
