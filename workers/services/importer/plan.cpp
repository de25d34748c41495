#include "importer/plan.h"

#include <algorithm>
#include <limits>
#include <set>
#include <string_view>
#include <unordered_set>

#include "common/error.h"
#include "common/hash.h"
#include "domain/admin_input.h"

namespace ez::importer {

namespace {

// sha256 over length-prefixed fields: unambiguous whatever the values hold.
class Fingerprint {
 public:
  Fingerprint& add(std::string_view s) {
    buf_ += std::to_string(s.size());
    buf_ += ':';
    buf_ += s;
    return *this;
  }
  Fingerprint& add(const std::string& s) { return add(std::string_view(s)); }
  Fingerprint& add(const char* s) { return add(std::string_view(s)); }
  Fingerprint& add(int64_t n) { return add(std::string_view(std::to_string(n))); }
  Fingerprint& add(bool b) { return add(std::string_view(b ? "t" : "f")); }
  Fingerprint& add(const std::vector<std::string>& items) {
    add(int64_t(items.size()));
    for (const auto& i : items) add(std::string_view(i));
    return *this;
  }
  Fingerprint& add_optional(const std::optional<std::string>& s) {
    return s ? add(std::string_view("+")).add(std::string_view(*s)) : add(std::string_view("-"));
  }
  std::string done() const { return sha256_hex(buf_); }

 private:
  std::string buf_;
};

[[noreturn]] void conflict(const std::string& path, const std::string& what) {
  throw Error(ErrorCode::conflict, path + ": " + what, path);
}
[[noreturn]] void invalid(const std::string& path, const std::string& what) {
  throw Error(ErrorCode::invalid_field, path + ": " + what, path);
}

std::string provider_path(const ImportedProvider& p) {
  return "data.providers[" + std::to_string(p.index) + "]";
}
std::string master_path(const ImportedMaster& m) {
  return "data.masters[" + std::to_string(m.index) + "]";
}
std::string key_path(const ImportedKey& k) {
  return "data.keys[" + std::to_string(k.index) + "]";
}

class Warnings {
 public:
  Warnings(Plan& plan, size_t max) : plan_(plan), max_(max) {}
  void add(std::string message) {
    ++plan_.warning_count;
    if (plan_.warnings.size() < max_) plan_.warnings.push_back(std::move(message));
  }

