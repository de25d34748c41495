// A cheap check that Redis still holds everything PostgreSQL says it should:
// the number of fields of every snapshot hash, compared with the row counts
// behind it. It catches a partial loss (`DEL config:keys`, an eviction, an
// operator's mistake) that meta:snapshot alone cannot see, since the version
// survives it. Compared only at a quiet moment — no outbox row pending and
// Redis at least at the version PostgreSQL last pushed — so a write in flight
// is never taken for a loss.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ez::snapshot {

// Expected (PostgreSQL) or found (Redis) fields per snapshot key.
struct Fingerprint {
  int64_t version = 0;   // PostgreSQL: pushed_version; Redis: meta:snapshot version
  bool present = true;   // Redis: meta:snapshot exists
  bool pending = false;  // PostgreSQL: outbox rows wait to be pushed
  std::map<std::string, int64_t> fields;  // Redis key -> HLEN / row count
};

// A count that PostgreSQL only knows as "some" (the keys count is taken only
// every few ticks; in between only whether any key exists).
inline constexpr int64_t kSomeRows = -1;

// Whether the moment is quiet enough to compare the counts at all.
[[nodiscard]] bool comparable(const Fingerprint& postgres, const Fingerprint& redis);

// The Redis keys whose field count disagrees with PostgreSQL, in key order;
// empty when they agree or when the moment is not quiet enough to judge
// (pending rows; Redis behind or without meta:snapshot — the version check
// handles those).
[[nodiscard]] std::vector<std::string> diverged(const Fingerprint& postgres,
                                                const Fingerprint& redis);

}  // namespace ez::snapshot
