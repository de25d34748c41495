#include "importer/export_file.h"

#include <json/reader.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>

#include "common/error.h"
#include "common/hash.h"
#include "common/json_scanner.h"
#include "db/audit.h"
#include "domain/admin_input.h"
#include "domain/key_rules.h"
#include "domain/validate.h"

namespace ez::importer {

using domain::type_name;

namespace {

[[noreturn]] void fail_at(ErrorCode code, const std::string& path, const std::string& what) {
  throw Error(code, path + ": " + what, path);
}

// ---- typed access to one record ------------------------------------------------

void record_unknown(ExportFile& file, const ParseOptions& options, const std::string& path,
                    const std::string& name, const Json::Value& value) {
  ++file.unknown_field_count;
  if (file.unknown_fields.size() >= options.max_unknown_fields) return;
  // The audit trail never holds a credential, whatever the exporter adds.
  file.unknown_fields[path] =
      db::audit::is_secret_field(name) ? Json::Value("****") : db::audit::mask_secrets(value);
}

// Go's encoding/json writes `null` for a nil pointer or slice and omits
// `omitempty` fields: both mean "absent" for an optional field here. A required
// field must be present and not null.
class Record {
 public:
  Record(const Json::Value& v, std::string path, ExportFile& file, const ParseOptions& options)
      : v_(v), path_(std::move(path)), file_(file), options_(options) {
    if (!v_.isObject())
      fail_at(ErrorCode::invalid_field, path_,
              std::string("must be an object, not ") + type_name(v_));
  }

  const std::string& path() const { return path_; }
  std::string at(const char* name) const { return path_ + "." + name; }

  std::optional<std::string> str(const char* name, bool required) {
    const Json::Value* f = get(name, required);
    if (!f) return std::nullopt;
    if (!f->isString()) wrong(name, "a string", *f);
    return f->asString();
  }
  std::optional<int64_t> integer(const char* name, bool required) {
    const Json::Value* f = get(name, required);
    if (!f) return std::nullopt;
    if (f->type() == Json::intValue) return f->asInt64();
    if (f->type() == Json::uintValue && f->asUInt64() <= uint64_t(INT64_MAX))
      return int64_t(f->asUInt64());
    wrong(name, "an integer", *f);
  }
  std::optional<bool> boolean(const char* name, bool required) {
    const Json::Value* f = get(name, required);
    if (!f) return std::nullopt;
    if (!f->isBool()) wrong(name, "a boolean", *f);
    return f->asBool();
  }
  // Absent or null: empty. Each element must be a string.
  std::vector<std::string> strings(const char* name) {
    const Json::Value* f = get(name, false);
    std::vector<std::string> out;
    if (!f) return out;
    if (!f->isArray()) wrong(name, "an array of strings", *f);
    out.reserve(f->size());
    for (Json::ArrayIndex i = 0; i < f->size(); ++i) {
      const Json::Value& e = (*f)[i];
      if (!e.isString())
        fail_at(ErrorCode::invalid_field, at(name) + "[" + std::to_string(i) + "]",
                std::string("must be a string, not ") + type_name(e));
      out.push_back(e.asString());
    }
    return out;
  }
  // Known, not used (e.g. a provider's _original: the channel row, which holds
  // the upstream key in clear and is never stored).
  void ignore(const char* name) { known_.insert(name); }

  // Every member not asked for is an unknown field.
  void finish() {
    for (auto it = v_.begin(); it != v_.end(); ++it) {
      const std::string name = it.name();
      if (!known_.count(name)) record_unknown(file_, options_, path_ + "." + name, name, *it);
    }
  }

 private:
  const Json::Value* get(const char* name, bool required) {
    known_.insert(name);
    const Json::Value* f = v_.find(name, name + std::strlen(name));
    if (f && f->isNull() && !required) return nullptr;
    if (!f) {
      if (required) fail_at(ErrorCode::missing_field, at(name), "is required");
      return nullptr;
    }
    if (f->isNull()) wrong(name, "present", *f);
    return f;
  }
  [[noreturn]] void wrong(const char* name, const char* expected, const Json::Value& f) {
    fail_at(ErrorCode::invalid_field, at(name),
            std::string("must be ") + expected + ", not " + type_name(f));
  }

