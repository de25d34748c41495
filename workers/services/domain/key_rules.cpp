#include "domain/key_rules.h"

#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <set>
#include <stdexcept>

#include "common/error.h"
#include "common/hash.h"
#include "domain/validate.h"
#include "snapshot/selector.h"

namespace ez::domain {

namespace {

// At most this many models in model_limits and in model_rate_limits.
constexpr size_t kMaxModelEntries = 1024;
// The limit names of a model_rate_limits entry.
constexpr std::array<std::string_view, 2> kRateLimitNames = {"rpm", "tpm"};

constexpr std::string_view kBase62 =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void fill_random(unsigned char* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = ::getrandom(buf + got, n - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("getrandom failed: ") + std::strerror(errno));
    }
    got += static_cast<size_t>(r);
  }
}

// Runs validate.h's string checks (UTF-8, NUL, control characters, length) on a
// value that is not a body member of its own, e.g. an object key: PostgreSQL
// rejects invalid UTF-8 and \u0000 in jsonb, which would otherwise surface as a
// 500. `what` replaces the placeholder name in the message ("a model name ...").
void check_text(const std::string& value, const std::string& field, const std::string& what,
                const StringRule& rule) {
  Json::Value holder(Json::objectValue);
  holder["v"] = value;
  try {
    (void)get_string(holder, "v", rule);
  } catch (const Error& e) {
    std::string msg = e.what();
    if (msg.rfind("v ", 0) == 0) msg = what + msg.substr(1);
    invalid(field, msg);
  }
}

IssuedSecret issue(std::string_view prefix) {
  IssuedSecret s;
  s.secret = std::string(prefix) + random_base62(kSecretRandomChars);
  s.hash = sha256_hex(s.secret);
  s.prefix = display_prefix(s.secret);
  return s;
}

}  // namespace

std::string random_base62(size_t count) {
  std::string out;
  out.reserve(count);
  unsigned char buf[64];
  while (out.size() < count) {
    fill_random(buf, sizeof buf);
    for (unsigned char b : buf) {
      // 248 = 4 * 62: bytes at or above it would make the low characters more
      // likely, so they are dropped (rejection sampling).
      if (b >= 248) continue;
      out.push_back(kBase62[b % 62]);
      if (out.size() == count) break;
    }
  }
  return out;
}

IssuedSecret new_client_key() {
  return issue(kClientKeyPrefix);
}
IssuedSecret new_master_key() {
  return issue(kMasterKeyPrefix);
}

std::string display_prefix(std::string_view secret) {
  return std::string(secret.substr(0, kDisplayPrefixLen));
}

bool looks_like_master_key(std::string_view token) {
  if (token.size() != kMasterKeyPrefix.size() + kSecretRandomChars) return false;
  if (token.substr(0, kMasterKeyPrefix.size()) != kMasterKeyPrefix) return false;
  return std::all_of(token.begin() + kMasterKeyPrefix.size(), token.end(),
                     [](char c) { return kBase62.find(c) != std::string_view::npos; });
}

void enforce_child_key_quota(int64_t master_id, int64_t current, int64_t max_child_keys) {
  if (!child_key_quota_reached(current, max_child_keys)) return;
  fail(ErrorCode::conflict,
       "master " + std::to_string(master_id) + " already has " + std::to_string(current) +
           " key(s); max_child_keys is " + std::to_string(max_child_keys),
       "max_child_keys");
}

std::optional<std::string> first_not_in(const std::vector<std::string>& wanted,
                                        const std::vector<std::string>& allowed) {
  for (const auto& w : wanted)
    if (std::find(allowed.begin(), allowed.end(), w) == allowed.end()) return w;
  return std::nullopt;
}

bool same_set(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  return std::set<std::string>(a.begin(), a.end()) == std::set<std::string>(b.begin(), b.end());
}

void check_key_namespaces(const std::vector<std::string>& key_namespaces,
                          const std::vector<std::string>& master_namespaces) {
  if (auto missing = first_not_in(key_namespaces, master_namespaces))
    invalid("namespaces", "namespace '" + *missing + "' is not one of the master's namespaces");
}

