// The audit trail: every admin or master write leaves one audit_log row (who,
// what, which resource, before/after), written IN THE SAME TRANSACTION as the
// change so that a committed write always has its row and a rolled-back one
// never does. Secrets are masked here, whatever the caller passes.
//
//   db::audit::record(tx, actor.name, "update", "provider", std::to_string(id),
//                     before_json, after_json, req.request_id);
#pragma once

#include <json/value.h>

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <string_view>
#include <vector>

namespace ez::db::audit {

// True for field names that hold credentials: api_key, key, master_key, token,
// secret, password, authorization, and any name ending in _key, _token, _secret
// or _password (but not *_hash / *_prefix, which are not secrets).
[[nodiscard]] bool is_secret_field(const std::string& name);

// "sk-abcdef1234567890" -> "sk-****7890"; short values -> "****"; "" stays "".
// Also the form the API shows for a write-only secret (provider api_key).
[[nodiscard]] std::string mask_secret_value(const std::string& value);

// A deep copy of `value` with every secret field (at any depth) masked; a
// non-string secret becomes "****".
[[nodiscard]] Json::Value mask_secrets(const Json::Value& value);

// Client text as PostgreSQL stores it: NUL (refused in text, and as \u0000 in jsonb) and
// invalid UTF-8 become U+FFFD, so an audit row never fails on what a client sent.
[[nodiscard]] std::string storable_text(std::string_view text);
// A deep copy of `value` with every string and member name made storable_text.
[[nodiscard]] Json::Value storable(const Json::Value& value);

// Inserts one audit row. `before`/`after` may be Json::nullValue (create/delete).
// Both pass through mask_secrets, and every text through storable.
void record(pqxx::transaction_base& tx, const std::string& actor, const std::string& action,
            const std::string& resource, const std::string& resource_id, const Json::Value& before,
            const Json::Value& after, const std::string& request_id);

struct Filter {
  std::string resource;  // "" = any
  std::string actor;
  std::string resource_id;
  std::string since;  // RFC 3339 (normalized), inclusive; "" = no bound
  std::string until;  // RFC 3339 (normalized), exclusive; "" = no bound
};

struct Row {
  int64_t id = 0;
  std::string at;  // RFC 3339 UTC
  std::string actor, action, resource, resource_id, request_id;
  Json::Value before, after;  // null when absent
};

// Newest first: up to `fetch_limit` rows with id < before_id (0 = from the newest).
[[nodiscard]] std::vector<Row> list(pqxx::transaction_base& tx, const Filter& f, int64_t before_id,
                                    int64_t fetch_limit);

}  // namespace ez::db::audit
