#include "http/response.h"

#include "http/json_writer.h"

namespace ez::http {

std::string to_json(const Json::Value& value) {
  std::string text;
  text.reserve(256);
  append_json(text, value);
  return text;
}

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