void check_namespace_names(const std::vector<std::string>& names, const char* field) {
  for (size_t i = 0; i < names.size(); ++i)
    if (names[i].find('.') != std::string::npos)
      invalid(std::string(field) + "[" + std::to_string(i) + "]", "a namespace cannot contain '.'");
}

std::vector<std::string> parse_model_allowlist(const Json::Value& value, const char* field) {
  if (!value.isArray()) {
    if (value.isObject())
      invalid(field, std::string(field) +
                         " is the list of models the key may call (an array of names); "
                         "per-model rate limits are model_rate_limits");
    invalid(field, std::string(field) + " must be an array of model names");
  }
  if (value.size() > kMaxModelEntries)
    invalid(field, std::string(field) + " must have at most " + std::to_string(kMaxModelEntries) +
                       " items");
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (Json::ArrayIndex i = 0; i < value.size(); ++i) {
    const std::string where = std::string(field) + "[" + std::to_string(i) + "]";
    const Json::Value& item = value[i];
    if (!item.isString()) invalid(where, where + " must be a string (a model name)");
    std::string name(snapshot::trim_space(item.asString()));
    check_text(name, where, "a model name", {.min_len = 1, .max_len = 256, .no_control = true});
    if (seen.insert(name).second) out.push_back(std::move(name));
  }
  return out;
}

void check_model_rate_limits(const Json::Value& value, const char* field) {
  if (!value.isObject())
    invalid(field, std::string(field) + " must be a JSON object (model -> limits)");
  if (value.size() > kMaxModelEntries)
    invalid(field, "too many entries (at most " + std::to_string(kMaxModelEntries) + ")");
  auto non_negative_int = [](const Json::Value& v) {
    // JSON integers only: jsoncpp types 1.0 as realValue and anything above
    // INT64_MAX as uintValue, both rejected here.
    return v.type() == Json::intValue && v.asInt64() >= 0;
  };
  for (const auto& model : value.getMemberNames()) {
    // The model name is checked before it is used in an error's field path.
    check_text(model, field, "a model name", {.min_len = 1, .max_len = 256, .no_control = true});
    const std::string where = std::string(field) + "." + model;
    const Json::Value& limit = value[model];
    if (non_negative_int(limit)) continue;
    if (!limit.isObject())
      invalid(where, where +
                         " must be a non-negative integer or an object "
                         "{\"rpm\": n, \"tpm\": n}");
    for (const auto& name : limit.getMemberNames()) {
      check_text(name, where, "a limit name", {.min_len = 1, .max_len = 64, .no_control = true});
      if (std::find(kRateLimitNames.begin(), kRateLimitNames.end(), name) == kRateLimitNames.end())
        invalid(where + "." + name, "unknown limit " + where + "." + name + " (known: rpm, tpm)");
      if (!non_negative_int(limit[name]))
        invalid(where + "." + name, where + "." + name + " must be a non-negative integer");
    }
  }
}

std::vector<std::string> key_warnings(bool model_limits_enabled,
                                      const std::vector<std::string>& model_limits) {
  std::vector<std::string> out;
  if (model_limits_enabled && model_limits.empty())
    out.push_back(
        "model_limits_enabled is true and model_limits is empty: this key may call no model");
  return out;
}

MasterFields parse_master_fields(const Json::Value& body, bool create) {
  require_object(body);
  reject_unknown(body,
                 {"name", "group", "namespaces", "default_namespace", "max_child_keys",
                  "global_qps", "status"},
                 {"id", "epoch", "key_prefix", "created_at", "updated_at"});
  MasterFields f;
  f.name = get_string(body, "name", {.required = create, .min_len = 1, .max_len = 256});
  f.group = get_string(body, "group", {.min_len = 1, .max_len = 128, .no_control = true});
  f.namespaces =
      get_string_list(body, "namespaces", {.min_len = 1, .max_len = 128, .no_control = true}, 256);
  if (f.namespaces) check_namespace_names(*f.namespaces, "namespaces");
  f.default_namespace = get_string(body, "default_namespace", {.max_len = 128, .no_control = true});
  if (f.default_namespace && f.default_namespace->find('.') != std::string::npos)
    invalid("default_namespace", "a namespace cannot contain '.'");
  f.max_child_keys = get_int(body, "max_child_keys", 0, INT32_MAX);
  f.global_qps = get_int(body, "global_qps", 0, INT32_MAX);
  f.status = get_enum(body, "status", {"active", "suspended"});
  return f;
}

