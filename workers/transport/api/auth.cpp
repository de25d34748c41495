#include "api/auth.h"

#include <Poco/DigestEngine.h>
#include <Poco/JWT/JWTException.h>
#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>
#include <Poco/SHA2Engine.h>
#include <Poco/Timestamp.h>

#include <charconv>
#include <cstdint>

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

std::optional<std::chrono::seconds> parse_token_ttl(std::string_view text) {
  long long n = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, n);
  if (ec != std::errc() || ptr == text.data() || n <= 0) return std::nullopt;
  const std::string_view unit(ptr, static_cast<size_t>(end - ptr));
  const long long mult = unit.empty() || unit == "s" ? 1
                         : unit == "m"               ? 60
                         : unit == "h"               ? 3600
                         : unit == "d"               ? 86400
                                                     : 0;
  constexpr long long kMax = 366LL * 86400;
  if (mult == 0 || n > kMax / mult) return std::nullopt;
  return std::chrono::seconds(n * mult);
}

std::optional<std::string> decode_base64url_strict(std::string_view text) {
  // Exactly one spelling per byte string: RFC 7515 §2 unpadded base64url with zero
  // trailing bits. A lenient decoder maps several spellings to one value, so a
  // changed last character of a signature could still verify.
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    const int v = value(c);
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  // 2 or 4 bits left over: they must be zero in the canonical encoding.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string verify_admin_jwt(const std::string& secret, const std::string& jwt,
                             std::chrono::system_clock::time_point now) {
  size_t segments = 0;
  for (size_t start = 0;; ++segments) {
    const size_t dot = jwt.find('.', start);
    const std::string_view seg(jwt.data() + start,
                               (dot == std::string::npos ? jwt.size() : dot) - start);
    if (seg.empty() || !decode_base64url_strict(seg))
      throw ApiError(ErrorCode::unauthorized, "malformed token");
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (segments != 2) throw ApiError(ErrorCode::unauthorized, "malformed token");

  Poco::JWT::Signer signer(secret);  // accepts HS256 only by default
  Poco::JWT::Token token;
  try {
    if (!signer.tryVerify(jwt, token))
      throw ApiError(ErrorCode::unauthorized, "invalid token signature");
  } catch (const Poco::Exception&) {
    throw ApiError(ErrorCode::unauthorized, "malformed token");
  }
  const auto& claims = token.payload();
  auto seconds = [&](const char* claim) -> std::optional<long long> {
    if (!claims.has(claim)) return std::nullopt;
    try {
      return claims.getValue<Poco::Int64>(claim);
    } catch (const Poco::Exception&) {
      throw ApiError(ErrorCode::unauthorized,
                     std::string("token claim ") + claim + " is not a number");
    }
  };
  const long long t =
      std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  const auto exp = seconds("exp");
  if (!exp) throw ApiError(ErrorCode::unauthorized, "token has no expiry");
  if (*exp <= t) throw ApiError(ErrorCode::unauthorized, "token expired");
  if (const auto nbf = seconds("nbf"); nbf && t < *nbf)
    throw ApiError(ErrorCode::unauthorized, "token not valid yet (nbf)");
  // A clock a little ahead on the minting host is normal; a minute is not.
  if (const auto iat = seconds("iat"); iat && *iat > t + kJwtIatLeewaySeconds)
    throw ApiError(ErrorCode::unauthorized, "token issued in the future (iat)");
  if (token.payload().optValue<std::string>("role", "") != "admin")
    throw ApiError(ErrorCode::forbidden, "token does not carry role=admin");
  return token.getSubject();
}

namespace {

bool looks_like_jwt(const std::string& t) {
  return std::count(t.begin(), t.end(), '.') == 2;
}

}  // namespace

Actor require_admin(context::Context& ctx, const http::Request& req) {
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

Actor require_internal(context::Context& ctx, const http::Request& req) {
  const auto token = req.bearer_token();
  if (!token) throw ApiError(ErrorCode::unauthorized, "missing bearer token");
  const auto& s = ctx.settings();
  if (!s.internal_token.empty() && equal_secret(*token, s.internal_token))
    return {"internal", "internal", 0};
  if (!s.admin_token.empty() && equal_secret(*token, s.admin_token))
    throw ApiError(ErrorCode::forbidden, "this route takes the internal token");
  // Good credentials of another kind are a 403 here too, as on admin and master routes
  // (verify_admin_jwt throws 401 for a bad JWT).
  if (looks_like_jwt(*token)) {
    (void)verify_admin_jwt(s.jwt_secret, *token);
    throw ApiError(ErrorCode::forbidden, "this route takes the internal token");
  }
  if (is_master_key(ctx, *token))
    throw ApiError(ErrorCode::forbidden, "this route takes the internal token");
  throw ApiError(ErrorCode::unauthorized, "invalid internal credentials");
}

Actor require_admin_or_internal(context::Context& ctx, const http::Request& req) {
  const auto token = req.bearer_token();
  if (token && !ctx.settings().internal_token.empty() &&
      equal_secret(*token, ctx.settings().internal_token))
    return {"internal", "internal", 0};
  return require_admin(ctx, req);
}

}  // namespace ez::api