 private:
  Plan& plan_;
  size_t max_;
};

// A value of the file for the plan: moved out when the plan consumes the file
// (take_plan), copied otherwise (make_plan).
template <typename T>
T take(T& value, bool consume) {
  if (consume) return std::move(value);
  return value;
}

template <typename Planned>
void decide(Planned& planned, const std::unordered_map<std::string, ExistingRef>& existing) {
  auto it = existing.find(planned.ref);
  if (it == existing.end()) {
    planned.action = Action::create;
    return;
  }
  planned.id = it->second.id;
  planned.action = it->second.fingerprint == planned.fingerprint ? Action::skip : Action::update;
}

// A name must be free, or already this row's.
void check_name(const std::unordered_map<std::string, int64_t>& names, const std::string& name,
                int64_t own_id, const std::string& path, const char* what) {
  auto it = names.find(name);
  if (it != names.end() && it->second != own_id)
    conflict(path + ".name", std::string("a ") + what + " named '" + name +
                                 "' already exists (id " + std::to_string(it->second) +
                                 ") and was not imported from this record; rename one of them");
}

void plan_providers(const ExportFile& file, const Existing& existing, Plan& plan, Warnings& warn) {
  std::unordered_map<std::string, size_t> refs, names;
  refs.reserve(file.providers.size());
  names.reserve(file.providers.size());
  std::set<std::string> groups;
  plan.providers.reserve(file.providers.size());
  for (const auto& p : file.providers) {
    const std::string path = provider_path(p);
    PlannedProvider out;
    // The first key of a multi-key channel keeps the channel's identity, so a
    // channel that gains keys between two exports keeps its provider.
    out.ref = file.source.type + ":" + std::to_string(p.original_id);
    if (p.multi_key_index > 1) out.ref += ":" + std::to_string(p.multi_key_index);
    if (auto [it, fresh] = refs.emplace(out.ref, p.index); !fresh)
      invalid(path + ".original_id", "the same original_id and multi_key_index as data.providers[" +
                                         std::to_string(it->second) + "]");
    if (auto [it, fresh] = names.emplace(p.values.name, p.index); !fresh)
      invalid(path + ".name",
              "the same name as data.providers[" + std::to_string(it->second) + "]");
    out.values = p.values;
    const auto& v = out.values;
    out.fingerprint = Fingerprint()
                          .add(out.ref)
                          .add(v.name)
                          .add(v.type)
                          .add(v.base_url)
                          .add(v.api_key)
                          .add(v.google_project)
                          .add(v.google_location)
                          .add(v.group)
                          .add(v.models)
                          .add(v.weight)
                          .add(v.priority)
                          .add(v.status)
                          .add(v.auto_ban)
                          .done();
    decide(out, existing.providers);
    check_name(existing.provider_names, v.name, out.id, path, "provider");
    groups.insert(v.group);
    plan.counts["providers"].add(out.action);
    plan.providers.push_back(std::move(out));
  }
  (void)warn;
  plan.provider_groups.assign(groups.begin(), groups.end());
}

// Masters gain the namespaces their keys use (New API lets a token pick another
// group than its user's; here a key's namespaces must be its master's).
void plan_masters(ExportFile& file, bool consume, const Existing& existing,
                  const SecretMaker& new_master_secret, Plan& plan, Warnings& warn,
                  std::unordered_map<std::string, size_t>& by_name) {
  std::unordered_map<std::string, size_t> refs;
  refs.reserve(file.masters.size());
  by_name.reserve(file.masters.size());
  std::vector<db::MasterValues> values;
  values.reserve(file.masters.size());
  for (auto& m : file.masters) {
    const std::string ref = file.source.type + ":" + std::to_string(m.source_user_id);
    if (auto [it, fresh] = refs.emplace(ref, m.index); !fresh)
      invalid(master_path(m) + "._source_user_id",
              "the same _source_user_id as data.masters[" + std::to_string(it->second) + "]");
    if (auto [it, fresh] = by_name.emplace(m.values.name, values.size()); !fresh)
      invalid(master_path(m) + ".name", "the same name as data.masters[" +
                                            std::to_string(file.masters[it->second].index) + "]");
    values.push_back(take(m.values, consume));
  }
  std::vector<std::set<std::string>> added(values.size());
  for (const auto& k : file.keys) {
    auto it = by_name.find(k.master_ref);
    if (it == by_name.end())
      invalid(key_path(k) + ".master_ref",
              "no master named '" + k.master_ref + "' in data.masters");
    auto& ns = values[it->second].namespaces;
    for (const auto& n : k.namespaces)
      if (std::find(ns.begin(), ns.end(), n) == ns.end()) {
        ns.push_back(n);
        added[it->second].insert(n);
      }
  }
  plan.masters.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    const auto& m = file.masters[i];
    PlannedMaster out;
    out.ref = file.source.type + ":" + std::to_string(m.source_user_id);
    out.values = std::move(values[i]);
    if (!added[i].empty()) {
      std::string list;
      for (const auto& n : added[i]) list += (list.empty() ? "" : ", ") + n;
      if (out.values.namespaces.size() > 256)
        invalid(master_path(m) + ".namespaces",
                "more than 256 namespaces once its keys' namespaces are added");
      warn.add(master_path(m) + " (" + out.values.name + "): namespaces " + list +
               " added because its keys use them");
    }
    const auto& v = out.values;
    out.fingerprint = Fingerprint()
                          .add(out.ref)
                          .add(v.name)
                          .add(v.group)
                          .add(v.namespaces)
                          .add(v.default_namespace)
                          .add(v.max_child_keys)
                          .add(v.global_qps)
                          .add(v.status)
                          .done();
    decide(out, existing.masters);
    check_name(existing.master_names, v.name, out.id, master_path(m), "master");
    if (out.action == Action::create) {
      const domain::IssuedSecret s = new_master_secret();
      out.key_hash = s.hash;
      out.key_prefix = s.prefix;
    }
    plan.counts["masters"].add(out.action);
    plan.masters.push_back(std::move(out));
  }
  if (consume) std::vector<ImportedMaster>().swap(file.masters);
}

void plan_keys(ExportFile& file, bool consume, const Existing& existing,
               const SecretMaker& new_client_secret, Plan& plan, Warnings& warn,
               const std::unordered_map<std::string, size_t>& masters_by_name) {
  // Duplicates in the file: by original_id (the ref is "<type>:<id>") and by
  // the hash, viewed in the planned keys (reserved: they do not move), so a
  // 200k-key file does not hold each hash a second time.
  std::unordered_map<int64_t, size_t> refs;
  std::unordered_map<std::string_view, size_t> hashes;
  refs.reserve(file.keys.size());
  hashes.reserve(file.keys.size());
  size_t without_token = 0;
  plan.keys.reserve(file.keys.size());
  for (auto& k : file.keys) {
    const std::string path = key_path(k);
    PlannedKey out;
    out.ref = file.source.type + ":" + std::to_string(k.original_id);
    if (auto [it, fresh] = refs.emplace(k.original_id, k.index); !fresh)
      invalid(path + "._original_id",
              "the same _original_id as data.keys[" + std::to_string(it->second) + "]");
    out.master_ref = plan.masters[masters_by_name.at(k.master_ref)].ref;
    auto& v = out.values;
    v.name = file.source.type + " token " + std::to_string(k.original_id);
    v.group = take(k.group, consume);
    v.namespaces = take(k.namespaces, consume);
    v.scopes = take(k.scopes, consume);
    v.model_limits_enabled = k.model_limits_enabled;
    v.model_limits = take(k.model_limits, consume);
    v.allow_ips = take(k.allow_ips, consume);
    v.expires_at = take(k.expires_at, consume);
    v.status = k.source_status == "active" ? "active" : "disabled";
    if (k.source_status == "expired" || k.source_status == "exhausted")
      v.status_reason = k.source_status;
    convert_quota(k, v);
    if (k.token.empty()) {
      // Without the token nobody can present it: the key exists (its master,
      // quota and limits are kept) but stays off until an admin rotates it.
      v.status = "disabled";
      if (v.status_reason.empty()) v.status_reason = "no_plaintext";
      ++without_token;
      if (without_token <= 20)
        warn.add(path +
                 ": the export has no plaintext token; imported disabled (rotate it to use it)");
    } else {
      if (auto it = hashes.find(k.token_hash); it != hashes.end())
        invalid(path + ".original_token",
                "the same token as data.keys[" + std::to_string(it->second) + "]");
      out.token_hash = take(k.token_hash, consume);
      out.key_prefix = domain::display_prefix(k.token);
    }
    out.fingerprint = Fingerprint()
                          .add(out.ref)
                          .add(out.master_ref)
                          .add(out.token_hash)
                          .add(v.name)
                          .add(v.group)
                          .add(v.namespaces)
                          .add(v.scopes)
                          .add(v.model_limits_enabled)
                          .add(v.model_limits)
                          .add(v.allow_ips)
                          .add_optional(v.expires_at)
                          .add(v.status)
                          .add(v.status_reason)
                          .add(v.quota_limit)
                          .add(v.quota_used)
                          .add(v.unlimited_quota)
                          .done();
    decide(out, existing.keys);
    // A token another key, a master or a configured token holds (the key this record
    // imported before is its own).
    if (!out.token_hash.empty())
      domain::refuse_held_token(existing.token_holders, out.token_hash,
                                {domain::TokenHolderKind::client_key, out.id},
                                path + ".original_token");
    if (out.action == Action::create && out.token_hash.empty()) {
      // token_hash is NOT NULL UNIQUE: a random one nobody knows.
      const domain::IssuedSecret s = new_client_secret();
      out.token_hash = s.hash;
      out.key_prefix = s.prefix;
    }
    plan.counts["keys"].add(out.action);
    const bool has_token = !k.token.empty();
    plan.keys.push_back(std::move(out));
    if (has_token) hashes.emplace(plan.keys.back().token_hash, k.index);
  }
  if (without_token > 20)
    warn.add(std::to_string(without_token) +
             " keys in all have no plaintext token (imported disabled)");
  if (consume) std::vector<ImportedKey>().swap(file.keys);
}

// Bindings: the file's (New API abilities), and one per (group, model) of each
// provider, so what New API routed keeps routing. A provider has one group
// here; its other groups reach it through bindings to that group.
void plan_bindings(const ExportFile& file, const Existing& existing, Plan& plan, Warnings& warn) {
  std::unordered_map<std::string, size_t> index;  // identity -> position in plan.bindings
  auto put = [&](const db::BindingValues& v, bool from_file) {
    const std::string id = binding_identity(v);
    auto [it, fresh] = index.emplace(id, plan.bindings.size());
    if (!fresh) {
      if (from_file) plan.bindings[it->second].values.status = v.status;
      return;
    }
    PlannedBinding b;
    b.values = v;
    plan.bindings.push_back(std::move(b));
  };
  size_t skipped_groups = 0;
  for (const auto& p : file.providers) {
    std::vector<std::string> extra;
    for (const auto& g : p.all_groups) {
      db::BindingValues v;
      v.ns = g;
      v.route_group = p.values.group;
      v.selector_type = "exact";
      bool ok = true;
      for (const auto& m : p.values.models) {
        v.public_model = m;
        v.selector_value = m;
        Json::Value body(Json::objectValue);
        body["namespace"] = v.ns;
        body["public_model"] = m;
        body["route_group"] = v.route_group;
        try {
          (void)domain::binding_values(body, nullptr);
        } catch (const Error& e) {
          ok = false;
          if (++skipped_groups <= 20)
            warn.add(provider_path(p) + ": no binding for group '" + g + "', model '" + m +
                     "': " + e.what());
          continue;
        }
        put(v, false);
      }
      if (ok && g != p.values.group) extra.push_back(g);
    }
    if (!extra.empty()) {
      std::string list;
      for (const auto& g : extra) list += (list.empty() ? "" : ", ") + g;
      warn.add(provider_path(p) + " (" + p.values.name + "): groups " + list +
               " reach it through bindings to its group '" + p.values.group +
               "' (a provider has one group here), which also reach that group's other providers");
    }
  }
  for (const auto& b : file.bindings) put(b.values, true);
  for (auto& b : plan.bindings) {
    auto it = existing.bindings.find(binding_identity(b.values));
    if (it == existing.bindings.end()) {
      b.action = Action::create;
    } else {
      b.id = it->second.id;
      const auto& e = it->second;
      b.action = e.selector_type == b.values.selector_type &&
                         e.selector_value == b.values.selector_value && e.status == b.values.status
                     ? Action::skip
                     : Action::update;
    }
    plan.counts["bindings"].add(b.action);
  }
}

}  // namespace

