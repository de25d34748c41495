// One HTTP request as the worker sees it (built from FastCGI params by fcgi_io,
// or by hand in unit tests).
#pragma once

#include <json/value.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/json_text.h"

namespace ez::http {

struct Request {
  std::string method;    // GET, POST, ...
  std::string path;      // decoded path, no query
  std::string raw_path;  // as sent (percent-encoded); the router splits this one so
                         // that an encoded '/' stays inside its segment
  std::multimap<std::string, std::string> query;  // decoded query parameters
  std::map<std::string, std::string> headers;     // lower-case names ("x-request-id")
  std::string body;
  std::string client_addr;
  std::string request_id;
  std::map<std::string, std::string> params;  // path parameters, filled by the router

  [[nodiscard]] std::optional<std::string> header(const std::string& lower_name) const;
  [[nodiscard]] std::optional<std::string> query_param(const std::string& name) const;
  [[nodiscard]] const std::string& param(const std::string& name) const;

  // The body parsed as JSON; 400 bad_json with the parser's position otherwise.
  [[nodiscard]] Json::Value json_body() const;
  // Bearer token from Authorization, if any.
  [[nodiscard]] std::optional<std::string> bearer_token() const;
};

// Splits "a=1&b=x%20y" into decoded pairs (Poco::URI does the decoding).
[[nodiscard]] std::multimap<std::string, std::string> parse_query(const std::string& raw);

// Strict integer parsing for ids and query parameters: 404 for a bad id is the
// caller's choice; these only say whether the text is an integer in range.
using ez::parse_int64;  // common/json_text.h

}  // namespace ez::http
