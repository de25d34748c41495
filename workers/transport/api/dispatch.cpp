#include "api/dispatch.h"

#include <chrono>
#include <pqxx/except>

#include "common/log.h"
#include "db/pg.h"
#include "http/error.h"
#include "redisx/redis.h"

namespace ez::api {

using http::ApiError;
using http::ErrorCode;

Outcome dispatch(Context& ctx, const http::Router& router, http::Request& request) {
  const http::Match m = router.match(request);
  return dispatch(ctx, m, request);
}

namespace {

// How long a request waits for PostgreSQL to come back (a failover promotes the
// replica in a second or two) before it answers 503.
constexpr std::chrono::milliseconds kReconnectBudget{3000};
constexpr int kRetryAfterSeconds = 1;

ApiError unavailable(const char* what) {
  return ApiError(ErrorCode::unavailable, what).with_retry_after(kRetryAfterSeconds);
}

// Runs the handler; when its transaction died with the connection (it did not
// commit: a lost COMMIT is in_doubt_error, handled by the caller), reconnects
// (to the new primary after a failover) and runs it once more. Safe because a
// handler commits at most once and as its last database action: everything it
// did before the loss was rolled back with the session.
http::Response run_with_reconnect(Context& ctx, const http::Route& route, http::Request& request) {
  try {
    return route.handler(ctx, request);
  } catch (const std::exception& e) {
    if (!db::is_connection_loss(e)) throw;
    log::warn(std::string("postgres connection lost, reconnecting and retrying: ") + e.what());
    ctx.mark_pg_broken();
    if (!ctx.pg().reconnect_within(kReconnectBudget)) throw unavailable("database unavailable");
  }
  return route.handler(ctx, request);
}

}  // namespace

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
    out.response = run_with_reconnect(ctx, *m.route, request);
  } catch (const ApiError& e) {
    if (e.code() == ErrorCode::internal) log::error(std::string("internal error: ") + e.what());
    if (e.code() == ErrorCode::unavailable && e.retry_after() == 0) {
      // Every 503 tells the client when to come back.
      ApiError with = e;
      out.response = http::to_response(with.with_retry_after(kRetryAfterSeconds));
      return out;
    }
    out.response = http::to_response(e);
  } catch (const pqxx::broken_connection& e) {
    ctx.mark_pg_broken();
    log::warn(std::string("postgres connection lost: ") + e.what());
    out.response = http::to_response(unavailable("database unavailable"));
  } catch (const pqxx::in_doubt_error& e) {
    // The COMMIT was sent and its answer lost: the write is wholly applied or
    // wholly not (one transaction). Not retried: the client reads and decides.
    ctx.mark_pg_broken();
    log::warn(std::string("postgres commit in doubt: ") + e.what());
    out.response = http::to_response(
        unavailable("database connection lost during commit; the change may or may not be "
                    "applied: read it back before retrying"));
  } catch (const pqxx::unique_violation& e) {
    out.response = http::to_response(ApiError(ErrorCode::conflict, "already exists"));
  } catch (const pqxx::foreign_key_violation& e) {
    out.response = http::to_response(
        ApiError(ErrorCode::conflict, "refers to a missing resource or is still referenced"));
  } catch (const pqxx::check_violation& e) {
    out.response = http::to_response(ApiError(ErrorCode::invalid_field, "value out of range"));
  } catch (const pqxx::sql_error& e) {
    if (db::is_connection_loss(e)) {
      // Still failing after the reconnect (e.g. only a standby is reachable).
      ctx.mark_pg_broken();
      log::warn(std::string("postgres unavailable: ") + e.what());
      out.response = http::to_response(unavailable("database unavailable"));
      return out;
    }
    // SQL goes to the log, never to the client.
    log::error(std::string("sql error: ") + e.what() + " query: " + e.query());
    out.response = http::to_response(ApiError(ErrorCode::internal, "internal error"));
  } catch (const redisx::RedisError& e) {
    log::warn(e.what());
    out.response = http::to_response(unavailable("redis unavailable"));
  } catch (const std::exception& e) {
    log::error(std::string("unhandled exception: ") + e.what());
    out.response = http::to_response(ApiError(ErrorCode::internal, "internal error"));
  }
  return out;
}

}  // namespace ez::api
