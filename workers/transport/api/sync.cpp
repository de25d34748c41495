// POST /sync/snapshot: rebuild every Redis snapshot key from PostgreSQL and
// swap it in atomically (snapshot/resync.cpp). Admin or internal token.
#include "snapshot/sync.h"

#include "api/auth.h"
#include "api/routes.h"
#include "context/context.h"
#include "http/error.h"
#include "http/response.h"
#include "redisx/redis.h"

namespace ez::api {

namespace {

http::Response sync_snapshot(context::Context& ctx, http::Request& req) {
  (void)require_admin_or_internal(ctx, req);
  try {
    return http::json(200, snapshot::resync(ctx).to_json());
  } catch (const redisx::RedisError&) {
    throw http::ApiError(http::ErrorCode::unavailable, "redis unavailable");
  }
}

}  // namespace

void register_sync_routes(http::Router& r) {
  r.add("POST", "/sync/snapshot", sync_snapshot);
}

}  // namespace ez::api
