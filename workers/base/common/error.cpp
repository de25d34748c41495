#include "common/error.h"

namespace ez {

std::string_view code_name(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_json:
      return "bad_json";
    case ErrorCode::invalid_field:
      return "invalid_field";
    case ErrorCode::missing_field:
      return "missing_field";
    case ErrorCode::bad_request:
      return "bad_request";
    case ErrorCode::unauthorized:
      return "unauthorized";
    case ErrorCode::forbidden:
      return "forbidden";
    case ErrorCode::not_found:
      return "not_found";
    case ErrorCode::method_not_allowed:
      return "method_not_allowed";
    case ErrorCode::conflict:
      return "conflict";
    case ErrorCode::payload_too_large:
      return "payload_too_large";
    case ErrorCode::unsupported_media:
      return "unsupported_media_type";
    case ErrorCode::queue_full:
      return "queue_full";
    case ErrorCode::too_many_requests:
      return "too_many_requests";
    case ErrorCode::overloaded:
      return "overloaded";
    case ErrorCode::query_timeout:
      return "query_timeout";
    case ErrorCode::unavailable:
      return "unavailable";
    case ErrorCode::internal:
      return "internal";
  }
  return "internal";
}

void fail(ErrorCode code, const std::string& message, const std::string& field) {
  throw Error(code, message, field);
}

}  // namespace ez
