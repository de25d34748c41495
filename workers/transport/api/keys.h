// How a key write answers, shared by the admin routes (keys.cpp) and the master
// self-service routes (master_self.cpp). The writes themselves are the key service's
// (domain/keys.h).
#pragma once

#include <json/value.h>

#include <cstdint>
#include <string>

#include "api/auth.h"
#include "db/keys_repo.h"
#include "domain/keys.h"

namespace ez::api {

// The key's JSON as a write answers it: db::to_json plus "warnings" (an array
// of sentences) when key_warnings() has any, e.g. an empty enabled allowlist.
[[nodiscard]] Json::Value key_write_json(const db::KeyRow& k);

// key_write_json plus "key": the plaintext secret (creation and rotation only).
[[nodiscard]] Json::Value key_json_with_secret(const domain::IssuedKey& k);

}  // namespace ez::api
