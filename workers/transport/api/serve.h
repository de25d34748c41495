// One FastCGI request, end to end: read it (to the end, whatever happens), route it,
// run the handler through dispatch(), write the answer. The process layer calls this
// through the application cmd/ builds (prefork/application.h); it never sees the API.
#pragma once

#include <fcgiapp.h>

#include <functional>
#include <string>

#include "context/context.h"
#include "http/router.h"

namespace ez::api {

struct ServeResult {
  std::string method;
  std::string path;
  std::string route;  // the matched pattern ("/providers/{id}") or "unmatched"
  int status = 0;
};

class FastcgiServer {
 public:
  // Called once routed, before the handler runs (the scoreboard shows the route of a
  // request in flight).
  using OnRouted = std::function<void(const std::string& method, const std::string& route)>;

  explicit FastcgiServer(context::Context& ctx);

  // Never throws; the caller finishes the request (FCGX_Finish_r).
  [[nodiscard]] ServeResult serve(FCGX_Request& request, const OnRouted& on_routed) noexcept;

  [[nodiscard]] const http::Router& router() const { return router_; }

 private:
  context::Context& ctx_;
  http::Router router_;
};

}  // namespace ez::api
