// The error vocabulary in HTTP: each code of common/error.h maps to one status here,
// and the dispatcher turns any ez::Error into
// {"error": "...", "code": "...", "field": "..."} exactly once (to_response).
#pragma once

#include "common/error.h"

namespace ez::http {

struct Response;

// The vocabulary itself lives in base (common/error.h) so that storage and services
// throw it without knowing HTTP; these names keep handler code short.
using ErrorCode = ez::ErrorCode;
using ApiError = ez::Error;
using ez::code_name;
using ez::fail;
using ez::invalid;
using ez::not_found;

[[nodiscard]] int http_status(ErrorCode code);

// Retry-After of a 503 whose error did not set one.
inline constexpr int kDefaultRetryAfterSeconds = 1;

// The single place an error becomes an HTTP answer (every 503 carries Retry-After).
[[nodiscard]] Response to_response(const ApiError& error);

}  // namespace ez::http
