#include "domain/validate.h"

#include <Poco/Exception.h>
#include <Poco/Net/IPAddress.h>
#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

#include "common/error.h"

namespace ez::domain {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  return s.substr(b, e - b);
}

}  // namespace

const char* type_name(const Json::Value& v) {
  switch (v.type()) {
    case Json::nullValue:
      return "null";
    case Json::intValue:
    case Json::uintValue:
      return "an integer";
    case Json::realValue:
      return "a number";
    case Json::stringValue:
      return "a string";
    case Json::booleanValue:
      return "a boolean";
    case Json::arrayValue:
      return "an array";
    case Json::objectValue:
      return "an object";
  }
  return "unknown";
}

namespace {

[[noreturn]] void wrong_type(const std::string& field, const char* expected, const Json::Value& v) {
  invalid(field, field + " must be " + expected + ", not " + type_name(v));
}

// The member or nullptr when absent; `required` makes absence a 400.
const Json::Value* member(const Json::Value& obj, const char* field, bool required) {
  if (!obj.isObject()) fail(ErrorCode::bad_json, "a JSON object is expected");
  const Json::Value* v = obj.find(field, field + std::char_traits<char>::length(field));
  if (!v) {
    if (required) fail(ErrorCode::missing_field, std::string(field) + " is required", field);
    return nullptr;
  }
  return v;
}

std::string check_string(const std::string& field, const Json::Value& v, const StringRule& rule) {
  if (!v.isString()) wrong_type(field, "a string", v);
  std::string s = v.asString();
  if (!is_valid_utf8(s)) invalid(field, field + " is not valid UTF-8");
  if (s.find('\0') != std::string::npos) invalid(field, field + " must not contain NUL characters");
  if (rule.trim) s = trim(s);
  if (rule.lower)
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) {
      return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    });
  if (rule.no_control &&
      std::any_of(s.begin(), s.end(), [](unsigned char c) { return c < 0x20 || c == 0x7F; }))
    invalid(field, field + " must not contain control characters");
  if (s.size() < rule.min_len)
    invalid(field, rule.min_len == 1
                       ? field + " must not be empty"
                       : field + " must be at least " + std::to_string(rule.min_len) + " bytes");
  if (s.size() > rule.max_len)
    invalid(field, field + " must be at most " + std::to_string(rule.max_len) + " bytes");
  return s;
}

std::string join(std::initializer_list<std::string_view> values) {
  std::string out;
  for (auto v : values) {
    if (!out.empty()) out += ", ";
    out += v;
  }
  return out;
}

}  // namespace

void require_object(const Json::Value& body) {
  if (!body.isObject())
    fail(ErrorCode::bad_json, std::string("a JSON object is expected, not ") + type_name(body));
}

void reject_unknown(const Json::Value& obj, std::initializer_list<std::string_view> allowed,
                    std::initializer_list<std::string_view> ignored) {
  require_object(obj);
  for (const auto& name : obj.getMemberNames()) {
    auto known = [&](std::initializer_list<std::string_view> list) {
      return std::find(list.begin(), list.end(), name) != list.end();
    };
    if (!known(allowed) && !known(ignored))
      invalid(name, "unknown field " + name + " (known: " + join(allowed) + ")");
  }
}

std::optional<std::string> get_string(const Json::Value& obj, const char* field,
                                      const StringRule& rule) {
  const Json::Value* v = member(obj, field, rule.required);
  if (!v) return std::nullopt;
  return check_string(field, *v, rule);
}

std::optional<int64_t> get_int(const Json::Value& obj, const char* field, int64_t min, int64_t max,
                               bool required) {
  const Json::Value* v = member(obj, field, required);
  if (!v) return std::nullopt;
  const std::string range = std::string(field) + " must be between " + std::to_string(min) +
                            " and " + std::to_string(max);
  // Not isIntegral(): jsoncpp says yes to 1.0, and 1.0 is not what an integer field takes.
  if (v->type() == Json::intValue || v->type() == Json::uintValue) {
    if (v->type() == Json::uintValue &&
        v->asUInt64() > uint64_t(std::numeric_limits<int64_t>::max()))
      invalid(field, range);
    const int64_t n = v->asInt64();
    if (n < min || n > max) invalid(field, range);
    return n;
  }
  if (v->type() == Json::realValue) {
    // jsoncpp turns integers beyond 64 bits (99999999999999999999) into doubles:
    // report those as out of range rather than "not an integer".
    const double d = v->asDouble();
    if (!std::isfinite(d) || (std::trunc(d) == d && std::fabs(d) >= 9.2e18)) invalid(field, range);
    invalid(field, std::string(field) + " must be an integer");
  }
  wrong_type(field, "an integer", *v);
}

std::optional<double> get_number(const Json::Value& obj, const char* field, double min, double max,
                                 bool required) {
  const Json::Value* v = member(obj, field, required);
  if (!v) return std::nullopt;
  if (!v->isNumeric() || v->isBool()) wrong_type(field, "a number", *v);
  const double d = v->asDouble();
  if (!std::isfinite(d) || d < min || d > max) {
    char buf[128];
    std::snprintf(buf, sizeof buf, " must be a finite number between %g and %g", min, max);
    invalid(field, field + std::string(buf));
  }
  return d;
}

std::optional<bool> get_bool(const Json::Value& obj, const char* field, bool required) {
  const Json::Value* v = member(obj, field, required);
  if (!v) return std::nullopt;
  if (!v->isBool()) wrong_type(field, "a boolean", *v);
  return v->asBool();
}

