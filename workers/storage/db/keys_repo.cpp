#include "db/keys_repo.h"

#include <stdexcept>

#include "common/json_text.h"
#include "db/json_columns.h"
#include "db/pg.h"
#include "db/pg_cells.h"

namespace ez::db {

namespace {

// THE column list of a key (decode() reads it by position): first the
// snapshot's columns, the whole of what the resync's COPY streams for a million
// keys, then the API's (the master's group by a subquery, the display prefix,
// the times and the quota, which the stream does not pay for). Arrays come as
// array literals, times as microseconds (db/cells.h).
// clang-format off
#define EZ_KEY_SNAPSHOT_COLS                                                                 \
  "token_hash, id, master_id, name, group_name, namespaces, scopes, "                        \
  "model_rate_limits::text, allow_ips, " EZ_SQL_MICROS("expires_at") ", status, issued_by, " \
  "model_limits, model_limits_enabled"
#define EZ_KEY_COLS                                                                          \
  EZ_KEY_SNAPSHOT_COLS ", key_prefix, "                                                      \
  EZ_SQL_MICROS("created_at") ", " EZ_SQL_MICROS("updated_at") ", "                          \
  "(SELECT m.group_name FROM masters m WHERE m.id = keys.master_id), "                       \
  "status_reason, quota_limit, quota_used, unlimited_quota"
// clang-format on

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
// The snapshots' reads: the snapshot's columns only.
const Statement kByIds{"keys_by_ids",
                       "SELECT " EZ_KEY_SNAPSHOT_COLS " FROM keys WHERE id = ANY($1::bigint[])"};
const Statement kIdsOfMasters{"keys_ids_of_masters",
                              "SELECT id FROM keys WHERE master_id = ANY($1::bigint[])"};
// libpqxx 6 writes "COPY <table> TO STDOUT" with the name unquoted, so a
// parenthesised query in its place streams the query's rows.
constexpr const char* kSnapshotCopy = "(SELECT " EZ_KEY_SNAPSHOT_COLS " FROM keys)";
const Statement kHashesOfMaster{"keys_hashes_of_master",
                                "SELECT id, token_hash FROM keys WHERE master_id = $1 ORDER BY id"};
const Statement kOutside{"keys_outside_namespaces",
                         "SELECT k.id, ns FROM keys k, unnest(k.namespaces) AS ns "
                         "WHERE k.master_id = $1 AND NOT (ns = ANY (" EZ_SQL_TEXT_ARRAY("$2") ")) "
                         "ORDER BY k.id LIMIT 1"};

#undef EZ_KEY_COLS
#undef EZ_KEY_SNAPSHOT_COLS

KeyRow to_row(const pqxx::row& r) {
  return decode_row<KeyRow>(r);
}

std::optional<KeyRow> first(const pqxx::result& res) {
  return decode_first<KeyRow>(res);
}

}  // namespace

void decode(const Cells& c, KeyRow& k) {
  if (c.size() != kKeySnapshotColumns && c.size() != kKeyColumns)
    throw std::logic_error("keys: unexpected column count");
  c.str(0, k.token_hash);
  k.id = c.i64(1);
  k.master_id = c.i64(2);
  c.str(3, k.name);
  c.str(4, k.group);
  c.array(5, k.namespaces);
  c.array(6, k.scopes);
  // jsonb prints an object with its brace first; the table's CHECK keeps it an
  // object, and anything else reads as {} (the snapshot embeds the text as is).
  if (const std::string_view limits = c.text(7); !limits.empty() && limits.front() == '{')
    k.model_rate_limits_text.assign(limits);
  else
    k.model_rate_limits_text.assign("{}");
  c.array(8, k.allow_ips);
  k.expires_unix = c.is_null(9) ? 0 : floor_seconds(c.i64(9));
  c.str(10, k.status);
  c.str(11, k.issued_by);
  c.array(12, k.model_limits);
  k.model_limits_enabled = c.boolean(13);
  if (c.size() == kKeySnapshotColumns) return;
  k.model_rate_limits = parse_json_text(k.model_rate_limits_text);
  if (!k.model_rate_limits.isObject()) k.model_rate_limits = Json::Value(Json::objectValue);
  k.expires_at = c.is_null(9) ? std::nullopt : std::optional<std::string>(c.rfc3339(9));
  c.str(14, k.key_prefix);
  k.created_at = c.rfc3339(15);
  k.updated_at = c.rfc3339(16);
  c.str(17, k.master_group);  // NULL (the master is gone) reads as ""
  c.str(18, k.status_reason);
  k.quota_limit = c.i64(19);
  k.quota_used = c.i64(20);
  k.unlimited_quota = c.boolean(21);
}

std::vector<KeyRow> load_keys(pqxx::transaction_base& tx, const std::vector<int64_t>& ids) {
  return decode_rows<KeyRow>(tx.exec_prepared(kByIds.name(), int_array(ids)));
}

std::vector<int64_t> key_ids_of_masters(pqxx::transaction_base& tx,
                                        const std::vector<int64_t>& master_ids) {
  std::vector<int64_t> out;
  for (const auto& row : tx.exec_prepared(kIdsOfMasters.name(), int_array(master_ids)))
    out.push_back(row[0].as<int64_t>());
  return out;
}

size_t stream_keys(pqxx::transaction_base& tx, const std::function<void(const KeyRow&)>& sink) {
  pqxx::stream_from stream(tx, kSnapshotCopy);
  std::string line;
  std::vector<std::optional<std::string>> fields;
  Cells cells;
  KeyRow k;  // reused: its vectors and strings keep their capacity
  size_t n = 0;
  while (stream.get_raw_line(line)) {
    const size_t count = split_copy_line(line, fields);
    if (count != kKeySnapshotColumns) throw std::runtime_error("stream_keys: unexpected COPY line");
    cells.assign(fields, count);
    decode(cells, k);
    sink(k);
    ++n;
  }
  stream.complete();
  return n;
}

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
  return decode_rows<KeyRow>(
      tx.exec_prepared(kList.name(), filter.master_id, filter.status, after, fetch_limit));
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
