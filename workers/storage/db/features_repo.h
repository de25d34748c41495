// Feature flags (meta:features): flag name -> a JSON string, boolean or number,
// kept in PostgreSQL so a Redis wipe never loses them.
#pragma once

#include <json/value.h>

#include <map>
#include <pqxx/pqxx>
#include <string>

namespace ez::db {

// Every flag as a JSON object {name: value}.
[[nodiscard]] Json::Value all_features(pqxx::transaction_base& tx);
// Serializes flag writers until the transaction ends, so a PUT's before/after
// (audit) is exact even when two PUTs race (row locks would not cover new flags).
void lock_features(pqxx::transaction_base& tx);
void upsert_feature(pqxx::transaction_base& tx, const std::string& name, const Json::Value& value);
// False when there was no such flag.
[[nodiscard]] bool delete_feature(pqxx::transaction_base& tx, const std::string& name);

}  // namespace ez::db