std::optional<std::vector<std::string>> get_string_list(const Json::Value& obj, const char* field,
                                                        const StringRule& item, size_t max_items,
                                                        bool required) {
  const Json::Value* v = member(obj, field, required);
  if (!v) return std::nullopt;
  if (!v->isArray()) wrong_type(field, "an array of strings", *v);
  if (v->size() > max_items)
    invalid(field,
            std::string(field) + " must have at most " + std::to_string(max_items) + " items");
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (Json::ArrayIndex i = 0; i < v->size(); ++i) {
    const std::string name = std::string(field) + "[" + std::to_string(i) + "]";
    std::string s = check_string(name, (*v)[i], item);
    if (seen.insert(s).second) out.push_back(std::move(s));
  }
  return out;
}

std::optional<std::string> get_enum(const Json::Value& obj, const char* field,
                                    std::initializer_list<std::string_view> allowed,
                                    bool required) {
  const Json::Value* v = member(obj, field, required);
  if (!v) return std::nullopt;
  StringRule rule;
  rule.trim = rule.lower = true;
  std::string s = check_string(field, *v, rule);
  if (std::find(allowed.begin(), allowed.end(), s) == allowed.end())
    invalid(field, std::string(field) + " must be one of: " + join(allowed));
  return s;
}

std::string check_enum(const std::string& value, const char* field,
                       std::initializer_list<std::string_view> allowed) {
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end())
    fail(ErrorCode::bad_request, std::string(field) + " must be one of: " + join(allowed), field);
  return value;
}

// ---- time -------------------------------------------------------------------

std::optional<std::string> get_time(const Json::Value& obj, const char* field, bool required) {
  const Json::Value* v = member(obj, field, required);
  if (!v) return std::nullopt;
  if (!v->isString()) wrong_type(field, "an RFC 3339 time string", *v);
  auto t = parse_rfc3339(v->asString());
  if (!t) invalid(field, std::string(field) + " " + kTimeRule);
  return format_rfc3339(*t);
}

// ---- query parameters ---------------------------------------------------------

void check_query_params(const std::multimap<std::string, std::string>& query,
                        std::initializer_list<std::string_view> filters) {
  for (const auto& [name, value] : query) {
    (void)value;
    if (name == "limit" || name == "cursor") continue;
    if (std::find(filters.begin(), filters.end(), name) != filters.end()) continue;
    std::string known;
    for (auto f : filters) known += std::string(f) + ", ";
    known += "limit, cursor";
    // Names are client text: keep the message printable and short.
    std::string shown;
    for (unsigned char c : name.substr(0, 64)) shown += (c >= 0x20 && c < 0x7f) ? char(c) : '?';
    fail(ErrorCode::bad_request, "unknown query parameter '" + shown + "' (known: " + known + ")",
         shown);
  }
}

// ---- networks -----------------------------------------------------------------

std::optional<std::string> normalize_cidr(std::string_view text) {
  const auto slash = text.find('/');
  const std::string addr_text(text.substr(0, slash));
  // inet_pton is the strict parser: dotted quads only (no "10.1" shorthand), no
  // scope ids, and it takes "::" (Poco's tryParse does not). Poco formats.
  unsigned char bytes[16];
  unsigned max_prefix;
  if (inet_pton(AF_INET, addr_text.c_str(), bytes) == 1)
    max_prefix = 32;
  else if (inet_pton(AF_INET6, addr_text.c_str(), bytes) == 1)
    max_prefix = 128;
  else
    return std::nullopt;
  const std::string canonical = Poco::Net::IPAddress(bytes, max_prefix / 8).toString();
  if (slash == std::string_view::npos) return canonical;
  const std::string_view prefix_text = text.substr(slash + 1);
  unsigned prefix = 0;
  auto [p, ec] =
      std::from_chars(prefix_text.data(), prefix_text.data() + prefix_text.size(), prefix);
  if (prefix_text.empty() || prefix_text.size() > 3 || ec != std::errc() ||
      p != prefix_text.data() + prefix_text.size() || prefix > max_prefix)
    return std::nullopt;
  // Host bits set ("10.0.0.1/8") is ambiguous (a host or its network?): refuse.
  for (unsigned bit = prefix; bit < max_prefix; ++bit)
    if (bytes[bit / 8] & (0x80u >> (bit % 8))) return std::nullopt;
  return canonical + "/" + std::to_string(prefix);
}

std::optional<std::vector<std::string>> get_cidr_list(const Json::Value& obj, const char* field,
                                                      size_t max_items) {
  StringRule rule;
  rule.trim = true;
  rule.max_len = 64;
  auto list = get_string_list(obj, field, rule, max_items);
  if (!list) return list;
  std::vector<std::string> out;
  for (size_t i = 0; i < list->size(); ++i) {
    auto n = normalize_cidr((*list)[i]);
    if (!n)
      invalid(std::string(field) + "[" + std::to_string(i) + "]",
              "not an IP address or CIDR network (e.g. 10.0.0.0/8, 2001:db8::/32): " + (*list)[i]);
    if (std::find(out.begin(), out.end(), *n) == out.end()) out.push_back(*n);
  }
  return out;
}

// ---- ids --------------------------------------------------------------------

int64_t parse_id(const std::string& text, const std::string& what) {
  if (text.empty() || text.size() > 19 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
    not_found(what);
  int64_t id = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || p != text.data() + text.size() || id <= 0) not_found(what);
  return id;
}

}  // namespace ez::domain
