#include "api/dispatch.h"

#include <pqxx/except>

#include "common/log.h"
#include "http/error.h"
#include "redisx/redis.h"

namespace ez::api {

using http::ApiError;
using http::ErrorCode;

Outcome dispatch(Context& ctx, const http::Router& router, http::Request& request) {
  const http::Match m = router.match(request);
  return dispatch(ctx, m, request);
}

Outcome dispatch(Context& ctx, const http::Match& m, http::Request& request) {
  Outcome out;
  out.route = "unmatched";
  try {
    if (!m.route) {
      if (m.path_matched) {
        ApiError e(ErrorCode::method_not_allowed,
                   "method " + request.method + " not allowed on " + request.path);
        out.response = http::to_response(e);
        out.response.header("Allow", m.allowed);
        return out;
      }
      throw ApiError(ErrorCode::not_found, "no route for " + request.path);
    }
    out.route = m.route->pattern;
    out.response = m.route->handler(ctx, request);
  } catch (const ApiError& e) {
    if (e.code() == ErrorCode::internal) log::error(std::string("internal error: ") + e.what());
    out.response = http::to_response(e);
  } catch (const pqxx::broken_connection& e) {
    ctx.pg().mark_broken();
    log::warn(std::string("postgres connection lost: ") + e.what());
    out.response = http::to_response(ApiError(ErrorCode::unavailable, "database unavailable"));
  } catch (const pqxx::unique_violation& e) {
    out.response = http::to_response(ApiError(ErrorCode::conflict, "already exists"));
  } catch (const pqxx::foreign_key_violation& e) {
    out.response = http::to_response(
        ApiError(ErrorCode::conflict, "refers to a missing resource or is still referenced"));
  } catch (const pqxx::check_violation& e) {
    out.response = http::to_response(ApiError(ErrorCode::invalid_field, "value out of range"));
  } catch (const pqxx::sql_error& e) {
    // SQL goes to the log, never to the client.
    log::error(std::string("sql error: ") + e.what() + " query: " + e.query());
    out.response = http::to_response(ApiError(ErrorCode::internal, "internal error"));
  } catch (const redisx::RedisError& e) {
    log::warn(e.what());
    out.response = http::to_response(ApiError(ErrorCode::unavailable, "redis unavailable"));
  } catch (const std::exception& e) {
    log::error(std::string("unhandled exception: ") + e.what());
    out.response = http::to_response(ApiError(ErrorCode::internal, "internal error"));
  }
  return out;
}

}  // namespace ez::api