  const Json::Value& v_;
  std::string path_;
  ExportFile& file_;
  const ParseOptions& options_;
  std::set<std::string, std::less<>> known_;
};

// Runs an API validation function on a body built from the record; its errors
// (which name API fields) are re-thrown naming the file's path. `renames` maps
// an API field name to the file's name for it.
template <typename F>
auto validated(const std::string& path,
               std::initializer_list<std::pair<const char*, const char*>> renames, F&& f) {
  try {
    return f();
  } catch (const Error& e) {
    std::string field = e.field();
    std::string message = e.what();
    for (const auto& [api, file] : renames) {
      const size_t n = std::strlen(api);
      if (field.compare(0, n, api) == 0 && (field.size() == n || field[n] == '[')) {
        field = file + field.substr(n);
        if (message.compare(0, n, api) == 0) message = file + message.substr(n);
        break;
      }
    }
    const std::string full = field.empty() ? path : path + "." + field;
    throw Error(e.code() == ErrorCode::bad_json ? ErrorCode::invalid_field : e.code(),
                full + ": " + message, full);
  }
}

Json::Value string_array(const std::vector<std::string>& items) {
  Json::Value a(Json::arrayValue);
  for (const auto& i : items) a.append(i);
  return a;
}

std::vector<std::string> without_empty(std::vector<std::string> items) {
  items.erase(std::remove(items.begin(), items.end(), std::string()), items.end());
  return items;
}

// ---- one record of each kind ----------------------------------------------------

ImportedProvider read_provider(Record& r, size_t index, ExportFile& file,
                               const ParseOptions& options) {
  ImportedProvider p;
  p.index = index;
  p.original_id = *r.integer("original_id", true);
  Json::Value body(Json::objectValue);
  body["name"] = *r.str("name", true);
  p.original_type = *r.str("type", true);
  std::string type = p.original_type;
  if (auto m = options.type_map.find(type); m != options.type_map.end()) type = m->second;
  const auto& known = domain::kProviderTypes;
  const bool type_known = std::find(known.begin(), known.end(), type) != known.end();
  if (!type_known) {
    if (file.unknown_types.empty()) file.first_unknown_type_path = r.at("type");
    ++file.unknown_types[type];
  }
  // An unknown type is reported with all the others at the end (check_types);
  // the rest of the record is still validated.
  body["type"] = type_known ? type : "custom";
  if (auto v = r.str("base_url", false)) body["base_url"] = *v;
  body["api_key"] = *r.str("api_key", true);
  if (auto models = r.strings("models"); !models.empty()) body["models"] = string_array(models);
  std::string group = *r.str("primary_group", true);
  p.all_groups = without_empty(r.strings("all_groups"));
  if (group.empty()) group = p.all_groups.empty() ? "default" : p.all_groups.front();
  body["group"] = group;
  body["weight"] = Json::Int64(*r.integer("weight", true));
  if (auto v = r.integer("priority", false)) body["priority"] = Json::Int64(*v);
  body["status"] = *r.str("status", true);
  body["auto_ban"] = *r.boolean("auto_ban", true);
  const bool multi = r.boolean("is_multi_key", false).value_or(false);
  p.multi_key_index = r.integer("multi_key_index", false).value_or(0);
  if (multi && p.multi_key_index < 1)
    fail_at(ErrorCode::invalid_field, r.at("multi_key_index"),
            "a provider split from a multi-key channel needs multi_key_index >= 1");
  if (!multi) p.multi_key_index = 0;
  p.original_name = r.str("original_name", false).value_or("");
  r.ignore("_original");
  r.finish();
  p.values = validated(r.path(), {{"group", "primary_group"}},
                       [&] { return domain::provider_values(body, nullptr); });
  if (!type_known) p.values.type = type;  // kept for the message; check_types refuses it
  if (std::find(p.all_groups.begin(), p.all_groups.end(), p.values.group) == p.all_groups.end())
    p.all_groups.insert(p.all_groups.begin(), p.values.group);
  return p;
}

ImportedMaster read_master(Record& r, size_t index) {
  ImportedMaster m;
  m.index = index;
  Json::Value body(Json::objectValue);
  body["name"] = *r.str("name", true);
  // New API writes "" for "no group": the API's default applies.
  if (auto g = *r.str("group", true); !g.empty()) body["group"] = g;
  const auto namespaces = without_empty(r.strings("namespaces"));
  body["namespaces"] = string_array(namespaces);
  if (auto d = r.str("default_namespace", false); d && !d->empty()) body["default_namespace"] = *d;
  if (auto v = r.integer("max_child_keys", false)) body["max_child_keys"] = Json::Int64(*v);
  if (auto v = r.integer("global_qps", false)) body["global_qps"] = Json::Int64(*v);
  body["status"] = *r.str("status", true);
  m.source_user_id = *r.integer("_source_user_id", true);
  m.source_email = r.str("_source_email", false).value_or("");
  r.finish();
  const domain::MasterFields f =
      validated(r.path(), {}, [&] { return domain::parse_master_fields(body, true); });
  m.values.name = *f.name;
  if (f.group) m.values.group = *f.group;
  if (f.namespaces) m.values.namespaces = *f.namespaces;
  m.values.default_namespace = f.default_namespace.value_or("");
  if (m.values.default_namespace.empty() && !m.values.namespaces.empty())
    m.values.default_namespace = m.values.namespaces.front();
  if (!m.values.default_namespace.empty() &&
      std::find(m.values.namespaces.begin(), m.values.namespaces.end(),
                m.values.default_namespace) == m.values.namespaces.end())
    fail_at(ErrorCode::invalid_field, r.at("default_namespace"),
            "must be one of the master's namespaces");
  if (f.max_child_keys) m.values.max_child_keys = *f.max_child_keys;
  if (f.global_qps) m.values.global_qps = *f.global_qps;
  m.values.status = *f.status;
  return m;
}

ImportedKey read_key(Record& r, size_t index) {
  ImportedKey k;
  k.index = index;
  k.master_ref = *r.str("master_ref", true);
  if (k.master_ref.empty()) fail_at(ErrorCode::invalid_field, r.at("master_ref"), "is empty");
  k.token = *r.str("original_token", true);
  k.source_status = *r.str("status", true);
  static const std::initializer_list<std::string_view> kStatuses = {"active", "disabled", "expired",
                                                                    "exhausted"};
  if (std::find(kStatuses.begin(), kStatuses.end(), k.source_status) == kStatuses.end())
    fail_at(ErrorCode::invalid_field, r.at("status"),
            "must be one of: active, disabled, expired, exhausted");
  Json::Value body(Json::objectValue);
  if (auto g = r.str("group", false)) body["group"] = *g;
  body["scopes"] = string_array(r.strings("scopes"));
  // New API's token group "" means "the user's group": no namespace restriction.
  body["namespaces"] = string_array(without_empty(r.strings("namespaces")));
  // The allowlist as the key API takes it (model_limits + model_limits_enabled).
  const bool limits_enabled = r.boolean("model_limits_enabled", false).value_or(false);
  body["model_limits_enabled"] = limits_enabled;
  body["model_limits"] = string_array(r.strings("model_limits"));
  if (auto t = r.str("expires_at", false)) body["expires_at"] = *t;
  // The exporter splits "1.2.3.4, ,5.6.7.8" on commas: empty items carry nothing.
  body["allow_ips"] = string_array(without_empty(r.strings("allow_ips")));
  k.quota_limit = r.integer("quota_limit", false);
  k.quota_used = r.integer("quota_used", false);
  k.unlimited_quota = r.boolean("unlimited_quota", false).value_or(false);
  k.original_id = *r.integer("_original_id", true);
  const bool plaintext = r.boolean("_token_plaintext_available", false).value_or(!k.token.empty());
  if (!plaintext) k.token.clear();
  body["status"] = k.source_status == "active" ? "active" : "disabled";
  r.finish();
  // The rules of PUT /keys/{id}: an imported key may already be expired (the
  // create routes refuse a past expires_at; the key exists, it is not new).
  const domain::KeyFields f = validated(
      r.path(), {}, [&] { return domain::parse_key_fields(body, domain::KeyBody::update); });
  k.group = f.group.value_or("");
  k.namespaces = f.namespaces.value_or(std::vector<std::string>{});
  k.scopes = f.scopes.value_or(std::vector<std::string>{});
  k.allow_ips = f.allow_ips.value_or(std::vector<std::string>{});
  if (f.expires_at && *f.expires_at) k.expires_at = **f.expires_at;
  k.model_limits = f.model_limits.value_or(std::vector<std::string>{});
  k.model_limits_enabled = f.model_limits_enabled.value_or(false);
  if (!k.token.empty()) {
    // The token is a credential: it must be text a client can send in a header.
    if (k.token.size() > 512 ||
        std::any_of(k.token.begin(), k.token.end(),
                    [](unsigned char c) { return c <= 0x20 || c == 0x7F; }) ||
        !is_valid_utf8(k.token))
      fail_at(ErrorCode::invalid_field, r.at("original_token"),
              "must be at most 512 bytes of printable text without spaces");
    k.token_hash = sha256_hex(k.token);
  }
  return k;
}

ImportedBinding read_binding(Record& r, size_t index) {
  ImportedBinding b;
  b.index = index;
  Json::Value body(Json::objectValue);
  body["namespace"] = *r.str("namespace", true);
  body["route_group"] = *r.str("route_group", true);
  const std::string model = *r.str("model", true);
  body["public_model"] = model;
  body["selector_type"] = "exact";
  body["selector_value"] = model;
  body["status"] = *r.str("status", true);
  r.finish();
  b.values = validated(r.path(), {{"public_model", "model"}, {"selector_value", "model"}},
                       [&] { return domain::binding_values(body, nullptr); });
  return b;
}

void read_source(const Json::Value& v, ExportFile& file, const ParseOptions& options) {
  Record r(v, "source", file, options);
  file.source.type = *r.str("type", true);
  file.source.version = *r.str("version", true);
  const std::string at = *r.str("exported_at", true);
  r.finish();
  // The source type prefixes every import reference ("newapi:42").
  const bool plain_type =
      !file.source.type.empty() && file.source.type.size() <= 32 &&
      std::all_of(file.source.type.begin(), file.source.type.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      });
  if (!plain_type)
    fail_at(ErrorCode::invalid_field, "source.type", "must be 1-32 characters of a-z 0-9 - _");
  if (file.source.version.size() > 128 || !is_valid_utf8(file.source.version))
    fail_at(ErrorCode::invalid_field, "source.version", "must be UTF-8 text of at most 128 bytes");
  auto t = parse_rfc3339(at);
  if (!t) fail_at(ErrorCode::invalid_field, "source.exported_at", "must be an RFC 3339 time");
  file.source.exported_at = format_rfc3339(*t);
}

}  // namespace

