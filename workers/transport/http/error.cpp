#include "http/error.h"

#include "http/response.h"

namespace ez::http {

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_json:
    case ErrorCode::invalid_field:
    case ErrorCode::missing_field:
    case ErrorCode::bad_request:
      return 400;
    case ErrorCode::unauthorized:
      return 401;
    case ErrorCode::forbidden:
      return 403;
    case ErrorCode::not_found:
      return 404;
    case ErrorCode::method_not_allowed:
      return 405;
    case ErrorCode::conflict:
      return 409;
    case ErrorCode::payload_too_large:
      return 413;
    case ErrorCode::unsupported_media:
      return 415;
    case ErrorCode::too_many_requests:
      return 429;
    case ErrorCode::queue_full:
    case ErrorCode::overloaded:
    case ErrorCode::query_timeout:
    case ErrorCode::unavailable:
      return 503;
    case ErrorCode::internal:
      return 500;
  }
  return 500;
}

Response to_response(const ApiError& error) {
  Json::Value body(Json::objectValue);
  body["error"] = error.what();
  body["code"] = std::string(code_name(error.code()));
  if (!error.field().empty()) body["field"] = error.field();
  Response r = json(http_status(error.code()), body);
  if (error.code() == ErrorCode::unauthorized) r.header("WWW-Authenticate", "Bearer");
  // Every 503 and 429 says when to come back (RFC 9110 15.6.4, RFC 6585), so a client
  // never has to guess: the error's own value, else one second (a database or Redis
  // blip, a full queue).
  if (error.retry_after() > 0)
    r.header("Retry-After", std::to_string(error.retry_after()));
  else if (r.status == 503 || r.status == 429)
    r.header("Retry-After", std::to_string(kDefaultRetryAfterSeconds));
  return r;
}

}  // namespace ez::http
