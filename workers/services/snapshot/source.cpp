#include "snapshot/source.h"

#include <cstdlib>
#include <map>

#include "db/pg.h"

namespace ez::snapshot::source {
namespace {

// One SELECT list per shape; the WHERE clauses differ per path. Macros so the
// full statements stay compile-time string literals for db::Statement.
#define EZ_PROVIDER_SELECT                                                                    \
  "SELECT p.id, p.name, p.type, p.base_url, p.api_key, p.google_project, p.google_location, " \
  "p.group_id, g.name, p.models, p.status, p.auto_ban "                                       \
  "FROM providers p JOIN provider_groups g ON g.id = p.group_id"
#define EZ_MASTER_SELECT                                                                     \
  "SELECT id, name, group_name, namespaces, default_namespace, global_qps, max_child_keys, " \
  "status, epoch FROM masters"
// The key's own columns only: what it inherits from its master is filled in
// C++ from the masters (inherit_from_master), which keeps the million-row COPY
// free of a join.
#define EZ_KEY_SELECT                                                                           \
  "SELECT token_hash, id, master_id, name, group_name, namespaces, scopes, model_rate_limits, " \
  "allow_ips, COALESCE(floor(date_part('epoch', expires_at))::bigint, 0), status, issued_by, "  \
  "model_limits, model_limits_enabled FROM keys"
#define EZ_MODEL_SELECT                                                      \
  "SELECT name, kind, context_window, supports_vision, supports_functions, " \
  "supports_tool_choice, supports_fim, max_output_tokens FROM models"
#define EZ_BINDING_SELECT                                                                   \
  "SELECT b.namespace, b.public_model, b.route_group, COALESCE(g.id, 0), b.selector_type, " \
  "b.selector_value, b.weight, b.status, floor(extract(epoch FROM b.updated_at))::bigint "  \
  "FROM bindings b LEFT JOIN provider_groups g ON g.name = b.route_group"
#define EZ_FEATURE_SELECT                                                      \
  "SELECT name, CASE WHEN jsonb_typeof(value) = 'string' THEN value #>> '{}' " \
  "ELSE value::text END FROM feature_flags"

const db::Statement kProvidersAll{"snap_providers_all", EZ_PROVIDER_SELECT};
const db::Statement kProvidersById{"snap_providers_by_id",
                                   EZ_PROVIDER_SELECT " WHERE p.id = ANY($1::bigint[])"};
const db::Statement kMastersAll{"snap_masters_all", EZ_MASTER_SELECT};
const db::Statement kMastersById{"snap_masters_by_id",
                                 EZ_MASTER_SELECT " WHERE id = ANY($1::bigint[])"};
const db::Statement kKeysById{"snap_keys_by_id", EZ_KEY_SELECT " WHERE id = ANY($1::bigint[])"};
const db::Statement kKeyIdsOfMasters{"snap_key_ids_of_masters",
                                     "SELECT id FROM keys WHERE master_id = ANY($1::bigint[])"};
const db::Statement kModelsAll{"snap_models_all", EZ_MODEL_SELECT};
const db::Statement kModelsByRef{"snap_models_by_ref", EZ_MODEL_SELECT
                                 " WHERE id = ANY($1::bigint[]) OR name = ANY($2::text[])"};
const db::Statement kBindingsAll{"snap_bindings_all", EZ_BINDING_SELECT};
const db::Statement kBindingsByField{
    "snap_bindings_by_field",
    EZ_BINDING_SELECT " WHERE b.namespace || '.' || b.public_model = ANY($1::text[])"};
const db::Statement kBindingFieldsById{
    "snap_binding_fields_by_id",
    "SELECT DISTINCT namespace || '.' || public_model FROM bindings WHERE id = ANY($1::bigint[])"};
const db::Statement kBindingFieldsOfGroups{
    "snap_binding_fields_of_groups",
    "SELECT DISTINCT b.namespace || '.' || b.public_model FROM bindings b "
    "JOIN provider_groups g ON g.name = b.route_group WHERE g.id = ANY($1::bigint[])"};
const db::Statement kActiveProvidersOfGroups{
    "snap_active_providers_of_groups",
    "SELECT id, group_id, models, name FROM providers "
    "WHERE status = 'active' AND group_id = ANY($1::bigint[])"};
const db::Statement kGroupIdsByName{
    "snap_group_ids_by_name", "SELECT name, id FROM provider_groups WHERE name = ANY($1::text[])"};
const db::Statement kFeaturesAll{"snap_features_all", EZ_FEATURE_SELECT};
const db::Statement kFeaturesByName{"snap_features_by_name",
                                    EZ_FEATURE_SELECT " WHERE name = ANY($1::text[])"};

constexpr const char* kKeysCopy = "(" EZ_KEY_SELECT ")";

// The cells of one row as text, from a pqxx row or a decoded COPY line.
class Cells {
 public:
  explicit Cells(const pqxx::row& r) : row_(&r) {}
  explicit Cells(const std::vector<std::optional<std::string>>& f) : fields_(&f) {}

