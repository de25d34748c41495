#include "http/response.h"

#include <json/writer.h>

#include <cctype>
#include <charconv>
#include <cstring>

namespace ez::http {

Response json(int status, const Json::Value& value) {
  Response r;
  r.status = status;
  r.body = to_json(value);
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
