// A key's quota as the usage API reports it beside the key's usage (the usage API
// reports each key's consumption against its quota). The numbers are the key's own fields
// (sql/007: set by the import from New API and by the key API), in the source system's
// quota units; the gateway does not convert its cost into those units (README: "Usage").
#pragma once

#include <cstdint>
#include <optional>

namespace ez::usage {

struct KeyQuota {
  int64_t limit = 0;
  int64_t used = 0;
  bool unlimited = true;
};

// What is left: limit - used, never below 0 (an exhausted key has 0 left, not a debt);
// nullopt for an unlimited key, whose limit means nothing.
[[nodiscard]] constexpr std::optional<int64_t> quota_remaining(const KeyQuota& q) {
  if (q.unlimited) return std::nullopt;
  return q.used >= q.limit ? 0 : q.limit - q.used;
}

}  // namespace ez::usage
