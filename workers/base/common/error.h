// The error vocabulary of every layer: a small set of stable codes. Storage, services
// and handlers throw ez::Error; only the transport layer knows what a code means in
// HTTP (http/error.h maps each code to one status and one JSON body, exactly once).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace ez {

enum class ErrorCode {
  bad_json,            // 400: body is not valid JSON (or not the expected shape)
  invalid_field,       // 400: a field has a wrong type or an out-of-range value
  missing_field,       // 400: a required field is absent
  bad_request,         // 400: anything else the client got wrong (bad query parameter...)
  unauthorized,        // 401: no or bad credentials
  forbidden,           // 403: good credentials, not allowed here
  not_found,           // 404: unknown route or id
  method_not_allowed,  // 405
  conflict,            // 409: duplicate name, limit reached, still referenced
  payload_too_large,   // 413
  unsupported_media,   // 415
  queue_full,          // 503 + Retry-After: the log queue cannot take the request
  too_many_requests,   // 429 + Retry-After: this caller already runs as many as it may
  overloaded,          // 503 + Retry-After: the host runs as many of these as it may
  query_timeout,       // 503: the query ran past its statement timeout
  unavailable,         // 503: PostgreSQL or Redis is down
  internal,            // 500: a bug; the message never carries internals
};

// The stable machine-readable name of a code ("invalid_field"), as the API answers it.
[[nodiscard]] std::string_view code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message, std::string field = {})
      : std::runtime_error(message), code_(code), field_(std::move(field)) {}

  ErrorCode code() const { return code_; }
  const std::string& field() const { return field_; }
  int retry_after() const { return retry_after_; }
  Error& with_retry_after(int seconds) {
    retry_after_ = seconds;
    return *this;
  }

 private:
  ErrorCode code_;
  std::string field_;
  int retry_after_ = 0;
};

// Shorthands for the common cases.
[[noreturn]] void fail(ErrorCode code, const std::string& message, const std::string& field = {});
[[noreturn]] inline void invalid(const std::string& field, const std::string& message) {
  fail(ErrorCode::invalid_field, message, field);
}
[[noreturn]] inline void not_found(const std::string& what) {
  fail(ErrorCode::not_found, what + " not found");
}

}  // namespace ez
