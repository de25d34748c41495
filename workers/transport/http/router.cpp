#include "http/router.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

namespace ez::http {
namespace {

std::vector<std::string> split(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;  // paths begin with '/'
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  // "/providers/" and "/providers" are the same route.
  if (!out.empty() && out.back().empty()) out.pop_back();
  return out;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler) {
  Route r{std::move(method), std::move(pattern), std::move(handler), {}};
  r.segments = split(r.pattern);
  routes_.push_back(std::move(r));
}

Match Router::match(Request& request) const {
  Match m;
  // Split the encoded path, then decode each segment: "/models/ns.a%2Fb" is two
  // segments, the second being "ns.a/b".
  const std::string& routed = request.raw_path.empty() ? request.path : request.raw_path;
  if (routed.empty() || routed[0] != '/') return m;
  auto parts = split(routed);
  if (!request.raw_path.empty()) {
    for (auto& part : parts) {
      std::string decoded;
      try {
        Poco::URI::decode(part, decoded);
      } catch (const Poco::Exception&) {
        return m;  // malformed escape: no route matches
      }
      part = std::move(decoded);
    }
  }
  for (const auto& route : routes_) {
    if (route.segments.size() != parts.size()) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    for (size_t i = 0; i < parts.size() && ok; ++i) {
      const auto& seg = route.segments[i];
      if (is_param(seg)) {
        if (parts[i].empty())
          ok = false;
        else
          params[seg.substr(1, seg.size() - 2)] = parts[i];
      } else if (seg != parts[i]) {
        ok = false;
      }
    }
    if (!ok) continue;
    m.path_matched = true;
    // HEAD is served by the GET handler (nginx drops the body).
    const bool method_ok =
        route.method == request.method || (request.method == "HEAD" && route.method == "GET");
    if (method_ok && !m.route) {
      m.route = &route;
      request.params = std::move(params);
    }
    if (m.allowed.find(route.method) == std::string::npos)
      m.allowed += (m.allowed.empty() ? "" : ", ") + route.method;
  }
  return m;
}

}  // namespace ez::http