  const char* c(size_t i) const {
    if (row_) return (*row_)[static_cast<pqxx::row::size_type>(i)].c_str();
    const auto& f = (*fields_)[i];
    return f ? f->c_str() : "";
  }
  std::string s(size_t i) const { return c(i); }
  int64_t i64(size_t i) const { return std::strtoll(c(i), nullptr, 10); }
  bool b(size_t i) const { return c(i)[0] == 't'; }
  std::vector<std::string> arr(size_t i) const { return parse_array(c(i)); }
  void arr(size_t i, std::vector<std::string>& out) const { parse_array(c(i), out); }

 private:
  const pqxx::row* row_ = nullptr;
  const std::vector<std::optional<std::string>>* fields_ = nullptr;
};

ProviderRow provider_row(const Cells& c) {
  ProviderRow p;
  p.id = c.i64(0);
  p.name = c.s(1);
  p.type = c.s(2);
  p.base_url = c.s(3);
  p.api_key = c.s(4);
  p.google_project = c.s(5);
  p.google_location = c.s(6);
  p.group_id = c.i64(7);
  p.group = c.s(8);
  p.models = c.arr(9);
  p.status = c.s(10);
  p.auto_ban = c.b(11);
  return p;
}

MasterRow master_row(const Cells& c) {
  MasterRow m;
  m.id = c.i64(0);
  m.name = c.s(1);
  m.group = c.s(2);
  m.namespaces = c.arr(3);
  m.default_namespace = c.s(4);
  m.global_qps = c.i64(5);
  m.max_child_keys = c.i64(6);
  m.status = c.s(7);
  m.epoch = c.i64(8);
  return m;
}

void key_row(const Cells& c, KeyRow& k) {
  k.token_hash = c.c(0);
  k.id = c.i64(1);
  k.master_id = c.i64(2);
  k.name = c.c(3);
  k.group = c.c(4);
  c.arr(5, k.namespaces);
  c.arr(6, k.scopes);
  k.model_rate_limits = c.c(7);
  c.arr(8, k.allow_ips);
  k.expires_at = c.i64(9);
  k.status = c.c(10);
  k.issued_by = c.c(11);
  c.arr(12, k.model_limits);
  k.model_limits_enabled = c.b(13);
}

ModelRow model_row(const Cells& c) {
  ModelRow m;
  m.name = c.s(0);
  m.kind = c.s(1);
  m.context_window = c.i64(2);
  m.supports_vision = c.b(3);
  m.supports_functions = c.b(4);
  m.supports_tool_choice = c.b(5);
  m.supports_fim = c.b(6);
  m.max_output_tokens = c.i64(7);
  return m;
}

BindingRow binding_row(const Cells& c) {
  BindingRow b;
  b.namespace_ = c.s(0);
  b.public_model = c.s(1);
  b.route_group = c.s(2);
  b.group_id = c.i64(3);
  b.selector_type = c.s(4);
  b.selector_value = c.s(5);
  b.weight = c.i64(6);
  b.status = c.s(7);
  b.updated_at = c.i64(8);
  return b;
}

template <typename Row, typename Fn>
std::vector<Row> rows_of(const pqxx::result& r, Fn fn) {
  std::vector<Row> out;
  out.reserve(r.size());
  for (const auto& row : r) out.push_back(fn(Cells(row)));
  return out;
}

std::vector<std::string> strings_of(const pqxx::result& r) {
  std::vector<std::string> out;
  out.reserve(r.size());
  for (const auto& row : r) out.emplace_back(row[0].c_str());
  return out;
}

}  // namespace

std::string text_array(const std::vector<std::string>& values) {
  std::string s = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s.push_back(',');
    s.push_back('"');
    for (char c : values[i]) {
      if (c == '"' || c == '\\') s.push_back('\\');
      s.push_back(c);
    }
    s.push_back('"');
  }
  s.push_back('}');
  return s;
}

