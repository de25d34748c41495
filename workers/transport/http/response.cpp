#include "http/response.h"

#include <cctype>
#include <charconv>
#include <cstring>

#include "common/json_writer.h"

namespace ez::http {

Response json(int status, const Json::Value& value) {
  Response r;
  r.status = status;
  r.body.reserve(4096);  // most answers fit: one allocation instead of a doubling series
  append_json(r.body, value);
  r.body += '\n';
  return r;
}

Response text(int status, std::string body, std::string content_type) {
  Response r;
  r.status = status;
  r.content_type = std::move(content_type);
  r.body = std::move(body);
  return r;
}

Response no_content() {
  Response r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

}  // namespace ez::http
