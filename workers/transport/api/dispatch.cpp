#include "api/dispatch.h"

#include <chrono>

#include "common/log.h"
#include "db/errors.h"
#include "http/error.h"
#include "redisx/redis.h"

namespace ez::api {

using http::ApiError;
using http::ErrorCode;

Outcome dispatch(context::Context& ctx, const http::Router& router, http::Request& request) {
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

// Runs the handler. A pqxx exception that escaped it (a service translates its own; a
// handler that reads directly, or a COMMIT, may not) is translated here by the same table,
// so every storage failure reaches the answer below as a db::StorageError.
http::Response run_translated(context::Context& ctx, const http::Route& route,
                              http::Request& request) {
  return db::translate_errors([&] { return route.handler(ctx, request); });
}

// Runs the handler; when its transaction died with the connection (it did not
// commit: a lost COMMIT is commit_in_doubt, answered by the caller), reconnects
// (to the new primary after a failover) and runs it once more. Safe because a
// handler commits at most once and as its last database action: everything it
// did before the loss was rolled back with the session.
http::Response run_with_reconnect(context::Context& ctx, const http::Route& route,
                                  http::Request& request) {
  try {
    return run_translated(ctx, route, request);
  } catch (const db::StorageError& e) {
    if (e.failure() != db::Failure::connection_lost) throw;
    log::warn("postgres connection lost, reconnecting and retrying: " + e.detail());
    ctx.mark_pg_broken();
    if (!ctx.pg().reconnect_within(kReconnectBudget)) throw unavailable("database unavailable");
  }
  return run_translated(ctx, route, request);
}

// What a storage failure leaves to do besides answering: a dead session is dropped (the
// next request reconnects), and the server's own words go to the log, never to the client.
void note_storage_failure(context::Context& ctx, const db::StorageError& e) {
  switch (e.failure()) {
    case db::Failure::connection_lost:
      // Still lost after the one reconnect (e.g. only a standby is reachable).
      ctx.mark_pg_broken();
      log::warn("postgres connection lost: " + e.detail());
      break;
    case db::Failure::commit_in_doubt:
      // The COMMIT was sent and its answer lost: the write is wholly applied or
      // wholly not (one transaction). Not retried: the client reads and decides.
      ctx.mark_pg_broken();
      log::warn("postgres commit in doubt: " + e.detail());
      break;
    case db::Failure::other:
      log::error("sql error: " + e.detail());
      break;
    case db::Failure::unique_violation:
    case db::Failure::foreign_key_violation:
    case db::Failure::check_violation:
      break;  // the client's doing, answered as such
  }
}

http::Response answer(const ApiError& e) {
  if (e.code() == ErrorCode::unavailable && e.retry_after() == 0) {
    // Every 503 tells the client when to come back.
    ApiError with = e;
    return http::to_response(with.with_retry_after(kRetryAfterSeconds));
  }
  return http::to_response(e);
}

}  // namespace

Outcome dispatch(context::Context& ctx, const http::Match& m, http::Request& request) {
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
    // The route's declared parameters, checked once for every route: a typo or a second
    // value never reaches a handler that would read the first one and go on.
    http::check_params(*m.route, request);
    out.response = run_with_reconnect(ctx, *m.route, request);
  } catch (const db::StorageError& e) {
    note_storage_failure(ctx, e);
    out.response = answer(e);
  } catch (const ApiError& e) {
    if (e.code() == ErrorCode::internal) log::error(std::string("internal error: ") + e.what());
    out.response = answer(e);
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