std::string int_array(const std::vector<int64_t>& values) {
  std::string s = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) s.push_back(',');
    s += std::to_string(values[i]);
  }
  s.push_back('}');
  return s;
}

void parse_array(const char* literal, std::vector<std::string>& out) {
  out.clear();
  if (!literal || literal[0] != '{') return;
  const std::string_view text(literal);
  if (text.find_first_of("\"\\") == std::string_view::npos) {
    // No quoting: split on commas. Most arrays are like this, and a resync
    // parses three per key.
    std::string_view body = text.substr(1, text.size() >= 2 ? text.size() - 2 : 0);
    size_t n = 0;
    while (!body.empty()) {
      const size_t comma = body.find(',');
      const std::string_view item = body.substr(0, comma);
      if (item != "NULL") {  // a NULL element carries no name: skip it
        if (n < out.size())
          out[n].assign(item);
        else
          out.emplace_back(item);
        ++n;
      }
      if (comma == std::string_view::npos) break;
      body.remove_prefix(comma + 1);
    }
    out.resize(n);
    return;
  }
  pqxx::array_parser parser(literal);
  for (;;) {
    auto [what, value] = parser.get_next();
    if (what == pqxx::array_parser::done) break;
    if (what == pqxx::array_parser::string_value) out.push_back(std::move(value));
  }
}

std::vector<std::string> parse_array(const char* literal) {
  std::vector<std::string> out;
  parse_array(literal, out);
  return out;
}

size_t split_copy_line(const std::string& line, std::vector<std::optional<std::string>>& fields) {
  size_t end = line.size();
  if (end > 0 && line[end - 1] == '\n') --end;
  size_t i = 0, n = 0;
  for (;;) {
    size_t stop = line.find('\t', i);
    if (stop == std::string::npos || stop > end) stop = end;
    if (n == fields.size()) fields.emplace_back();
    auto& f = fields[n++];
    if (stop - i == 2 && line[i] == '\\' && line[i + 1] == 'N') {
      f.reset();
    } else {
      if (!f) f.emplace();
      // Fields are reused row after row, so their buffers are allocated once.
      if (line.find('\\', i) >= stop) {
        f->assign(line, i, stop - i);
      } else {
        f->clear();
        for (size_t j = i; j < stop; ++j) {
          char c = line[j];
          if (c == '\\' && j + 1 < stop) {
            const char e = line[++j];
            switch (e) {
              case 'b':
                c = '\b';
                break;
              case 'f':
                c = '\f';
                break;
              case 'n':
                c = '\n';
                break;
              case 'r':
                c = '\r';
                break;
              case 't':
                c = '\t';
                break;
              case 'v':
                c = '\v';
                break;
              default:
                c = e;  // \\ and any other escaped character stand for themselves
            }
          }
          f->push_back(c);
        }
      }
    }
    if (stop >= end) break;
    i = stop + 1;
  }
  return n;
}

std::vector<ProviderRow> providers(pqxx::transaction_base& tx,
                                   const std::optional<std::vector<int64_t>>& ids) {
  auto r = ids ? tx.exec_prepared(kProvidersById.name(), int_array(*ids))
               : tx.exec_prepared(kProvidersAll.name());
  return rows_of<ProviderRow>(r, provider_row);
}

std::vector<MasterRow> masters(pqxx::transaction_base& tx,
                               const std::optional<std::vector<int64_t>>& ids) {
  auto r = ids ? tx.exec_prepared(kMastersById.name(), int_array(*ids))
               : tx.exec_prepared(kMastersAll.name());
  return rows_of<MasterRow>(r, master_row);
}

std::vector<KeyRow> keys(pqxx::transaction_base& tx, const std::vector<int64_t>& ids) {
  auto r = tx.exec_prepared(kKeysById.name(), int_array(ids));
  auto rows = rows_of<KeyRow>(r, [](const Cells& c) {
    KeyRow k;
    key_row(c, k);
    return k;
  });
  std::vector<int64_t> master_ids;
  for (const auto& k : rows) master_ids.push_back(k.master_id);
  const auto by_id = masters_by_id(masters(tx, master_ids));
  std::vector<KeyRow> out;
  for (auto& k : rows) {
    // A master deleted between the two reads took its keys along; the
    // delete trigger's outbox rows remove them.
    if (auto m = by_id.find(k.master_id); m != by_id.end()) {
      inherit_from_master(k, m->second);
      out.push_back(std::move(k));
    }
  }
  return out;
}

