#include "db/keys_repo.h"

#include "common/json_text.h"
#include "db/json_columns.h"
#include "db/pg.h"

namespace ez::db {

namespace {

#define EZ_KEY_COLS \
  "id, master_id, name, group_name, array_to_json(namespaces)::text AS namespaces, "            \
  "array_to_json(scopes)::text AS scopes, array_to_json(model_limits)::text AS model_limits, "  \
  "model_limits_enabled, model_rate_limits::text AS model_rate_limits, "                        \
  "array_to_json(allow_ips)::text AS allow_ips, "                                               \
  EZ_SQL_MICROS("expires_at") " AS expires_us, status, issued_by, token_hash, key_prefix, " \
  EZ_SQL_MICROS("created_at") " AS created_us, " EZ_SQL_MICROS("updated_at") " AS updated_us, " \
  "(SELECT m.group_name FROM masters m WHERE m.id = keys.master_id) AS master_group, "          \
  "status_reason, quota_limit, quota_used, unlimited_quota"

const Statement kGet{"keys_get", "SELECT " EZ_KEY_COLS " FROM keys WHERE id = $1"};
const Statement kGetUpdate{"keys_get_update",
                           "SELECT " EZ_KEY_COLS " FROM keys WHERE id = $1 FOR UPDATE"};
const Statement kGetOwned{"keys_get_owned",
                          "SELECT " EZ_KEY_COLS " FROM keys WHERE id = $1 AND master_id = $2"};
const Statement kGetOwnedUpdate{"keys_get_owned_update",
                                "SELECT " EZ_KEY_COLS
                                " FROM keys WHERE id = $1 AND master_id = $2 FOR UPDATE"};
const Statement kCount{"keys_count_of_master", "SELECT count(*) FROM keys WHERE master_id = $1"};
const Statement kInsert{
    "keys_insert",
    "INSERT INTO keys (master_id, name, group_name, namespaces, scopes, model_limits, allow_ips, "
    "expires_at, status, issued_by, token_hash, key_prefix, model_limits_enabled, "
    "model_rate_limits, quota_limit, quota_used, unlimited_quota) "
    "VALUES ($1, $2, $3, " EZ_SQL_TEXT_ARRAY("$4") ", " EZ_SQL_TEXT_ARRAY("$5") ", "
    EZ_SQL_TEXT_ARRAY("$6") ", " EZ_SQL_TEXT_ARRAY("$7") ", $8::timestamptz, $9, "
    "$10, $11, $12, $13, $14::jsonb, $15, $16, $17) RETURNING " EZ_KEY_COLS};
const Statement kUpdate{
    "keys_update",
    "UPDATE keys SET name = $2, group_name = $3, namespaces = " EZ_SQL_TEXT_ARRAY("$4") ", "
    "scopes = " EZ_SQL_TEXT_ARRAY("$5") ", model_limits = " EZ_SQL_TEXT_ARRAY("$6") ", "
    "allow_ips = " EZ_SQL_TEXT_ARRAY("$7") ", expires_at = $8::timestamptz, "
    "status = $9, model_limits_enabled = $10, model_rate_limits = $11::jsonb, "
    "updated_at = now(), quota_limit = $12, quota_used = $13, unlimited_quota = $14, "
    "status_reason = CASE WHEN $9 = 'active' THEN '' ELSE status_reason END "
    "WHERE id = $1 RETURNING " EZ_KEY_COLS};
const Statement kSetToken{"keys_set_token",
                          "UPDATE keys SET token_hash = $2, key_prefix = $3, updated_at = now() "
                          "WHERE id = $1 RETURNING " EZ_KEY_COLS};
const Statement kDelete{"keys_delete", "DELETE FROM keys WHERE id = $1"};
const Statement kList{"keys_list",
                      "SELECT " EZ_KEY_COLS
                      " FROM keys "
                      "WHERE ($1::bigint IS NULL OR master_id = $1) "
                      "AND ($2::text IS NULL OR status = $2) AND id > $3 ORDER BY id LIMIT $4"};
const Statement kHashesOfMaster{"keys_hashes_of_master",
                                "SELECT id, token_hash FROM keys WHERE master_id = $1 ORDER BY id"};
const Statement kOutside{"keys_outside_namespaces",
                         "SELECT k.id, ns FROM keys k, unnest(k.namespaces) AS ns "
                         "WHERE k.master_id = $1 AND NOT (ns = ANY (" EZ_SQL_TEXT_ARRAY("$2") ")) "
                         "ORDER BY k.id LIMIT 1"};

#undef EZ_KEY_COLS

KeyRow to_row(const pqxx::row& r) {
  KeyRow k;
  k.id = r["id"].as<int64_t>();
  k.master_id = r["master_id"].as<int64_t>();
  k.name = r["name"].as<std::string>();
  k.group = r["group_name"].as<std::string>();
  k.namespaces = parse_json_string_array(r["namespaces"].as<std::string>());
  k.scopes = parse_json_string_array(r["scopes"].as<std::string>());
  k.model_limits = parse_json_string_array(r["model_limits"].as<std::string>());
  k.model_limits_enabled = r["model_limits_enabled"].as<bool>();
  k.model_rate_limits = parse_json_text(r["model_rate_limits"].as<std::string>());
  if (!k.model_rate_limits.isObject()) k.model_rate_limits = Json::Value(Json::objectValue);
  k.allow_ips = parse_json_string_array(r["allow_ips"].as<std::string>());
  if (!r["expires_us"].is_null()) k.expires_at = rfc3339_from_micros(r["expires_us"].as<int64_t>());
  k.status = r["status"].as<std::string>();
  k.issued_by = r["issued_by"].as<std::string>();
  k.token_hash = r["token_hash"].as<std::string>();
  k.key_prefix = r["key_prefix"].as<std::string>();
  k.master_group =
      r["master_group"].is_null() ? std::string() : r["master_group"].as<std::string>();
  k.created_at = rfc3339_from_micros(r["created_us"].as<int64_t>());
  k.updated_at = rfc3339_from_micros(r["updated_us"].as<int64_t>());
  k.status_reason = r["status_reason"].as<std::string>();
  k.quota_limit = r["quota_limit"].as<int64_t>();
  k.quota_used = r["quota_used"].as<int64_t>();
  k.unlimited_quota = r["unlimited_quota"].as<bool>();
  return k;
}

std::optional<KeyRow> first(const pqxx::result& res) {
  if (res.empty()) return std::nullopt;
  return to_row(res[0]);
}

}  // namespace

Json::Value to_json(const KeyRow& k) {
  Json::Value j(Json::objectValue);
  j["id"] = Json::Int64(k.id);
  j["master_id"] = Json::Int64(k.master_id);
  j["name"] = k.name;
  j["group"] = k.group.empty() ? k.master_group : k.group;
  j["namespaces"] = string_array_json(k.namespaces);
  j["scopes"] = string_array_json(k.scopes);
  j["model_limits"] = string_array_json(k.model_limits);
  j["model_limits_enabled"] = k.model_limits_enabled;
  j["model_rate_limits"] = k.model_rate_limits;
  j["allow_ips"] = string_array_json(k.allow_ips);
  j["expires_at"] = k.expires_at ? Json::Value(*k.expires_at) : Json::Value(Json::nullValue);
  j["status"] = k.status;
  j["issued_by"] = k.issued_by;
  j["key_prefix"] = k.key_prefix;
  j["created_at"] = k.created_at;
  j["updated_at"] = k.updated_at;
  j["status_reason"] = k.status_reason;
  j["quota_limit"] = Json::Int64(k.quota_limit);
  j["quota_used"] = Json::Int64(k.quota_used);
  j["unlimited_quota"] = k.unlimited_quota;
  return j;
}

std::optional<KeyRow> find_key(pqxx::transaction_base& tx, int64_t id, bool for_update) {
  return first(tx.exec_prepared((for_update ? kGetUpdate : kGet).name(), id));
}

std::optional<KeyRow> find_owned_key(pqxx::transaction_base& tx, int64_t id, int64_t master_id,
                                     bool for_update) {
  return first(tx.exec_prepared((for_update ? kGetOwnedUpdate : kGetOwned).name(), id, master_id));
}

int64_t count_keys_of_master(pqxx::transaction_base& tx, int64_t master_id) {
  return tx.exec_prepared1(kCount.name(), master_id)[0].as<int64_t>();
}

KeyRow insert_key(pqxx::transaction_base& tx, int64_t master_id, const KeyValues& v,
                  const std::string& issued_by, const std::string& token_hash,
                  const std::string& key_prefix) {
  return to_row(tx.exec_prepared1(
      kInsert.name(), master_id, v.name, v.group, json_array_text(v.namespaces),
      json_array_text(v.scopes), json_array_text(v.model_limits), json_array_text(v.allow_ips),
      v.expires_at, v.status, issued_by, token_hash, key_prefix, v.model_limits_enabled,
      ez::to_json(v.model_rate_limits), v.quota_limit, v.quota_used, v.unlimited_quota));
}

KeyRow update_key(pqxx::transaction_base& tx, int64_t id, const KeyValues& v) {
  return to_row(tx.exec_prepared1(
      kUpdate.name(), id, v.name, v.group, json_array_text(v.namespaces), json_array_text(v.scopes),
      json_array_text(v.model_limits), json_array_text(v.allow_ips), v.expires_at, v.status,
      v.model_limits_enabled, ez::to_json(v.model_rate_limits), v.quota_limit, v.quota_used,
      v.unlimited_quota));
}

KeyRow set_key_token(pqxx::transaction_base& tx, int64_t id, const std::string& token_hash,
                     const std::string& key_prefix) {
  return to_row(tx.exec_prepared1(kSetToken.name(), id, token_hash, key_prefix));
}

void delete_key(pqxx::transaction_base& tx, int64_t id) {
  tx.exec_prepared0(kDelete.name(), id);
}

std::vector<KeyRow> list_keys(pqxx::transaction_base& tx, const KeyFilter& filter, int64_t after,
                              int64_t fetch_limit) {
  std::vector<KeyRow> out;
  for (const auto& r :
       tx.exec_prepared(kList.name(), filter.master_id, filter.status, after, fetch_limit))
    out.push_back(to_row(r));
  return out;
}

std::vector<std::pair<int64_t, std::string>> key_hashes_of_master(pqxx::transaction_base& tx,
                                                                  int64_t master_id) {
  std::vector<std::pair<int64_t, std::string>> out;
  for (const auto& r : tx.exec_prepared(kHashesOfMaster.name(), master_id))
    out.emplace_back(r[0].as<int64_t>(), r[1].as<std::string>());
  return out;
}

std::optional<std::pair<int64_t, std::string>> key_outside_namespaces(
    pqxx::transaction_base& tx, int64_t master_id, const std::vector<std::string>& namespaces) {
  auto res = tx.exec_prepared(kOutside.name(), master_id, json_array_text(namespaces));
  if (res.empty()) return std::nullopt;
  return std::make_pair(res[0][0].as<int64_t>(), res[0][1].as<std::string>());
}

}  // namespace ez::db
