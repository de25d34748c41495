#include "snapshot/fingerprint.h"

namespace ez::snapshot {

bool comparable(const Fingerprint& postgres, const Fingerprint& redis) {
  // Redis behind PostgreSQL is the version check's case (lost writes). Redis
  // ahead with nothing pending is a push or resync whose PostgreSQL commit is
  // still on its way: its rows are already in PostgreSQL, so the counts agree.
  return !postgres.pending && redis.present && redis.version >= postgres.version;
}

std::vector<std::string> diverged(const Fingerprint& postgres, const Fingerprint& redis) {
  std::vector<std::string> out;
  if (!comparable(postgres, redis)) return out;
  for (const auto& [key, expected] : postgres.fields) {
    const auto it = redis.fields.find(key);
    const int64_t found = it == redis.fields.end() ? 0 : it->second;
    const bool ok = expected == kSomeRows ? found > 0 : found == expected;
    if (!ok) out.push_back(key);
  }
  return out;
}

}  // namespace ez::snapshot