std::unordered_map<int64_t, MasterRow> masters_by_id(std::vector<MasterRow> rows) {
  std::unordered_map<int64_t, MasterRow> out;
  for (auto& m : rows) out.emplace(m.id, std::move(m));
  return out;
}

std::vector<int64_t> key_ids_of_masters(pqxx::transaction_base& tx,
                                        const std::vector<int64_t>& master_ids) {
  std::vector<int64_t> out;
  for (const auto& row : tx.exec_prepared(kKeyIdsOfMasters.name(), int_array(master_ids)))
    out.push_back(row[0].as<int64_t>());
  return out;
}

size_t stream_keys(pqxx::transaction_base& tx,
                   const std::unordered_map<int64_t, MasterRow>& masters,
                   const std::function<void(const KeyRow&)>& sink) {
  // libpqxx 6 writes "COPY <table> TO STDOUT" with the name unquoted, so a
  // parenthesised query in its place streams the query's rows.
  pqxx::stream_from stream(tx, kKeysCopy);
  std::string line;
  std::vector<std::optional<std::string>> fields;
  KeyRow k;  // reused: its vectors and strings keep their capacity
  size_t n = 0;
  while (stream.get_raw_line(line)) {
    if (split_copy_line(line, fields) != 14)
      throw std::runtime_error("stream_keys: unexpected COPY line");
    key_row(Cells(fields), k);
    const auto m = masters.find(k.master_id);
    if (m == masters.end()) continue;  // impossible in one snapshot (foreign key)
    inherit_from_master(k, m->second);
    sink(k);
    ++n;
  }
  stream.complete();
  return n;
}

std::vector<ModelRow> models(
    pqxx::transaction_base& tx,
    const std::optional<std::pair<std::vector<int64_t>, std::vector<std::string>>>& refs) {
  auto r =
      refs ? tx.exec_prepared(kModelsByRef.name(), int_array(refs->first), text_array(refs->second))
           : tx.exec_prepared(kModelsAll.name());
  return rows_of<ModelRow>(r, model_row);
}

std::vector<BindingRow> bindings(pqxx::transaction_base& tx,
                                 const std::optional<std::vector<std::string>>& fields) {
  auto r = fields ? tx.exec_prepared(kBindingsByField.name(), text_array(*fields))
                  : tx.exec_prepared(kBindingsAll.name());
  return rows_of<BindingRow>(r, binding_row);
}

std::vector<std::string> binding_fields_by_id(pqxx::transaction_base& tx,
                                              const std::vector<int64_t>& ids) {
  return strings_of(tx.exec_prepared(kBindingFieldsById.name(), int_array(ids)));
}

std::vector<std::string> binding_fields_of_groups(pqxx::transaction_base& tx,
                                                  const std::vector<int64_t>& group_ids) {
  return strings_of(tx.exec_prepared(kBindingFieldsOfGroups.name(), int_array(group_ids)));
}

GroupIndexes group_indexes(pqxx::transaction_base& tx,
                           const std::optional<std::vector<int64_t>>& group_ids) {
  GroupIndexes out;
  if (!group_ids) return group_indexes(providers(tx, std::nullopt));
  for (const auto& row : tx.exec_prepared(kActiveProvidersOfGroups.name(), int_array(*group_ids)))
    out[row[1].as<int64_t>()].add(row[0].as<int64_t>(), parse_array(row[2].c_str()),
                                  row[3].c_str());
  return out;
}

GroupIndexes group_indexes(const std::vector<ProviderRow>& providers) {
  GroupIndexes out;
  for (const auto& p : providers)
    if (p.status == "active") out[p.group_id].add(p.id, p.models, p.name);
  return out;
}

std::unordered_map<std::string, int64_t> group_ids_by_name(pqxx::transaction_base& tx,
                                                           const std::vector<std::string>& names) {
  std::unordered_map<std::string, int64_t> out;
  for (const auto& row : tx.exec_prepared(kGroupIdsByName.name(), text_array(names)))
    out.emplace(row[0].c_str(), row[1].as<int64_t>());
  return out;
}

std::vector<std::pair<std::string, std::string>> features(
    pqxx::transaction_base& tx, const std::optional<std::vector<std::string>>& names) {
  auto r = names ? tx.exec_prepared(kFeaturesByName.name(), text_array(*names))
                 : tx.exec_prepared(kFeaturesAll.name());
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : r) out.emplace_back(row[0].c_str(), row[1].c_str());
  return out;
}

}  // namespace ez::snapshot::source
