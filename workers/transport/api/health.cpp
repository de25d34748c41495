// /healthz: the process answers. /readyz: PostgreSQL and Redis answer; a 503
// names which one does not, so an operator knows where to look.
#include "api/routes.h"
#include "context/context.h"
#include "http/error.h"
#include "http/response.h"

namespace ez::api {

namespace {

http::Response healthz(context::Context&, http::Request&) {
  Json::Value body(Json::objectValue);
  body["status"] = "ok";
  return http::json(200, body);
}

http::Response readyz(context::Context& ctx, http::Request&) {
  Json::Value body(Json::objectValue);
  Json::Value checks(Json::objectValue);
  std::string why;
  bool ok = true;
  auto check = [&](const char* name, bool up) {
    Json::Value c(Json::objectValue);
    c["ok"] = up;
    if (!up) {
      c["error"] = why;
      ok = false;
    }
    checks[name] = c;
    why.clear();
  };
  check("postgres", ctx.pg().ping(&why));
  check("redis", ctx.redis().ping(&why));
  body["status"] = ok ? "ready" : "not_ready";
  body["checks"] = checks;
  if (!ok) {
    std::string down;
    for (const auto& name : checks.getMemberNames())
      if (!checks[name]["ok"].asBool()) down += (down.empty() ? "" : ", ") + name;
    body["error"] = "unavailable: " + down;
    body["code"] = "unavailable";
  }
  http::Response r = http::json(ok ? 200 : 503, body);
  if (!ok) r.header("Retry-After", std::to_string(http::kDefaultRetryAfterSeconds));
  return r;
}

}  // namespace

void register_health_routes(http::Router& r) {
  r.add("GET", "/healthz", healthz);
  r.add("GET", "/readyz", readyz);
}

}  // namespace ez::api
