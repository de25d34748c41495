#pragma once

#include "context/context.h"
#include "http/router.h"

namespace ez::api {

struct Outcome {
  http::Response response;
  std::string route;  // the matched pattern ("/providers/{id}") or "unmatched"
};

// Route, run the handler, and answer every failure in one place: ApiError as is
// (a storage failure the services translated with db/errors.h among them, and a
// pqxx exception that escaped translated here by the same table), a lost database
// or Redis connection as 503, any other database error as 409/400 where the
// client caused it and 500 otherwise — never with SQL or internals in the body.
[[nodiscard]] Outcome dispatch(context::Context& ctx, const http::Router& router,
                               http::Request& request);
// The same, for a caller that already matched the route (the worker does, to
// show the route on the scoreboard while the handler runs).
[[nodiscard]] Outcome dispatch(context::Context& ctx, const http::Match& match,
                               http::Request& request);

}  // namespace ez::api
