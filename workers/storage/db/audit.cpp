#include "db/audit.h"

#include <algorithm>
#include <array>
#include <string_view>
#include <vector>

#include "common/json_text.h"
#include "common/text.h"
#include "db/json_columns.h"
#include "db/pg.h"

namespace ez::db::audit {

namespace {

const Statement kInsertAudit{
    "audit_insert",
    "INSERT INTO audit_log (actor, action, resource, resource_id, before, after, request_id) "
    "VALUES ($1, $2, $3, $4, NULLIF($5, '')::jsonb, NULLIF($6, '')::jsonb, $7)"};

// "$n = '' OR col = $n" keeps one statement for every filter combination. It
// relies on PostgreSQL's custom plans (made with the actual values, so an unused
// filter folds away and the plan is a backward walk of the primary key that
// stops after LIMIT rows); measured: PostgreSQL keeps choosing them, because the
// generic plan's estimate is far worse. NULLIF before the cast: '' would not
// parse as a time even on the branch not taken.
const Statement kList{
    "audit_list",
    "SELECT id, " EZ_SQL_MICROS("at") " AS at_us, actor, action, resource, resource_id, "
    "before::text, after::text, request_id FROM audit_log "
    "WHERE ($1 = 0 OR id < $1) AND ($2 = '' OR resource = $2) AND ($3 = '' OR actor = $3) "
    "AND ($4 = '' OR resource_id = $4) AND ($5 = '' OR at >= NULLIF($5, '')::timestamptz) "
    "AND ($6 = '' OR at < NULLIF($6, '')::timestamptz) ORDER BY id DESC LIMIT $7"};

bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  });
  return s;
}

// "" for null (SQL NULL), compact JSON otherwise.
std::string to_text(const Json::Value& v) {
  return v.isNull() ? std::string() : to_json(v);
}

}  // namespace

bool is_secret_field(const std::string& raw_name) {
  const std::string name = lower(raw_name);
  static constexpr std::array<std::string_view, 8> kExact = {
      "api_key", "key", "master_key", "token", "secret", "password", "authorization", "apikey"};
  if (std::find(kExact.begin(), kExact.end(), name) != kExact.end()) return true;
  // Digests and display prefixes identify a secret without revealing it.
  if (ends_with(name, "_hash") || ends_with(name, "_prefix")) return false;
  return ends_with(name, "_key") || ends_with(name, "_token") || ends_with(name, "_secret") ||
         ends_with(name, "_password");
}

std::string mask_secret_value(const std::string& value) {
  if (value.empty()) return value;
  // Counted and cut in characters (UTF-8 code points), never inside one: half a
  // character is invalid UTF-8 that PostgreSQL and JSON writers refuse.
  std::vector<size_t> starts;  // byte offset of each character
  for (size_t i = 0; i < value.size(); ++i)
    if ((static_cast<unsigned char>(value[i]) & 0xC0) != 0x80) starts.push_back(i);
  // Long enough to show a recognisable hint without enabling a guess.
  if (starts.size() < 12) return "****";
  return value.substr(0, starts[3]) + "****" + value.substr(starts[starts.size() - 4]);
}

Json::Value mask_secrets(const Json::Value& value) {
  if (value.isArray()) {
    Json::Value out(Json::arrayValue);
    for (const auto& item : value) out.append(mask_secrets(item));
    return out;
  }
  if (!value.isObject()) return value;
  Json::Value out(Json::objectValue);
  for (const auto& name : value.getMemberNames()) {
    const Json::Value& v = value[name];
    if (is_secret_field(name) && !v.isNull())
      out[name] = v.isString() ? mask_secret_value(v.asString()) : std::string("****");
    else
      out[name] = mask_secrets(v);
  }
  return out;
}

std::string storable_text(std::string_view text) {
  if (text.find('\0') == std::string_view::npos && is_valid_utf8(text)) return std::string(text);
  return sanitize_utf8(text, text.size() * 3);  // U+FFFD is 3 bytes: nothing is cut
}

Json::Value storable(const Json::Value& value) {
  if (value.isString()) {
    const char* begin = nullptr;
    const char* end = nullptr;
    value.getString(&begin, &end);
    return storable_text(std::string_view(begin, static_cast<size_t>(end - begin)));
  }
  if (value.isArray()) {
    Json::Value out(Json::arrayValue);
    for (const auto& item : value) out.append(storable(item));
    return out;
  }
  if (!value.isObject()) return value;
  Json::Value out(Json::objectValue);
  for (auto it = value.begin(); it != value.end(); ++it) {
    const char* end = nullptr;
    const char* name = it.memberName(&end);
    out[storable_text(std::string_view(name, static_cast<size_t>(end - name)))] = storable(*it);
  }
  return out;
}

void record(pqxx::transaction_base& tx, const std::string& actor, const std::string& action,
            const std::string& resource, const std::string& resource_id, const Json::Value& before,
            const Json::Value& after, const std::string& request_id) {
  tx.exec_prepared(kInsertAudit.name(), storable_text(actor), action, resource,
                   storable_text(resource_id), to_text(storable(mask_secrets(before))),
                   to_text(storable(mask_secrets(after))), storable_text(request_id));
}

std::vector<Row> list(pqxx::transaction_base& tx, const Filter& f, int64_t before_id,
                      int64_t fetch_limit) {
  std::vector<Row> out;
  const pqxx::result res = tx.exec_prepared(kList.name(), before_id, f.resource, f.actor,
                                            f.resource_id, f.since, f.until, fetch_limit);
  for (const auto& r : res) {
    Row row;
    row.id = r["id"].as<int64_t>();
    row.at = rfc3339_from_micros(r["at_us"].as<int64_t>());
    row.actor = r["actor"].as<std::string>();
    row.action = r["action"].as<std::string>();
    row.resource = r["resource"].as<std::string>();
    row.resource_id = r["resource_id"].as<std::string>();
    row.request_id = r["request_id"].as<std::string>();
    row.before = r["before"].is_null() ? Json::Value() : parse_json_text(r["before"].c_str());
    row.after = r["after"].is_null() ? Json::Value() : parse_json_text(r["after"].c_str());
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace ez::db::audit
