// Who is calling. Admin: the static admin token or an HS256 JWT (role=admin, exp)
// signed with auth.jwt_secret. Internal: the balancer's token. Master: the
// master's own key (masters.cpp resolves it against the database).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/hash.h"
#include "context/context.h"
#include "http/request.h"

namespace ez::api {

struct Actor {
  std::string kind;  // "admin", "internal", "master"
  std::string name;  // "admin-token", "jwt:<sub>", "internal", "master:<id>"
  long long master_id = 0;
};

// Constant-time comparison: the time taken does not depend on where they differ.
[[nodiscard]] bool equal_secret(const std::string& a, const std::string& b);

// 401 when missing/bad, 403 when valid credentials of another kind.
[[nodiscard]] Actor require_admin(context::Context& ctx, const http::Request& req);
[[nodiscard]] Actor require_internal(context::Context& ctx, const http::Request& req);
[[nodiscard]] Actor require_admin_or_internal(context::Context& ctx, const http::Request& req);

// Mints an admin JWT (ezapi-ctl token). Pure.
[[nodiscard]] std::string mint_admin_jwt(const std::string& secret, const std::string& subject,
                                         std::chrono::seconds ttl);
// A token lifetime as `ezapi-ctl token --ttl` takes it: a positive whole number with an
// optional unit s, m, h or d ("90s", "15m", "1h", "7d", "600"), at most 366 days.
[[nodiscard]] std::optional<std::chrono::seconds> parse_token_ttl(std::string_view text);
inline constexpr const char* kTokenTtlHelp =
    "a positive whole number with an optional unit s, m, h or d (90s, 15m, 1h, 7d), at most 366d";

// Verifies the encoding (strict base64url, see below), signature, role=admin, exp,
// nbf and iat (at most kJwtIatLeewaySeconds ahead of `now`); returns the subject or
// throws ApiError(401), or 403 for a valid token without role=admin.
inline constexpr long long kJwtIatLeewaySeconds = 60;
[[nodiscard]] std::string verify_admin_jwt(
    const std::string& secret, const std::string& token,
    std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// Unpadded base64url (RFC 7515 §2) in its one canonical spelling: no padding, no
// characters outside [A-Za-z0-9_-], unused trailing bits zero. nullopt otherwise.
[[nodiscard]] std::optional<std::string> decode_base64url_strict(std::string_view text);

using ez::sha256_hex;  // common/hash.h: the token digest the balancer validates against

}  // namespace ez::api
