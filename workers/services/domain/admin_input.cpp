#include "domain/admin_input.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>

#include "common/error.h"
#include "domain/validate.h"
#include "rollup/decimal.h"
#include "snapshot/selector.h"

namespace ez::domain {

namespace {

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();
// Weights are relative; a bound keeps sums far from overflow in the balancer.
constexpr int64_t kMaxWeight = 1000000;

bool blank(const std::string& s) {
  return std::all_of(s.begin(), s.end(),
                     [](unsigned char c) { return c == ' ' || (c >= 9 && c <= 13); });
}

// A name stored verbatim: 1..max bytes, not only whitespace.
std::optional<std::string> get_name(const Json::Value& body, const char* field, size_t max_len,
                                    bool required) {
  StringRule rule;
  rule.required = required;
  rule.min_len = 1;
  rule.max_len = max_len;
  auto s = get_string(body, field, rule);
  if (s && blank(*s)) invalid(field, std::string(field) + " must not be blank");
  return s;
}

template <typename T>
void assign(T& target, std::optional<T>&& value) {
  if (value) target = std::move(*value);
}

std::string query(const QueryParams& params, const char* name, size_t max_len = 256) {
  auto v = query_param(params, name);
  if (!v) return {};
  if (v->size() > max_len) fail(ErrorCode::bad_request, std::string(name) + " is too long", name);
  if (v->find('\0') != std::string::npos || !is_valid_utf8(*v))
    fail(ErrorCode::bad_request, std::string(name) + " must be UTF-8 text without NUL", name);
  return *v;
}

std::string query_enum(const QueryParams& params, const char* name,
                       std::initializer_list<std::string_view> allowed) {
  std::string v = query(params, name);
  if (v.empty()) return v;
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  });
  return check_enum(v, name, allowed);
}

}  // namespace

std::optional<std::optional<std::string>> get_price(const Json::Value& body, const char* field) {
  if (!body.isMember(field)) return std::nullopt;
  const Json::Value& v = body[field];
  if (v.isNull()) return std::optional<std::string>();  // clears the price
  std::optional<std::string> text;
  if (v.isString()) {
    text = rollup::normalize_decimal(v.asString());
  } else if (v.isNumeric()) {
    const double d = v.asDouble();
    // The shortest round-trip text of the double is the decimal the client wrote (for up to
    // 15 significant digits); a decimal string carries more.
    if (std::isfinite(d) && d >= 0) text = rollup::normalize_decimal(rollup::shortest(d));
  } else {
    invalid(field, std::string(field) + " must be a number, a decimal string or null");
  }
  if (!text)
    invalid(field, std::string(field) +
                       " must be a finite decimal >= 0 with at most 12 digits before the point "
                       "and 18 after it (a price per million tokens)");
  return text;
}

Json::Value price_json(const std::optional<std::string>& price) {
  if (!price) return Json::Value(Json::nullValue);
  // A number; the writer prints doubles in their shortest round-trip form.
  return Json::Value(std::strtod(price->c_str(), nullptr));
}

// ---- providers ----------------------------------------------------------------

db::ProviderValues provider_values(const Json::Value& body, const db::ProviderValues* current) {
  reject_unknown(body,
                 {"name", "type", "base_url", "api_key", "google_project", "google_location",
                  "group", "models", "weight", "priority", "status", "auto_ban"},
                 {"id", "group_id", "created_at", "updated_at"});
  const bool create = current == nullptr;
  db::ProviderValues v = create ? db::ProviderValues{} : *current;

  assign(v.name, get_name(body, "name", 256, create));
  assign(v.type, get_enum(body, "type", kProviderTypes, create));

  StringRule url_rule;
  url_rule.trim = true;
  url_rule.max_len = 2048;
  url_rule.no_control = true;
  if (auto url = get_string(body, "base_url", url_rule)) {
    if (!url->empty()) {
      bool ok = false;
      try {
        Poco::URI uri(*url);
        ok = (uri.getScheme() == "http" || uri.getScheme() == "https") && !uri.getHost().empty();
      } catch (const Poco::Exception&) {
      }
      if (!ok) invalid("base_url", "base_url must be an absolute http:// or https:// URL");
    }
    v.base_url = std::move(*url);
  }

  StringRule key_rule;
  key_rule.trim = true;  // a trailing newline from `cat key.txt` is never part of a key
  key_rule.max_len = 8192;
  key_rule.no_control = true;
  if (auto key = get_string(body, "api_key", key_rule)) {
    // The masked form a GET returned means "unchanged".
    const bool echoed_mask = !create && !current->api_key.empty() &&
                             *key == db::audit::mask_secret_value(current->api_key);
    if (!echoed_mask) v.api_key = std::move(*key);
  }

  StringRule google_rule;
  google_rule.trim = true;
  google_rule.max_len = 256;
  google_rule.no_control = true;
  assign(v.google_project, get_string(body, "google_project", google_rule));
  assign(v.google_location, get_string(body, "google_location", google_rule));
  assign(v.group, get_name(body, "group", 128, false));

  StringRule model_rule;
  model_rule.min_len = 1;
  model_rule.max_len = 256;
  model_rule.trim = true;
  assign(v.models, get_string_list(body, "models", model_rule, 4096));
  assign(v.weight, get_int(body, "weight", 0, kMaxWeight));
  assign(v.priority, get_int(body, "priority", -kMaxWeight, kMaxWeight));
  assign(v.status, get_enum(body, "status", kActiveDisabled));
  assign(v.auto_ban, get_bool(body, "auto_ban"));

  if ((v.type == "vertex" || v.type == "vertex-express") && v.google_location.empty())
    v.google_location = "global";
  return v;
}

