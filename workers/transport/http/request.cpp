#include "http/request.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <json/reader.h>
#include <json/value.h>

#include <cctype>
#include <charconv>
#include <memory>

#include "common/json_text.h"
#include "http/error.h"

namespace ez::http {

std::optional<std::string> Request::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Request::query_param(const std::string& name) const {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

const std::string& Request::param(const std::string& name) const {
  static const std::string empty;
  auto it = params.find(name);
  return it == params.end() ? empty : it->second;
}

Json::Value Request::json_body() const {
  if (body.empty()) fail(ErrorCode::bad_json, "request body is empty; a JSON object is expected");
  if (const auto at = find_json_comment(body))
    fail(ErrorCode::bad_json,
         "invalid JSON: comments are not allowed (offset " + std::to_string(*at) + ")");
  Json::CharReaderBuilder builder;
  // Strict RFC 8259: no comments, no trailing commas, no duplicate keys, an
  // object or array at the root, nothing after it ("{}garbage" is not JSON).
  Json::CharReaderBuilder::strictMode(&builder.settings_);
  builder["collectComments"] = false;
  builder["allowTrailingCommas"] = false;
  builder["stackLimit"] = 64;  // deep nesting is an attack, not a config
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  Json::Value value;
  std::string errors;
  bool ok = false;
  try {
    ok = reader->parse(body.data(), body.data() + body.size(), &value, &errors);
  } catch (const Json::Exception& e) {
    // jsoncpp throws (instead of failing) when the nesting limit is hit.
    fail(ErrorCode::bad_json, std::string("invalid JSON: ") + e.what());
  }
  if (!ok) {
    // jsoncpp's message names line and column; keep only the first line.
    auto nl = errors.find('\n', errors.find('\n') + 1);
    fail(ErrorCode::bad_json, "invalid JSON: " + errors.substr(0, nl));
  }
  return value;
}

std::optional<std::string> Request::bearer_token() const {
  auto auth = header("authorization");
  if (!auth) return std::nullopt;
  // RFC 7235: the scheme is case-insensitive ("bearer", "BEARER"), then one or more spaces.
  constexpr std::string_view kScheme = "bearer";
  if (auth->size() <= kScheme.size() || (*auth)[kScheme.size()] != ' ') return std::nullopt;
  for (size_t i = 0; i < kScheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>((*auth)[i])) != kScheme[i]) return std::nullopt;
  const size_t token = auth->find_first_not_of(' ', kScheme.size());
  if (token == std::string::npos) return std::nullopt;
  return auth->substr(token);
}

std::multimap<std::string, std::string> parse_query(const std::string& raw) {
  std::multimap<std::string, std::string> out;
  if (raw.empty()) return out;
  try {
    Poco::URI uri;
    uri.setRawQuery(raw);
    for (auto& [k, v] : uri.getQueryParameters()) out.emplace(k, v);
  } catch (const Poco::Exception&) {
    fail(ErrorCode::bad_request, "malformed query string");
  }
  return out;
}

}  // namespace ez::http
