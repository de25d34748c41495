// Method + path pattern -> handler. Patterns are literal segments and {name}
// parameters: "/providers/{id}". The route's pattern doubles as its metrics label
// so that /providers/1 and /providers/2 count as one route.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "http/request.h"
#include "http/response.h"

namespace ez::context {
class Context;
}

namespace ez::http {

using Handler = std::function<Response(ez::context::Context&, Request&)>;

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
  std::vector<std::string> segments;  // split pattern
};

struct Match {
  const Route* route = nullptr;  // set when the path and method matched
  bool path_matched = false;     // path known but method not: 405
  std::string allowed;           // "GET, PUT" for the Allow header
};

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler);
  // Fills request.params on a match.
  [[nodiscard]] Match match(Request& request) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace ez::http
