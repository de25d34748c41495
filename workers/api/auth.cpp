#include "api/auth.h"

#include <Poco/DigestEngine.h>
#include <Poco/JWT/JWTException.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/SHA2Engine.h>
#include <Poco/Timestamp.h>

#include "api/master_auth.h"
#include "http/error.h"

namespace ez::api {

using http::ApiError;
using http::ErrorCode;

bool equal_secret(const std::string& a, const std::string& b) {
  // Fold the length difference into the result instead of returning early.
  unsigned char diff = a.size() == b.size() ? 0 : 1;
  const size_t n = std::max(a.size(), b.size());
  for (size_t i = 0; i < n; ++i) {
    const unsigned char x = i < a.size() ? a[i] : 0;
    const unsigned char y = i < b.size() ? b[i] : 0;
    diff |= x ^ y;
  }
  return diff == 0;
}

std::string sha256_hex(const std::string& data) {
  Poco::SHA2Engine engine(Poco::SHA2Engine::SHA_256);
  engine.update(data);
  return Poco::DigestEngine::digestToHex(engine.digest());
}

std::string mint_admin_jwt(const std::string& secret, const std::string& subject,
                           std::chrono::seconds ttl) {
  Poco::JWT::Token token;
  token.setType("JWT");
  token.setSubject(subject);
  token.payload().set("role", std::string("admin"));
  Poco::Timestamp now;
  token.setIssuedAt(now);
  token.setExpiration(now + Poco::Timespan(ttl.count(), 0));
  Poco::JWT::Signer signer(secret);
  return signer.sign(token, Poco::JWT::Signer::ALGO_HS256);
}

std::string verify_admin_jwt(const std::string& secret, const std::string& jwt) {
  Poco::JWT::Signer signer(secret);  // accepts HS256 only by default
  Poco::JWT::Token token;
  try {
    if (!signer.tryVerify(jwt, token))
      throw ApiError(ErrorCode::unauthorized, "invalid token signature");
  } catch (const Poco::Exception&) {
    throw ApiError(ErrorCode::unauthorized, "malformed token");
  }
  if (!token.payload().has("exp")) throw ApiError(ErrorCode::unauthorized, "token has no expiry");
  if (token.getExpiration() < Poco::Timestamp())
    throw ApiError(ErrorCode::unauthorized, "token expired");
  if (token.payload().optValue<std::string>("role", "") != "admin")
    throw ApiError(ErrorCode::forbidden, "token does not carry role=admin");
  return token.getSubject();
}

namespace {

bool looks_like_jwt(const std::string& t) {
  return std::count(t.begin(), t.end(), '.') == 2;
}

}  // namespace

Actor require_admin(Context& ctx, const http::Request& req) {
  const auto token = req.bearer_token();
  if (!token) throw ApiError(ErrorCode::unauthorized, "missing bearer token");
  const auto& s = ctx.settings();
  if (!s.admin_token.empty() && equal_secret(*token, s.admin_token))
    return {"admin", "admin-token", 0};
  if (!s.internal_token.empty() && equal_secret(*token, s.internal_token))
    throw ApiError(ErrorCode::forbidden, "the internal token cannot call admin routes");
  if (looks_like_jwt(*token)) return {"admin", "jwt:" + verify_admin_jwt(s.jwt_secret, *token), 0};
  // A master's own key is good credentials on the wrong path: 403, not 401.
  if (is_master_key(ctx, *token))
    throw ApiError(ErrorCode::forbidden, "a master key cannot call admin routes");
  throw ApiError(ErrorCode::unauthorized, "invalid admin credentials");
}

Actor require_internal(Context& ctx, const http::Request& req) {
  const auto token = req.bearer_token();
  if (!token) throw ApiError(ErrorCode::unauthorized, "missing bearer token");
  const auto& s = ctx.settings();
  if (!s.internal_token.empty() && equal_secret(*token, s.internal_token))
    return {"internal", "internal", 0};
  if (!s.admin_token.empty() && equal_secret(*token, s.admin_token))
    throw ApiError(ErrorCode::forbidden, "this route takes the internal token");
  throw ApiError(ErrorCode::unauthorized, "invalid internal credentials");
}

Actor require_admin_or_internal(Context& ctx, const http::Request& req) {
  const auto token = req.bearer_token();
  if (token && !ctx.settings().internal_token.empty() &&
      equal_secret(*token, ctx.settings().internal_token))
    return {"internal", "internal", 0};
  return require_admin(ctx, req);
}

}  // namespace ez::api
