#include "db/json_columns.h"

#include <json/reader.h>

#include <memory>

#include "common/json_text.h"
#include "common/time.h"

namespace ez::db {

std::string json_array_text(const std::vector<std::string>& items) {
  return to_json(string_array_json(items));
}

Json::Value string_array_json(const std::vector<std::string>& items) {
  Json::Value a(Json::arrayValue);
  for (const auto& s : items) a.append(s);
  return a;
}

Json::Value parse_json_text(const std::string& text) {
  if (text.empty()) return Json::Value(Json::nullValue);
  static const Json::CharReaderBuilder builder;
  std::unique_ptr<Json::CharReader> reader(builder.newCharReader());
  Json::Value v;
  std::string errors;
  if (!reader->parse(text.data(), text.data() + text.size(), &v, &errors))
    return Json::Value(Json::nullValue);
  return v;
}

std::string rfc3339_from_micros(int64_t micros) {
  return format_rfc3339(TimePoint(std::chrono::microseconds(micros)));
}

}  // namespace ez::db