void parse_type_map(std::string_view text, TypeMap& into) {
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view pair = text.substr(start, end - start);
    const size_t sep = pair.find_first_of("=:");
    if (sep == std::string_view::npos || sep == 0 || sep + 1 == pair.size())
      fail(ErrorCode::bad_request,
           "map_type takes FROM=TO or FROM:TO pairs (e.g. custom=openai), not '" +
               std::string(pair) + "'",
           "map_type");
    const std::string to(pair.substr(sep + 1));
    const auto& known = domain::kProviderTypes;
    if (std::find(known.begin(), known.end(), to) == known.end())
      fail(ErrorCode::bad_request,
           "map_type: '" + to + "' is not a provider type of the control plane", "map_type");
    // Repeating a pair is harmless; two targets for one type would import by whichever
    // came last, so that is the client's mistake to fix.
    const auto [at, added] = into.emplace(std::string(pair.substr(0, sep)), to);
    if (!added && at->second != to)
      fail(ErrorCode::bad_request,
           "map_type maps '" + at->first + "' to both '" + at->second + "' and '" + to + "'",
           "map_type");
    start = end + 1;
  }
}

ExportFile parse_export(std::string_view text, const ParseOptions& options) {
  ExportFile file;
  JsonScanner sc(text);
  bool have_version = false, have_source = false, have_data = false;
  std::unordered_set<std::string> seen_top;

  sc.expect('{', "");
  if (sc.peek() == '}') sc.bad("", "the file is an empty object");
  do {
    const std::string name = sc.key("");
    sc.expect(':', name);
    if (!seen_top.insert(name).second) sc.bad(name, "duplicate member " + name);
    if (name == "data") {
      have_data = true;
      if (sc.consume_null()) continue;
      sc.expect('{', "data");
      if (sc.peek() == '}') {
        sc.expect('}', "data");
        continue;
      }
      std::unordered_set<std::string> seen_data;
      do {
        const std::string list = sc.key("data");
        const std::string list_path = "data." + list;
        sc.expect(':', list_path);
        if (!seen_data.insert(list).second) sc.bad(list_path, "duplicate member");
        const bool known =
            list == "providers" || list == "masters" || list == "keys" || list == "bindings";
        if (!known) {
          record_unknown(file, options, list_path, list, sc.parse(sc.value(list_path), list_path));
          continue;
        }
        if (sc.consume_null()) continue;
        if (sc.peek() != '[') sc.bad(list_path, list_path + " must be an array");
        sc.expect('[', list_path);
        if (sc.peek() == ']') {
          sc.expect(']', list_path);
          continue;
        }
        size_t i = 0;
        do {
          const std::string path = list_path + "[" + std::to_string(i) + "]";
          const Json::Value v = sc.parse(sc.value(path), path);
          Record r(v, path, file, options);
          if (list == "providers")
            file.providers.push_back(read_provider(r, i, file, options));
          else if (list == "masters")
            file.masters.push_back(read_master(r, i));
          else if (list == "keys")
            file.keys.push_back(read_key(r, i));
          else
            file.bindings.push_back(read_binding(r, i));
          ++i;
        } while (sc.next(']', list_path));
      } while (sc.next('}', "data"));
      continue;
    }
    const Json::Value v = sc.parse(sc.value(name), name);
    if (name == "version") {
      if (!v.isString())
        fail_at(ErrorCode::invalid_field, "version", "must be a string such as \"1.0.0\"");
      file.version = v.asString();
      // 1.x only: a new major version may change what fields mean.
      if (file.version.rfind("1.", 0) != 0)
        fail_at(ErrorCode::invalid_field, "version",
                "schema version " + file.version + " is not supported (this import reads 1.x)");
      have_version = true;
    } else if (name == "source") {
      read_source(v, file, options);
      have_source = true;
    } else if (name == "warnings") {
      if (v.isNull()) continue;
      if (!v.isArray())
        fail_at(ErrorCode::invalid_field, "warnings", "must be an array of strings");
      for (Json::ArrayIndex i = 0; i < v.size(); ++i) {
        if (!v[i].isString())
          fail_at(ErrorCode::invalid_field, "warnings[" + std::to_string(i) + "]",
                  "must be a string");
        file.warnings.push_back(v[i].asString());
      }
    } else {
      record_unknown(file, options, name, name, v);
    }
  } while (sc.next('}', ""));
  if (!sc.at_end()) sc.bad("", "unexpected text after the end of the document");
  if (!have_version) fail_at(ErrorCode::missing_field, "version", "is required");
  if (!have_source) fail_at(ErrorCode::missing_field, "source", "is required");
  if (!have_data) fail_at(ErrorCode::missing_field, "data", "is required");
  return file;
}

void check_types(const ExportFile& file) {
  if (file.unknown_types.empty()) return;
  std::string list, example;
  for (const auto& [type, count] : file.unknown_types) {
    if (!list.empty()) list += ", ";
    list += type + " (" + std::to_string(count) + (count == 1 ? " provider)" : " providers)");
    if (example.empty()) example = type;
  }
  invalid(file.first_unknown_type_path,
          file.first_unknown_type_path + ": provider types unknown to the control plane: " + list +
              ". Map each one to a known type: --map-type " + example +
              "=openai (ezapi-ctl) or ?map_type=" + example + ":openai (POST /admin/import)");
}

}  // namespace ez::importer