std::string binding_identity(const db::BindingValues& v) {
  return v.ns + '\x1f' + v.public_model + '\x1f' + v.route_group;
}

bool Plan::changes_nothing() const {
  for (const auto& [name, c] : counts)
    if (c.created || c.updated) return false;
  return true;
}

void convert_quota(const ImportedKey& k, KeyImportValues& v) {
  if (k.unlimited_quota || !k.quota_limit || *k.quota_limit == -1) {
    v.unlimited_quota = true;
    v.quota_limit = 0;
    v.quota_used = std::max<int64_t>(k.quota_used.value_or(0), 0);
    return;
  }
  v.unlimited_quota = false;
  const int64_t remaining = std::max<int64_t>(*k.quota_limit, 0);
  v.quota_used = std::max<int64_t>(k.quota_used.value_or(0), 0);
  v.quota_limit = remaining > std::numeric_limits<int64_t>::max() - v.quota_used
                      ? std::numeric_limits<int64_t>::max()
                      : remaining + v.quota_used;
}

namespace {

Plan plan_file(ExportFile& file, bool consume, const Existing& existing,
               const SecretMaker& new_master_secret, const SecretMaker& new_client_secret,
               size_t max_warnings) {
  Plan plan;
  for (const char* r : {"providers", "masters", "keys", "bindings"}) plan.counts[r] = {};
  Warnings warn(plan, max_warnings);
  plan_providers(file, existing, plan, warn);
  std::unordered_map<std::string, size_t> masters_by_name;
  plan_masters(file, consume, existing, new_master_secret, plan, warn, masters_by_name);
  plan_keys(file, consume, existing, new_client_secret, plan, warn, masters_by_name);
  plan_bindings(file, existing, plan, warn);
  return plan;
}

}  // namespace

Plan make_plan(const ExportFile& file, const Existing& existing,
               const SecretMaker& new_master_secret, const SecretMaker& new_client_secret,
               size_t max_warnings) {
  // Not consumed: nothing is moved out of it (const_cast only to share the code).
  return plan_file(const_cast<ExportFile&>(file), false, existing, new_master_secret,
                   new_client_secret, max_warnings);
}

Plan take_plan(ExportFile& file, const Existing& existing, const SecretMaker& new_master_secret,
               const SecretMaker& new_client_secret, size_t max_warnings) {
  return plan_file(file, true, existing, new_master_secret, new_client_secret, max_warnings);
}

}  // namespace ez::importer
