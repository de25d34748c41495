// Who is calling. Admin: the static admin token or an HS256 JWT (role=admin, exp)
// signed with auth.jwt_secret. Internal: the balancer's token. Master: the
// master's own key (masters.cpp resolves it against the database).
#pragma once

#include <chrono>
#include <string>

#include "api/context.h"
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
[[nodiscard]] Actor require_admin(Context& ctx, const http::Request& req);
[[nodiscard]] Actor require_internal(Context& ctx, const http::Request& req);
[[nodiscard]] Actor require_admin_or_internal(Context& ctx, const http::Request& req);

// Mints an admin JWT (ezapi-ctl token). Pure.
[[nodiscard]] std::string mint_admin_jwt(const std::string& secret, const std::string& subject,
                                         std::chrono::seconds ttl);
// Verifies signature, role=admin and expiry; returns the subject or throws ApiError(401).
[[nodiscard]] std::string verify_admin_jwt(const std::string& secret, const std::string& token);

// sha256 in lowercase hex (the token digest the balancer validates against).
[[nodiscard]] std::string sha256_hex(const std::string& data);

}  // namespace ez::api
