// Digests over Poco, once.
#pragma once

#include <string>

namespace ez {

// sha256 in lowercase hex: the token digest the balancer validates keys against, and
// the fingerprint of snapshot payloads.
[[nodiscard]] std::string sha256_hex(const std::string& data);

}  // namespace ez
