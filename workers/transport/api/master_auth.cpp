#include "api/master_auth.h"

#include <algorithm>

#include "common/log.h"
#include "db/errors.h"
#include "domain/key_rules.h"
#include "domain/keys.h"
#include "http/error.h"

namespace ez::api {

using namespace ez::domain;  // validation and domain rules (services/domain)

using http::ApiError;
using http::ErrorCode;

namespace {

std::optional<db::MasterRow> lookup(context::Context& ctx, const std::string& token) {
  if (!looks_like_master_key(token)) return std::nullopt;
  return domain::find_master_by_key_hash(ctx, sha256_hex(token));
}

}  // namespace

MasterPrincipal require_master(context::Context& ctx, const http::Request& req) {
  const auto token = req.bearer_token();
  if (!token) throw ApiError(ErrorCode::unauthorized, "missing bearer token");
  const auto& s = ctx.settings();
  if (!s.admin_token.empty() && equal_secret(*token, s.admin_token))
    throw ApiError(ErrorCode::forbidden, "the admin token cannot call /master routes");
  if (!s.internal_token.empty() && equal_secret(*token, s.internal_token))
    throw ApiError(ErrorCode::forbidden, "the internal token cannot call /master routes");
  if (std::count(token->begin(), token->end(), '.') == 2) {
    // A valid admin JWT is good credentials on the wrong path; a bad one is 401
    // (verify_admin_jwt throws it).
    (void)verify_admin_jwt(s.jwt_secret, *token);
    throw ApiError(ErrorCode::forbidden, "an admin token cannot call /master routes");
  }
  return master_principal(lookup(ctx, *token));
}

MasterPrincipal master_principal(std::optional<db::MasterRow> master) {
  if (!master) throw ApiError(ErrorCode::unauthorized, "invalid master key");
  if (master->status != "active")
    throw ApiError(ErrorCode::forbidden, "master " + std::to_string(master->id) + " is suspended");
  MasterPrincipal p;
  p.actor = {"master", "master:" + std::to_string(master->id), master->id};
  p.master = std::move(*master);
  return p;
}

bool is_master_key(context::Context& ctx, const std::string& token) {
  try {
    return lookup(ctx, token).has_value();
  } catch (const db::StorageError& e) {
    if (e.session_lost()) ctx.mark_pg_broken();
    log::warn(std::string("master key lookup failed: ") + e.what());
  } catch (const std::exception& e) {
    log::warn(std::string("master key lookup failed: ") + e.what());
  }
  return false;
}

}  // namespace ez::api