// The *_json builders name their keys with Json::StaticString: jsoncpp then keeps a
// pointer to the literal instead of copying it into every object (a 50-item list
// builds ~1000 keys; the copies were a tenth of the worker's time).
Json::Value provider_json(const db::ProviderRow& p, bool mask_key) {
  Json::Value j(Json::objectValue);
  j[Json::StaticString("id")] = Json::Int64(p.id);
  j[Json::StaticString("name")] = p.v.name;
  j[Json::StaticString("type")] = p.v.type;
  j[Json::StaticString("base_url")] = p.v.base_url;
  j[Json::StaticString("api_key")] =
      mask_key ? db::audit::mask_secret_value(p.v.api_key) : p.v.api_key;
  j[Json::StaticString("google_project")] = p.v.google_project;
  j[Json::StaticString("google_location")] = p.v.google_location;
  j[Json::StaticString("group_id")] = Json::Int64(p.group_id);
  j[Json::StaticString("group")] = p.v.group;
  Json::Value& models = j[Json::StaticString("models")] = Json::Value(Json::arrayValue);
  for (const auto& m : p.v.models) models.append(m);
  j[Json::StaticString("status")] = p.v.status;
  j[Json::StaticString("auto_ban")] = p.v.auto_ban;
  j[Json::StaticString("weight")] = Json::Int64(p.v.weight);
  j[Json::StaticString("priority")] = Json::Int64(p.v.priority);
  j[Json::StaticString("created_at")] = p.created_at;
  j[Json::StaticString("updated_at")] = p.updated_at;
  return j;
}

db::ProviderFilter provider_filter(const QueryParams& params) {
  check_query_params(params, {"group", "type", "status"});
  db::ProviderFilter f;
  f.group = query(params, "group");
  f.type = query_enum(params, "type", kProviderTypes);
  f.status = query_enum(params, "status", kActiveDisabled);
  return f;
}

// ---- models -------------------------------------------------------------------

std::string model_name_problem(const std::string& name) {
  const auto dot = name.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == name.size())
    return "name must be namespace.public_model (e.g. default.gpt-4o)";
  if (dot > 128) return "the namespace part of name must be at most 128 bytes";
  if (name.size() > 256) return "name must be at most 256 bytes";
  if (name.find('/') != std::string::npos)
    return "name must not contain '/' (it is one path segment of /models/{name})";
  if (name.find('\0') != std::string::npos || !is_valid_utf8(name))
    return "name must be UTF-8 text without NUL characters";
  if (blank(name.substr(0, dot)) || blank(name.substr(dot + 1)))
    return "the namespace and public model parts of name must not be blank";
  return {};
}

