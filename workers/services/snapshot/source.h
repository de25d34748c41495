// Reads what the snapshots need out of PostgreSQL beyond one table's rows: keys
// together with the masters they inherit from (by id for an incremental push,
// all of them through the keys' COPY stream for a resync), the selector indexes
// of provider groups, binding names, feature flags. The rows themselves and
// their one column list and decoder per table are storage's (db/*_repo.h), so
// the incremental push and the resync build byte-identical JSON, and so does
// the API from the same rows.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <pqxx/pqxx>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "snapshot/builders.h"

namespace ez::snapshot::source {

using Masters = std::unordered_map<int64_t, MasterRow>;
[[nodiscard]] Masters masters_by_id(std::vector<MasterRow> rows);

// Keys and the masters they inherit from: key_json(k, masters.at(k.master_id)).
struct KeysWithMasters {
  std::vector<KeyRow> keys;  // only the keys whose master exists
  Masters masters;
};
[[nodiscard]] KeysWithMasters keys(pqxx::transaction_base& tx, const std::vector<int64_t>& ids);
// Every key, streamed (the snapshot's columns only), with its master out of
// `masters` (every master); returns the count.
size_t stream_keys(pqxx::transaction_base& tx, const Masters& masters,
                   const std::function<void(const KeyRow&, const MasterRow&)>& sink);

// namespace.public_model of binding rows by id.
[[nodiscard]] std::vector<std::string> binding_fields_by_id(pqxx::transaction_base& tx,
                                                            const std::vector<int64_t>& ids);
// namespace.public_model of every binding whose route group is one of `group_ids`.
[[nodiscard]] std::vector<std::string> binding_fields_of_groups(
    pqxx::transaction_base& tx, const std::vector<int64_t>& group_ids);
// Active providers of the given groups (nullopt = all groups), indexed for selectors.
[[nodiscard]] GroupIndexes group_indexes(pqxx::transaction_base& tx,
                                         const std::optional<std::vector<int64_t>>& group_ids);
// Builds the indexes from provider rows already read (the resync has them all).
[[nodiscard]] GroupIndexes group_indexes(const std::vector<ProviderRow>& providers);

// Provider group ids by name, for the names that exist.
[[nodiscard]] std::unordered_map<std::string, int64_t> group_ids_by_name(
    pqxx::transaction_base& tx, const std::vector<std::string>& names);

// meta:features: flag -> value (a JSON string flag bare, anything else as JSON text).
[[nodiscard]] std::vector<std::pair<std::string, std::string>> features(
    pqxx::transaction_base& tx, const std::optional<std::vector<std::string>>& names);

}  // namespace ez::snapshot::source
