#include "api/serve.h"

#include "api/dispatch.h"
#include "api/routes.h"
#include "common/log.h"
#include "http/error.h"
#include "http/fcgi_io.h"

namespace ez::api {

FastcgiServer::FastcgiServer(context::Context& ctx) : ctx_(ctx), router_(build_router()) {}

ServeResult FastcgiServer::serve(FCGX_Request& fcgi, const OnRouted& on_routed) noexcept {
  ServeResult result;
  Outcome out;
  std::string request_id;
  try {
    // Always read to the end (read_request drains an oversized body): libfcgi must
    // see stdin consumed before the response, or nginx sees a broken stream.
    http::ReadResult read = http::read_request(fcgi, ctx_.settings().http_max_body_bytes);
    http::Request& request = read.request;
    request_id = request.request_id;
    result.method = request.method;
    result.path = request.path;
    log::set_request_id(request_id);

    const http::Match m = router_.match(request);
    const std::string pattern = m.route ? m.route->pattern : "unmatched";
    if (on_routed) on_routed(result.method, pattern);

    if (read.too_large) {
      out.route = pattern;
      out.response = http::to_response(http::ApiError(
          http::ErrorCode::payload_too_large,
          "request body exceeds " + std::to_string(ctx_.settings().http_max_body_bytes) +
              " bytes (http.max_body_bytes)"));
    } else if (read.bad_query) {
      out.route = pattern;
      out.response =
          http::to_response(http::ApiError(http::ErrorCode::bad_request, "malformed query string"));
    } else {
      out = dispatch(ctx_, m, request);
    }
  } catch (const std::exception& e) {
    // dispatch() maps every handler failure itself; this is reading the request.
    log::error(std::string("request failed outside the handler: ") + e.what());
    out.route = "unmatched";
    out.response = http::to_response(http::ApiError(http::ErrorCode::internal, "internal error"));
  }
  try {
    if (request_id.empty()) request_id = http::sanitize_request_id("");
    http::write_response(fcgi, out.response, request_id);
  } catch (const std::exception& e) {
    log::error(std::string("writing the response failed: ") + e.what());
  }
  result.route = out.route;
  result.status = out.response.status;
  return result;
}

}  // namespace ez::api
