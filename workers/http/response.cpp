#include "http/response.h"

#include <json/writer.h>

namespace ez::http {

std::string to_json(const Json::Value& value) {
  // One builder per process: building it is not free and it is not mutated.
  static const Json::StreamWriterBuilder builder = [] {
    Json::StreamWriterBuilder b;
    b["indentation"] = "";
    b["emitUTF8"] = true;
    return b;
  }();
  return Json::writeString(builder, value);
}

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
