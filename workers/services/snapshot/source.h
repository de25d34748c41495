// Reads the rows behind the snapshots out of PostgreSQL: by id for an
// incremental push, all of them for a resync (the million keys through
// COPY ... TO STDOUT, one row at a time, so memory does not grow with them).
// The same SELECT list feeds both paths, so both build byte-identical JSON.
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

// A PostgreSQL array literal for a text[] parameter ('{"a","b"}').
[[nodiscard]] std::string text_array(const std::vector<std::string>& values);
[[nodiscard]] std::string int_array(const std::vector<int64_t>& values);
// '{a,"b c"}' -> {"a", "b c"}.
[[nodiscard]] std::vector<std::string> parse_array(const char* literal);
void parse_array(const char* literal, std::vector<std::string>& out);  // reuses out's strings
// One line of COPY ... TO STDOUT (text format) split into the first N entries
// of `fields` (returns N; the vector is reused from line to line), escapes
// decoded; a NULL field is nullopt.
size_t split_copy_line(const std::string& line, std::vector<std::optional<std::string>>& fields);

// nullopt ids = every row.
[[nodiscard]] std::vector<ProviderRow> providers(pqxx::transaction_base& tx,
                                                 const std::optional<std::vector<int64_t>>& ids);
[[nodiscard]] std::vector<MasterRow> masters(pqxx::transaction_base& tx,
                                             const std::optional<std::vector<int64_t>>& ids);
[[nodiscard]] std::unordered_map<int64_t, MasterRow> masters_by_id(std::vector<MasterRow> rows);
// Keys by id, with what they inherit from their masters filled in.
[[nodiscard]] std::vector<KeyRow> keys(pqxx::transaction_base& tx, const std::vector<int64_t>& ids);
[[nodiscard]] std::vector<int64_t> key_ids_of_masters(pqxx::transaction_base& tx,
                                                      const std::vector<int64_t>& master_ids);
// Every key, streamed, inheriting from `masters` (every master); returns the count.
size_t stream_keys(pqxx::transaction_base& tx,
                   const std::unordered_map<int64_t, MasterRow>& masters,
                   const std::function<void(const KeyRow&)>& sink);
// Models by id or by name; nullopt = every model.
[[nodiscard]] std::vector<ModelRow> models(
    pqxx::transaction_base& tx,
    const std::optional<std::pair<std::vector<int64_t>, std::vector<std::string>>>& refs);
// Binding rows of the given namespace.public_model fields; nullopt = all.
[[nodiscard]] std::vector<BindingRow> bindings(
    pqxx::transaction_base& tx, const std::optional<std::vector<std::string>>& fields);
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
