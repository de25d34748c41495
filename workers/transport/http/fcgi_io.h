// FastCGI <-> Request/Response. The only place that knows FCGX.
#pragma once

#include <fcgiapp.h>

#include <cstdint>

#include "http/request.h"
#include "http/response.h"

namespace ez::http {

struct ReadResult {
  Request request;
  bool too_large = false;  // body exceeded the limit (it was still drained)
  bool bad_query = false;  // the query string could not be decoded
  bool broken = false;     // stdin ended in an error (the connection broke mid-request)
};

// Builds the Request from the FastCGI params and reads the body to the end:
// libfcgi must see the whole stdin consumed or the next request on the
// connection is corrupted, so an oversized body is drained and dropped.
[[nodiscard]] ReadResult read_request(FCGX_Request& fcgi, int64_t max_body_bytes);

// Writes status line, headers (with X-Request-ID) and body. A streamed body stops at
// the first failed write (the Writer throws http::ClientGone, caught here).
void write_response(FCGX_Request& fcgi, const Response& response, const std::string& request_id);

// A request id safe to echo: printable ASCII, at most 128 chars; else generated.
[[nodiscard]] std::string sanitize_request_id(const std::string& raw);

}  // namespace ez::http
