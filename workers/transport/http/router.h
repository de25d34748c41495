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

// What the one check (check_params) reads a declared query parameter as: any UTF-8 text, an
// integer (int64), or a boolean (true, false, 1, 0). Finer rules (ranges, enums, times) stay
// with the handler's parser; the names, types and repetition are declared once, here.
enum class ParamType { text, integer, boolean };

struct QueryParam {
  std::string name;
  ParamType type = ParamType::text;
  bool repeatable = false;  // given several times, every value counts (e.g. map_type)
};

// Every query parameter a route takes; an empty spec takes none.
using QuerySpec = std::vector<QueryParam>;

struct Route {
  std::string method;
  std::string pattern;
  Handler handler;
  std::vector<std::string> segments;  // split pattern
  QuerySpec query;
};

struct Match {
  const Route* route = nullptr;  // set when the path and method matched
  bool path_matched = false;     // path known but method not: 405
  std::string allowed;           // "GET, PUT" for the Allow header
};

class Router {
 public:
  void add(std::string method, std::string pattern, Handler handler, QuerySpec query = {});
  // Fills request.params on a match.
  [[nodiscard]] Match match(Request& request) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

// 400 bad_request naming the parameter, before the handler runs: a query parameter the route
// does not declare, a declared one given twice (unless repeatable) or empty, a value that is
// not UTF-8 text without NUL or not of its type; a path parameter that is not UTF-8 text
// without NUL (both reach SQL as text, where PostgreSQL refuses such bytes).
void check_params(const Route& route, const Request& request);

}  // namespace ez::http