db::ModelValues model_values(const Json::Value& body, const db::ModelValues* current) {
  reject_unknown(
      body,
      {"name", "kind", "context_window", "cost_per_token", "supports_vision", "supports_functions",
       "supports_tool_choice", "supports_fim", "supports_stream", "max_output_tokens",
       "input_price", "output_price", "cache_read_price", "currency"},
      {"id", "namespace", "public_model", "created_at", "updated_at"});
  const bool create = current == nullptr;
  db::ModelValues v = create ? db::ModelValues{} : *current;
  if (auto name = get_name(body, "name", 256, create)) {
    if (auto problem = model_name_problem(*name); !problem.empty()) invalid("name", problem);
    v.name = std::move(*name);
  }
  assign(v.kind, get_enum(body, "kind", kModelKinds));
  assign(v.context_window, get_int(body, "context_window", 0, kInt32Max));
  assign(v.cost_per_token, get_number(body, "cost_per_token", 0, 1e9));
  assign(v.supports_vision, get_bool(body, "supports_vision"));
  assign(v.supports_functions, get_bool(body, "supports_functions"));
  assign(v.supports_tool_choice, get_bool(body, "supports_tool_choice"));
  assign(v.supports_fim, get_bool(body, "supports_fim"));
  assign(v.supports_stream, get_bool(body, "supports_stream"));
  assign(v.max_output_tokens, get_int(body, "max_output_tokens", 0, kInt32Max));
  for (auto [field, target] :
       {std::pair{"input_price", &v.input_price}, std::pair{"output_price", &v.output_price},
        std::pair{"cache_read_price", &v.cache_read_price}}) {
    if (auto p = get_price(body, field)) *target = std::move(*p);
  }
  if (auto c = get_string(body, "currency", {.min_len = 3, .max_len = 3, .trim = true})) {
    std::string cur = *c;
    std::transform(cur.begin(), cur.end(), cur.begin(), [](unsigned char ch) {
      return static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 32 : ch);
    });
    if (!std::all_of(cur.begin(), cur.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; }))
      invalid("currency", "currency must be a three-letter ISO 4217 code such as USD");
    v.currency = std::move(cur);
  }
  // Half a price would price every request as if the other half were free.
  if (v.input_price.has_value() != v.output_price.has_value())
    invalid(v.input_price ? "output_price" : "input_price",
            "input_price and output_price are set (or cleared) together");
  if (v.cache_read_price && !v.input_price)
    invalid("cache_read_price", "cache_read_price needs input_price and output_price");
  return v;
}

Json::Value model_json(const db::ModelRow& m) {
  Json::Value j(Json::objectValue);
  const auto dot = m.v.name.find('.');
  j[Json::StaticString("id")] = Json::Int64(m.id);
  j[Json::StaticString("name")] = m.v.name;
  j[Json::StaticString("namespace")] = m.v.name.substr(0, dot);
  j[Json::StaticString("public_model")] =
      dot == std::string::npos ? std::string() : m.v.name.substr(dot + 1);
  j[Json::StaticString("kind")] = m.v.kind;
  j[Json::StaticString("context_window")] = Json::Int64(m.v.context_window);
  j[Json::StaticString("cost_per_token")] = m.v.cost_per_token;
  j[Json::StaticString("supports_vision")] = m.v.supports_vision;
  j[Json::StaticString("supports_functions")] = m.v.supports_functions;
  j[Json::StaticString("supports_tool_choice")] = m.v.supports_tool_choice;
  j[Json::StaticString("supports_fim")] = m.v.supports_fim;
  j[Json::StaticString("supports_stream")] = m.v.supports_stream;
  j[Json::StaticString("max_output_tokens")] = Json::Int64(m.v.max_output_tokens);
  j[Json::StaticString("input_price")] = price_json(m.v.input_price);
  j[Json::StaticString("output_price")] = price_json(m.v.output_price);
  j[Json::StaticString("cache_read_price")] = price_json(m.v.cache_read_price);
  j[Json::StaticString("currency")] = m.v.currency;
  j[Json::StaticString("created_at")] = m.created_at;
  j[Json::StaticString("updated_at")] = m.updated_at;
  return j;
}

db::ModelFilter model_filter(const QueryParams& params) {
  check_query_params(params, {"namespace", "kind"});
  db::ModelFilter f;
  f.ns = query(params, "namespace", 128);
  f.kind = query_enum(params, "kind", kModelKinds);
  return f;
}

// ---- bindings -----------------------------------------------------------------

db::BindingValues binding_values(const Json::Value& body, const db::BindingValues* current) {
  reject_unknown(body,
                 {"namespace", "public_model", "route_group", "selector_type", "selector_value",
                  "weight", "status"},
                 {"id", "created_at", "updated_at"});
  const bool create = current == nullptr;
  db::BindingValues v = create ? db::BindingValues{} : *current;
  if (auto ns = get_name(body, "namespace", 128, create)) {
    if (ns->find('.') != std::string::npos)
      invalid("namespace", "namespace must not contain '.' (models are namespace.public_model)");
    v.ns = std::move(*ns);
  }
  assign(v.public_model, get_name(body, "public_model", 256, create));
  assign(v.route_group, get_name(body, "route_group", 128, create));
  assign(v.selector_type, get_enum(body, "selector_type", kSelectorTypes));
  StringRule selector_rule;
  selector_rule.max_len = 1024;
  if (auto value = get_string(body, "selector_value", selector_rule))
    // Stored as the balancer reads it: trimmed like Go's strings.TrimSpace.
    v.selector_value = std::string(snapshot::trim_space(*value));
  assign(v.weight, get_int(body, "weight", 0, kMaxWeight));
  assign(v.status, get_enum(body, "status", kActiveDisabled));

  // Checked on the merged values: a PUT may change only the type or only the value.
  if (v.selector_type == "regex") {
    if (v.selector_value.empty())
      invalid("selector_value",
              "selector_value must be a regular expression when selector_type is regex");
    if (v.selector_value.size() > 512)
      invalid("selector_value", "a regex selector_value must be at most 512 bytes");
    // The compile the snapshot builder and the balancer (Go's regexp) do.
    if (auto problem = snapshot::regex_problem(v.selector_value); !problem.empty())
      invalid("selector_value", "selector_value is not a valid RE2 regular expression: " + problem);
  }
  return v;
}