KeyFields parse_key_fields(const Json::Value& body, KeyBody kind) {
  require_object(body);
  if (kind == KeyBody::update_by_master) {
    for (const char* admin_only :
         {"master_id", "group", "namespaces", "scopes", "allow_ips", "expires_at"})
      if (body.isMember(admin_only))
        invalid(admin_only, std::string(admin_only) + " can only be changed by an admin");
    reject_unknown(body,
                   {"name", "status", "model_limits", "model_limits_enabled", "model_rate_limits"},
                   {"id", "issued_by", "key_prefix", "created_at", "updated_at"});
  } else if (kind == KeyBody::create_for_master) {
    reject_unknown(body,
                   {"name", "group", "namespaces", "scopes", "model_limits", "model_limits_enabled",
                    "model_rate_limits", "allow_ips", "expires_at", "status", "quota_limit",
                    "quota_used", "unlimited_quota"},
                   {});
  } else {
    reject_unknown(body,
                   {"master_id", "name", "group", "namespaces", "scopes", "model_limits",
                    "model_limits_enabled", "model_rate_limits", "allow_ips", "expires_at",
                    "status", "quota_limit", "quota_used", "unlimited_quota"},
                   {"id", "issued_by", "key_prefix", "created_at", "updated_at", "status_reason"});
  }
  KeyFields f;
  if (kind == KeyBody::create_admin || kind == KeyBody::update)
    f.master_id = get_int(body, "master_id", 1, INT64_MAX, kind == KeyBody::create_admin);
  f.name = get_string(body, "name", {.max_len = 256});
  f.group = get_string(body, "group", {.max_len = 128, .no_control = true});
  f.namespaces =
      get_string_list(body, "namespaces", {.min_len = 1, .max_len = 128, .no_control = true}, 256);
  if (f.namespaces) check_namespace_names(*f.namespaces, "namespaces");
  f.scopes =
      get_string_list(body, "scopes", {.min_len = 1, .max_len = 128, .no_control = true}, 64);
  if (const Json::Value* list = body.find("model_limits", "model_limits" + 12))
    f.model_limits = parse_model_allowlist(*list);
  f.model_limits_enabled = get_bool(body, "model_limits_enabled");
  // Sending models to allow means allowing only them (New API's convention):
  // the flag follows unless the body sets it.
  if (f.model_limits && !f.model_limits->empty() && !f.model_limits_enabled)
    f.model_limits_enabled = true;
  if (const Json::Value* limits = body.find("model_rate_limits", "model_rate_limits" + 17)) {
    check_model_rate_limits(*limits);
    f.model_rate_limits = *limits;
  }
  f.allow_ips = get_cidr_list(body, "allow_ips");
  if (body.isMember("expires_at") && body["expires_at"].isNull())
    f.expires_at.emplace(std::nullopt);
  else if (auto t = get_time(body, "expires_at"))
    f.expires_at.emplace(std::move(*t));
  f.status = get_enum(body, "status", {"active", "disabled"});
  f.quota_limit = get_int(body, "quota_limit", 0, INT64_MAX);
  f.quota_used = get_int(body, "quota_used", 0, INT64_MAX);
  f.unlimited_quota = get_bool(body, "unlimited_quota");
  // A key born expired is a mistake (usually a wrong year or offset), not a request.
  if ((kind == KeyBody::create_admin || kind == KeyBody::create_for_master) && f.expires_at &&
      *f.expires_at && *parse_rfc3339_us(**f.expires_at) <= unix_now_us())
    invalid("expires_at",
            "expires_at " + **f.expires_at + " is in the past: a new key must expire after now");
  return f;
}

}  // namespace ez::domain
