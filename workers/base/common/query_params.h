// Decoded query parameters ("?a=1&b=x"), as services read filters and windows from
// them without knowing the transport that carried them.
#pragma once

#include <map>
#include <optional>
#include <string>

namespace ez {

using QueryParams = std::multimap<std::string, std::string>;

// The first value of `name`, if present.
[[nodiscard]] inline std::optional<std::string> query_param(const QueryParams& query,
                                                            const std::string& name) {
  auto it = query.find(name);
  if (it == query.end()) return std::nullopt;
  return it->second;
}

}  // namespace ez
