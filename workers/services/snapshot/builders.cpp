#include "snapshot/builders.h"

#include <algorithm>
#include <set>

#include "common/hash.h"
#include "snapshot/selector.h"

namespace ez::snapshot {

// ---------- JsonOut ----------

void JsonOut::comma() {
  if (need_comma_) out_.push_back(',');
  need_comma_ = true;
}

JsonOut& JsonOut::begin_object() {
  comma();
  out_.push_back('{');
  need_comma_ = false;
  return *this;
}

JsonOut& JsonOut::end_object() {
  out_.push_back('}');
  need_comma_ = true;
  return *this;
}

JsonOut& JsonOut::begin_array() {
  comma();
  out_.push_back('[');
  need_comma_ = false;
  return *this;
}

JsonOut& JsonOut::end_array() {
  out_.push_back(']');
  need_comma_ = true;
  return *this;
}

JsonOut& JsonOut::key(std::string_view k) {
  str(k);
  out_.push_back(':');
  need_comma_ = false;
  return *this;
}

JsonOut& JsonOut::str(std::string_view v) {
  comma();
  out_.push_back('"');
  static constexpr char kHex[] = "0123456789abcdef";
  // Copy runs of characters that need no escape in one append: almost every
  // string of a snapshot is one run.
  size_t run = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    const auto c = static_cast<unsigned char>(v[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out_.append(v.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out_ += "\\\"";
        break;
      case '\\':
        out_ += "\\\\";
        break;
      case '\n':
        out_ += "\\n";
        break;
      case '\r':
        out_ += "\\r";
        break;
      case '\t':
        out_ += "\\t";
        break;
      case '\b':
        out_ += "\\b";
        break;
      case '\f':
        out_ += "\\f";
        break;
      default:
        out_ += "\\u00";
        out_.push_back(kHex[c >> 4]);
        out_.push_back(kHex[c & 15]);
    }
  }
  out_.append(v.data() + run, v.size() - run);  // UTF-8 passes through as is
  out_.push_back('"');
  return *this;
}

JsonOut& JsonOut::num(int64_t v) {
  comma();
  out_ += std::to_string(v);
  return *this;
}

JsonOut& JsonOut::boolean(bool v) {
  comma();
  out_ += v ? "true" : "false";
  return *this;
}

JsonOut& JsonOut::raw(std::string_view json) {
  comma();
  out_.append(json);
  return *this;
}

JsonOut& JsonOut::str_array(const std::vector<std::string>& v) {
  begin_array();
  for (const auto& s : v) str(s);
  return end_array();
}

// ---------- snapshots ----------

std::string binding_field(const BindingRow& b) {
  return b.v.ns + "." + b.v.public_model;
}

std::string provider_json(const ProviderRow& p) {
  std::string s;
  s.reserve(256);
  JsonOut j(s);
  j.begin_object();
  j.key("id").num(p.id);
  j.key("name").str(p.v.name);
  j.key("type").str(p.v.type);
  j.key("base_url").str(p.v.base_url);
  j.key("api_key").str(p.v.api_key);
  j.key("google_project").str(p.v.google_project);
  j.key("google_location").str(p.v.google_location);
  j.key("group_id").num(p.group_id);
  j.key("group").str(p.v.group);
  j.key("models").str_array(p.v.models);
  j.key("status").str(p.v.status);
  j.key("auto_ban").boolean(p.v.auto_ban);
  j.end_object();
  return s;
}

std::string master_json(const MasterRow& m) {
  std::string s;
  s.reserve(256);
  JsonOut j(s);
  j.begin_object();
  j.key("id").num(m.id);
  j.key("name").str(m.name);
  j.key("group").str(m.group);
  j.key("namespaces").str_array(m.namespaces);
  j.key("default_namespace").str(m.default_namespace);
  j.key("global_qps").num(m.global_qps);
  j.key("max_child_keys").num(m.max_child_keys);
  j.key("status").str(m.status);
  j.key("epoch").num(m.epoch);
  j.end_object();
  return s;
}

std::string key_json(const KeyRow& k, const MasterRow& master) {
  std::string s;
  s.reserve(320);
  JsonOut j(s);
  j.begin_object();
  j.key("id").num(k.id);
  j.key("master_id").num(k.master_id);
  j.key("name").str(k.name);
  j.key("group").str(k.group.empty() ? master.group : k.group);
  j.key("namespaces").str_array(k.namespaces.empty() ? master.namespaces : k.namespaces);
  j.key("scopes").str_array(k.scopes);
  // New API's convention: model_limits is the allowlist, switched on by
  // model_limits_enabled; per-model RPM/TPM are model_rate_limits.
  j.key("model_limits").str_array(k.model_limits);
  j.key("model_limits_enabled").boolean(k.model_limits_enabled);
  j.key("model_rate_limits")
      .raw(k.model_rate_limits_text.empty() ? std::string_view("{}") : k.model_rate_limits_text);
  j.key("allow_ips").str_array(k.allow_ips);
  j.key("expires_at").num(k.expires_unix);
  j.key("status").str(k.status);
  j.key("issued_by").str(k.issued_by);
  j.key("master_epoch").num(master.epoch);
  j.end_object();
  return s;
}

std::string model_json(const ModelRow& m) {
  std::string s;
  s.reserve(256);
  JsonOut j(s);
  j.begin_object();
  j.key("name").str(m.v.name);
  j.key("kind").str(m.v.kind);
  j.key("context_window").num(m.v.context_window);
  j.key("supports_vision").boolean(m.v.supports_vision);
  j.key("supports_functions").boolean(m.v.supports_functions);
  j.key("supports_tool_choice").boolean(m.v.supports_tool_choice);
  j.key("supports_fim").boolean(m.v.supports_fim);
  j.key("max_output_tokens").num(m.v.max_output_tokens);
  j.end_object();
  return s;
}

std::string models_checksum(const std::map<std::string, std::string>& payloads) {
  // std::map iterates in byte order, which is the sort the balancer repeats.
  std::string text;
  for (const auto& [field, payload] : payloads) {
    text += field;
    text.push_back('\n');
    text += payload;
    text.push_back('\n');
  }
  return sha256_hex(text);
}

std::vector<std::pair<std::string, std::string>> models_meta_fields(
    const std::map<std::string, std::string>& payloads, int64_t version, int64_t now_unix) {
  return {{"version", std::to_string(version)},
          {"updated_at", std::to_string(now_unix)},
          {"source", "ez-api"},
          {"checksum", models_checksum(payloads)},
          {"upstream_url", ""},
          {"upstream_ref", ""}};
}

// ---------- selectors ----------

void GroupIndex::add(int64_t provider_id, const std::vector<std::string>& models,
                     std::string provider_name) {
  for (const auto& m : models) {
    exact_[std::string(trim_space(m))].push_back({provider_id, m});
    normalized_[normalize_model(m)].push_back({provider_id, m});
  }
  providers_.push_back({provider_id, std::move(provider_name), models});
}

Resolution GroupIndex::resolve(std::string_view selector_type, std::string_view value,
                               std::string_view public_model, bool detail) const {
  std::string_view trimmed = trim_space(value);
  const std::string wanted(trimmed.empty() ? trim_space(public_model) : trimmed);
  // provider id -> the distinct upstream models it offers for this selector
  std::map<int64_t, std::set<std::string>> hits;
  Resolution r;
  auto collect = [&](const std::unordered_map<std::string, std::vector<Hit>>& index,
                     const std::string& k) {
    if (auto it = index.find(k); it != index.end())
      for (const auto& h : it->second) hits[h.provider_id].insert(h.model);
  };
  if (selector_type == "exact") {
    collect(exact_, wanted);
  } else if (selector_type == "normalize_exact") {
    collect(normalized_, normalize_model(wanted));
  } else if (selector_type == "regex") {
    const SelectorRegex re(wanted);
    if (!re.ok()) {
      r.error = "config_error";
      r.reason = "selector_value is not a valid RE2 regular expression: " + re.error();
      return r;
    }
    for (const auto& p : providers_)
      for (const auto& model : p.models)
        if (re.search(model)) hits[p.id].insert(model);
  } else {
    r.error = "config_error";
    r.reason = "unknown selector_type \"" + std::string(selector_type) + "\"";
    return r;
  }
  if (detail) {
    for (const auto& p : providers_) {
      ProviderOutcome o{p.id, p.name, {}};
      if (auto h = hits.find(p.id); h != hits.end())
        o.matches.assign(h->second.begin(), h->second.end());
      r.providers.push_back(std::move(o));
    }
    std::sort(r.providers.begin(), r.providers.end(),
              [](const ProviderOutcome& a, const ProviderOutcome& b) {
                return a.provider_id < b.provider_id;
              });
  }
  for (const auto& [pid, models] : hits) {
    if (models.size() != 1) {
      r.upstreams.clear();
      r.error = "config_error";
      std::string names;
      for (const auto& m : models) names += (names.empty() ? "\"" : ", \"") + m + "\"";
      r.reason = "provider " + std::to_string(pid) + " has several models that match: " + names;
      return r;
    }
    r.upstreams[pid] = *models.begin();
  }
  if (r.upstreams.empty()) {
    r.error = "no_provider";
    r.reason = "no model of the " + std::to_string(providers_.size()) +
               " active provider(s) matches " + std::string(selector_type) + " \"" + wanted + "\"";
  }
  return r;
}

Resolution resolve_candidate(const BindingRow& row, const GroupIndexes& groups, bool detail) {
  const auto g = row.group_id != 0 ? groups.find(row.group_id) : groups.end();
  if (g == groups.end() || g->second.provider_count() == 0) {
    // Unknown selector types and bad patterns are reported first: they stay
    // broken whatever providers the group gets.
    Resolution r =
        GroupIndex().resolve(row.v.selector_type, row.v.selector_value, row.v.public_model);
    if (r.error == "config_error") return r;
    r.error = "no_provider";
    r.reason = row.group_id == 0
                   ? "route group \"" + row.v.route_group + "\" does not exist"
                   : "route group \"" + row.v.route_group + "\" has no active provider";
    return r;
  }
  return g->second.resolve(row.v.selector_type, row.v.selector_value, row.v.public_model, detail);
}

std::string binding_json(std::vector<BindingRow> rows, const GroupIndexes& groups) {
  std::sort(rows.begin(), rows.end(), [](const BindingRow& a, const BindingRow& b) {
    return a.v.route_group < b.v.route_group;
  });
  std::string s;
  JsonOut j(s);
  bool any_active = false;
  int64_t updated_at = 0;
  for (const auto& r : rows) {
    any_active = any_active || r.v.status == "active";
    updated_at = std::max(updated_at, r.updated_unix);
  }
  j.begin_object();
  j.key("namespace").str(rows.empty() ? std::string() : rows.front().v.ns);
  j.key("public_model").str(rows.empty() ? std::string() : rows.front().v.public_model);
  j.key("status").str(any_active ? "active" : "disabled");
  j.key("updated_at").num(updated_at);
  j.key("candidates").begin_array();
  for (const auto& r : rows) {
    const Resolution res = resolve_candidate(r, groups);
    const std::string_view value = trim_space(r.v.selector_value);
    j.begin_object();
    j.key("group_id").num(r.group_id);
    j.key("route_group").str(r.v.route_group);
    j.key("weight").num(r.v.weight);
    j.key("selector_type").str(r.v.selector_type);
    j.key("selector_value").str(value.empty() ? std::string_view(r.v.public_model) : value);
    j.key("status").str(r.v.status);
    j.key("error").str(res.error);
    j.key("upstreams").begin_object();
    for (const auto& [pid, model] : res.upstreams) j.key(std::to_string(pid)).str(model);
    j.end_object();
    j.end_object();
  }
  j.end_array();
  j.end_object();
  return s;
}

std::string refresh_event_json(std::string_view resource, int64_t version,
                               std::string_view active_key, int64_t timestamp) {
  std::string s;
  JsonOut j(s);
  j.begin_object();
  j.key("resource").str(resource);
  j.key("version").str(std::to_string(version));
  j.key("active_key").str(active_key);
  j.key("timestamp").num(timestamp);
  j.end_object();
  return s;
}

}  // namespace ez::snapshot
