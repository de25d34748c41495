#include "api/auth.h"

#include <Poco/JWT/Signer.h>
#include <Poco/JWT/Token.h>

#include <boost/test/unit_test.hpp>
#include <chrono>
#include <functional>

#include "api/master_auth.h"
#include "context/context.h"
#include "http/error.h"

using ez::api::decode_base64url_strict;
using ez::api::verify_admin_jwt;
using ez::http::ApiError;

namespace {

const std::string kSecret = "unit-test-secret-of-at-least-32-characters";
const std::string kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

// The HTTP status a call ends with: 200 when it returns, the ApiError's otherwise.
int status_of(const std::function<void()>& f) {
  try {
    f();
    return 200;
  } catch (const ApiError& e) {
    return ez::http::http_status(e.code());
  }
}

// A token with chosen claims (seconds since the epoch; absent when nullopt).
std::string jwt_with(std::optional<long long> exp, std::optional<long long> nbf,
                     std::optional<long long> iat, const std::string& role = "admin",
                     const std::string& secret = kSecret) {
  Poco::JWT::Token token;
  token.setType("JWT");
  token.setSubject("unit");
  token.payload().set("role", role);
  if (exp) token.payload().set("exp", Poco::Int64(*exp));
  if (nbf) token.payload().set("nbf", Poco::Int64(*nbf));
  if (iat) token.payload().set("iat", Poco::Int64(*iat));
  return Poco::JWT::Signer(secret).sign(token, Poco::JWT::Signer::ALGO_HS256);
}

long long now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(auth)

BOOST_AUTO_TEST_CASE(base64url_decoding_is_strict_and_canonical) {
  BOOST_TEST(*decode_base64url_strict("") == "");
  BOOST_TEST(*decode_base64url_strict("Zm9v") == "foo");
  BOOST_TEST(*decode_base64url_strict("Zm8") == "fo");
  BOOST_TEST(*decode_base64url_strict("Zg") == "f");
  BOOST_TEST(*decode_base64url_strict("-_8") == std::string("\xfb\xff"));
  BOOST_TEST(!decode_base64url_strict("Zg=="));   // padding
  BOOST_TEST(!decode_base64url_strict("Zm8="));   // padding
  BOOST_TEST(!decode_base64url_strict("Zh"));     // trailing bits set: same byte as "Zg"
  BOOST_TEST(!decode_base64url_strict("Zm9"));    // trailing bits set: same bytes as "Zm8"
  BOOST_TEST(!decode_base64url_strict("+/8"));    // standard alphabet, not url
  BOOST_TEST(!decode_base64url_strict("Zm 9v"));  // whitespace
  BOOST_TEST(!decode_base64url_strict("Zm9vY"));  // 1 character left over is never valid
}

// Every position of the signature, every other character of the alphabet: never accepted
// (a lenient decoder accepted some changes of the last character).
BOOST_AUTO_TEST_CASE(every_changed_signature_character_is_refused) {
  const std::string jwt = ez::api::mint_admin_jwt(kSecret, "unit", std::chrono::minutes(5));
  BOOST_REQUIRE(verify_admin_jwt(kSecret, jwt) == "unit");
  const size_t sig = jwt.rfind('.') + 1;
  BOOST_REQUIRE_EQUAL(jwt.size() - sig, 43u);  // 32 bytes, unpadded
  int refused = 0, accepted = 0;
  for (size_t i = sig; i < jwt.size(); ++i)
    for (char c : kAlphabet + "=+/.") {
      if (c == jwt[i]) continue;
      std::string bad = jwt;
      bad[i] = c;
      (status_of([&] { (void)verify_admin_jwt(kSecret, bad); }) == 401 ? refused : accepted)++;
    }
  BOOST_TEST(accepted == 0);
  BOOST_TEST(refused == 43 * 67);
  BOOST_TEST(status_of([&] { (void)verify_admin_jwt(kSecret, jwt + "="); }) == 401);
  BOOST_TEST(status_of([&] { (void)verify_admin_jwt(kSecret, jwt + "A"); }) == 401);
}

BOOST_AUTO_TEST_CASE(time_claims) {
  const long long t = now_s();
  auto verify = [](const std::string& jwt) {
    return status_of([&] { (void)verify_admin_jwt(kSecret, jwt); });
  };
  BOOST_TEST(verify(jwt_with(t + 300, std::nullopt, t)) == 200);
  BOOST_TEST(verify(jwt_with(std::nullopt, std::nullopt, t)) == 401);   // no exp
  BOOST_TEST(verify(jwt_with(t - 1, std::nullopt, t - 100)) == 401);    // expired
  BOOST_TEST(verify(jwt_with(t + 300, t + 120, t)) == 401);             // before nbf
  BOOST_TEST(verify(jwt_with(t + 300, t - 1, t)) == 200);               // after nbf
  BOOST_TEST(verify(jwt_with(t + 300, std::nullopt, t + 30)) == 200);   // small skew
  BOOST_TEST(verify(jwt_with(t + 900, std::nullopt, t + 120)) == 401);  // iat 2 min ahead
  // nbf is honoured at the given instant, not only "now".
  const auto later = std::chrono::system_clock::now() + std::chrono::seconds(200);
  BOOST_TEST(verify_admin_jwt(kSecret, jwt_with(t + 300, t + 120, t), later) == "unit");
}

// Who gets 401 and who 403 on admin, internal and master routes.
BOOST_AUTO_TEST_CASE(auth_matrix_401_403) {
  ez::config::Settings s;
  s.jwt_secret = kSecret;
  s.admin_token = "admin-token-0123456789";
  s.internal_token = "internal-token-0123456789";
  ez::context::Context ctx(s);
  const long long t = now_s();
  const std::string admin_jwt = jwt_with(t + 300, std::nullopt, t);
  struct Case {
    std::string name;
    std::optional<std::string> token;
    int admin, internal, master;
  };
  const std::vector<Case> cases = {
      {"no token", std::nullopt, 401, 401, 401},
      {"garbage", "not-a-token", 401, 401, 401},
      {"three dots of nothing", "a.b.c", 401, 401, 401},
      {"admin token", s.admin_token, 200, 403, 403},
      {"internal token", s.internal_token, 403, 200, 403},
      {"admin jwt", admin_jwt, 200, 403, 403},
      {"jwt of another secret", jwt_with(t + 300, std::nullopt, t, "admin", std::string(40, 'z')),
       401, 401, 401},
      {"jwt without role=admin", jwt_with(t + 300, std::nullopt, t, "viewer"), 403, 403, 403},
      {"expired jwt", jwt_with(t - 10, std::nullopt, t - 100), 401, 401, 401},
      {"jwt before nbf", jwt_with(t + 300, t + 100, t), 401, 401, 401},
      {"jwt iat in the future", jwt_with(t + 900, std::nullopt, t + 600), 401, 401, 401},
  };
  for (const auto& c : cases) {
    BOOST_TEST_CONTEXT(c.name) {
      ez::http::Request req;
      if (c.token) req.headers["authorization"] = "Bearer " + *c.token;
      BOOST_TEST(status_of([&] { (void)ez::api::require_admin(ctx, req); }) == c.admin);
      BOOST_TEST(status_of([&] { (void)ez::api::require_internal(ctx, req); }) == c.internal);
      BOOST_TEST(status_of([&] { (void)ez::api::require_master(ctx, req); }) == c.master);
    }
  }
}

BOOST_AUTO_TEST_CASE(token_ttl_parsing) {
  using std::chrono::seconds;
  BOOST_TEST(ez::api::parse_token_ttl("90s")->count() == 90);
  BOOST_TEST(ez::api::parse_token_ttl("15m")->count() == 900);
  BOOST_TEST(ez::api::parse_token_ttl("1h")->count() == 3600);
  BOOST_TEST(ez::api::parse_token_ttl("7d")->count() == 7 * 86400);
  BOOST_TEST(ez::api::parse_token_ttl("600")->count() == 600);
  BOOST_TEST(ez::api::parse_token_ttl("366d")->count() == 366 * 86400);
  for (const char* bad :
       {"bogus", "", "0", "-5m", "1w", "1h30m", "367d", " 1h", "1.5h", "99999999999999999999"})
    BOOST_TEST(!ez::api::parse_token_ttl(bad), bad);
}

// The master rows of the matrix once the key is looked up (the lookup itself is the
// database's): unknown key 401, suspended master 403, active master its own principal.
BOOST_AUTO_TEST_CASE(master_keys_after_lookup) {
  BOOST_TEST(status_of([] { (void)ez::api::master_principal(std::nullopt); }) == 401);
  ez::db::MasterRow m;
  m.id = 42;
  m.status = "suspended";
  try {
    (void)ez::api::master_principal(m);
    BOOST_FAIL("a suspended master was let in");
  } catch (const ApiError& e) {
    BOOST_TEST(ez::http::http_status(e.code()) == 403);
    BOOST_TEST(std::string(e.what()).find("42") != std::string::npos);  // names the master
  }
  m.status = "active";
  const ez::api::MasterPrincipal p = ez::api::master_principal(m);
  BOOST_TEST(p.actor.kind == "master");
  BOOST_TEST(p.actor.name == "master:42");
  BOOST_TEST(p.actor.master_id == 42);
  BOOST_TEST(p.master.id == 42);
}

// Routes open to the balancer and to admins (/sync/...), the actor each caller becomes, and
// Authorization values that are not a bearer token at all.
BOOST_AUTO_TEST_CASE(admin_or_internal_routes_and_who_the_caller_is) {
  ez::config::Settings s;
  s.jwt_secret = kSecret;
  s.admin_token = "admin-token-0123456789";
  s.internal_token = "internal-token-0123456789";
  ez::context::Context ctx(s);
  const long long t = now_s();
  auto actor = [&](const std::optional<std::string>& authorization) {
    ez::http::Request req;
    if (authorization) req.headers["authorization"] = *authorization;
    try {
      return ez::api::require_admin_or_internal(ctx, req).name;
    } catch (const ApiError& e) {
      return std::to_string(ez::http::http_status(e.code()));
    }
  };
  BOOST_TEST(actor("Bearer " + s.admin_token) == "admin-token");
  BOOST_TEST(actor("Bearer " + s.internal_token) == "internal");
  BOOST_TEST(actor("Bearer " + jwt_with(t + 300, std::nullopt, t)) == "jwt:unit");
  BOOST_TEST(actor("Bearer " + jwt_with(t + 300, std::nullopt, t, "viewer")) == "403");
  BOOST_TEST(actor("Bearer " + jwt_with(t - 10, std::nullopt, t - 100)) == "401");
  BOOST_TEST(actor(std::nullopt) == "401");
  BOOST_TEST(actor("Bearer x" + s.admin_token) == "401");
  // Not "Bearer <token>": no credentials at all, whatever follows.
  BOOST_TEST(actor("Basic " + s.admin_token) == "401");
  BOOST_TEST(actor(s.admin_token) == "401");
  BOOST_TEST(actor("Bearer ") == "401");
  BOOST_TEST(actor("Bearer " + s.admin_token + " ") == "401");  // not the same secret
  // An empty configured token never matches an empty or any other credential.
  ez::config::Settings none = s;
  none.admin_token.clear();
  none.internal_token.clear();
  ez::context::Context bare(none);
  ez::http::Request req;
  req.headers["authorization"] = "Bearer " + s.admin_token;
  BOOST_TEST(status_of([&] { (void)ez::api::require_admin(bare, req); }) == 401);
  BOOST_TEST(status_of([&] { (void)ez::api::require_internal(bare, req); }) == 401);
}

BOOST_AUTO_TEST_SUITE_END()