Json::Value binding_json(const db::BindingRow& b) {
  Json::Value j(Json::objectValue);
  j[Json::StaticString("id")] = Json::Int64(b.id);
  j[Json::StaticString("namespace")] = b.v.ns;
  j[Json::StaticString("public_model")] = b.v.public_model;
  j[Json::StaticString("route_group")] = b.v.route_group;
  j[Json::StaticString("selector_type")] = b.v.selector_type;
  j[Json::StaticString("selector_value")] = b.v.selector_value;
  j[Json::StaticString("weight")] = Json::Int64(b.v.weight);
  j[Json::StaticString("status")] = b.v.status;
  j[Json::StaticString("created_at")] = b.created_at;
  j[Json::StaticString("updated_at")] = b.updated_at;
  return j;
}

db::BindingFilter binding_filter(const QueryParams& params) {
  check_query_params(params, {"namespace", "public_model"});
  db::BindingFilter f;
  f.ns = query(params, "namespace", 128);
  f.public_model = query(params, "public_model");
  return f;
}

// ---- features -----------------------------------------------------------------

std::vector<FeatureChange> feature_changes(const Json::Value& body) {
  require_object(body);
  if (body.size() > 1000) fail(ErrorCode::bad_request, "at most 1000 flags per request");
  std::vector<FeatureChange> out;
  for (const auto& name : body.getMemberNames()) {
    // Flag names become Redis hash fields and query values: keep them plain.
    const bool ok_name =
        !name.empty() && name.size() <= 128 && std::all_of(name.begin(), name.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-' || c == '.' || c == ':';
        });
    if (!ok_name) invalid(name, "flag names are 1-128 characters of A-Z a-z 0-9 _ - . :");
    const Json::Value& v = body[name];
    FeatureChange c{name, std::nullopt};
    switch (v.type()) {
      case Json::nullValue:
        break;
      case Json::booleanValue:
      case Json::intValue:
      case Json::uintValue:
        c.value = v;
        break;
      case Json::realValue:
        c.value = *get_number(body, name.c_str(), -std::numeric_limits<double>::max(),
                              std::numeric_limits<double>::max());
        break;
      case Json::stringValue: {
        StringRule rule;
        rule.max_len = 4096;
        c.value = Json::Value(*get_string(body, name.c_str(), rule));
        break;
      }
      case Json::arrayValue:
      case Json::objectValue:
        invalid(name, "a flag value must be a string, boolean, number or null (to delete)");
    }
    out.push_back(std::move(c));
  }
  return out;
}

// ---- audit --------------------------------------------------------------------

db::audit::Filter audit_filter(const QueryParams& params) {
  check_query_params(params, {"resource", "actor", "resource_id", "since", "until"});
  db::audit::Filter f;
  // The names audit rows carry: a plural or a typo would match nothing and look empty.
  f.resource = query_enum(params, "resource", kAuditResources);
  f.actor = query(params, "actor");
  f.resource_id = query(params, "resource_id");
  std::optional<TimePoint> since, until;
  auto time_param = [&](const char* name, std::string& out, std::optional<TimePoint>& t) {
    const std::string text = query(params, name, 64);
    if (text.empty()) return;
    t = parse_rfc3339(text);
    if (!t) fail(ErrorCode::bad_request, std::string(name) + " " + kTimeRule, name);
    out = format_rfc3339(*t);
  };
  time_param("since", f.since, since);
  time_param("until", f.until, until);
  if (since && until && *since > *until)
    fail(ErrorCode::bad_request, "since must not be after until", "since");
  return f;
}

Json::Value audit_json(const db::audit::Row& row) {
  Json::Value j(Json::objectValue);
  j["id"] = Json::Int64(row.id);
  j["at"] = row.at;
  j["actor"] = row.actor;
  j["action"] = row.action;
  j["resource"] = row.resource;
  j["resource_id"] = row.resource_id;
  j["before"] = row.before;
  j["after"] = row.after;
  j["request_id"] = row.request_id;
  return j;
}

}  // namespace ez::domain
