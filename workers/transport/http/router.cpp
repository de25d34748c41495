#include "http/router.h"

#include <Poco/Exception.h>
#include <Poco/URI.h>

#include <set>

#include "common/json_text.h"
#include "common/text.h"
#include "http/error.h"

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

// Client text in a message: printable ASCII only, and short.
std::string shown(std::string_view name) {
  std::string out;
  for (unsigned char c : name.substr(0, 64)) out += (c >= 0x20 && c < 0x7f) ? char(c) : '?';
  return out;
}

bool is_text(std::string_view v) {
  return v.find('\0') == std::string_view::npos && is_valid_utf8(v);
}

}  // namespace

void check_params(const Route& route, const Request& request) {
  for (const auto& [name, value] : request.params)
    if (!is_text(value))
      fail(ErrorCode::bad_request, "path parameter " + name + " must be UTF-8 text without NUL",
           name);
  std::set<std::string> seen;
  for (const auto& [name, value] : request.query) {
    const QueryParam* spec = nullptr;
    for (const auto& p : route.query)
      if (p.name == name) spec = &p;
    if (!spec) {
      std::string known;
      for (const auto& p : route.query) known += (known.empty() ? "" : ", ") + p.name;
      fail(ErrorCode::bad_request,
           "unknown query parameter '" + shown(name) + "' (" +
               (known.empty() ? std::string("this route takes none") : "known: " + known) + ")",
           shown(name));
    }
    if (!seen.insert(name).second && !spec->repeatable)
      fail(ErrorCode::bad_request, "query parameter " + name + " is given more than once", name);
    if (value.empty()) fail(ErrorCode::bad_request, name + " must not be empty", name);
    if (!is_text(value))
      fail(ErrorCode::bad_request, name + " must be UTF-8 text without NUL", name);
    switch (spec->type) {
      case ParamType::text:
        break;
      case ParamType::integer:
        if (!parse_int64(value)) fail(ErrorCode::bad_request, name + " must be an integer", name);
        break;
      case ParamType::boolean:
        if (value != "true" && value != "false" && value != "1" && value != "0")
          fail(ErrorCode::bad_request, name + " must be true or false", name);
        break;
    }
  }
}

void Router::add(std::string method, std::string pattern, Handler handler, QuerySpec query) {
  Route r{std::move(method), std::move(pattern), std::move(handler), {}, std::move(query)};
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
