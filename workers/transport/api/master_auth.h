// Authentication of a master by its own key (the /master/* self-service
// routes). The key is looked up by sha256_hex(token) against masters.key_hash:
// the plaintext is never stored, and comparing digests leaks nothing useful.
//
// The auth matrix this implements (with require_admin in auth.cpp):
//   /master/*  no/unknown token -> 401; admin token, admin JWT or internal token
//              -> 403; suspended master -> 403; active master -> its Actor.
//   /admin/*   a master key -> 403 (require_admin asks is_master_key).
#pragma once

#include <optional>
#include <string>

#include "api/auth.h"
#include "context/context.h"
#include "db/masters_repo.h"
#include "http/request.h"

namespace ez::api {

struct MasterPrincipal {
  Actor actor;  // kind "master", name "master:<id>", master_id
  db::MasterRow master;
};

// 401 / 403 as above. The master row is read in its own short transaction;
// writes re-check the status under their row lock.
[[nodiscard]] MasterPrincipal require_master(context::Context& ctx, const http::Request& req);

// The decision once the key was looked up, pure: no master -> 401, a suspended one -> 403,
// an active one -> its principal.
[[nodiscard]] MasterPrincipal master_principal(std::optional<db::MasterRow> master);

// True when `token` is the key of an existing master (any status). Never
// throws: a database failure reads as "no", so a bad admin token still gets 401
// rather than 503. Tokens that cannot be master keys skip the database.
[[nodiscard]] bool is_master_key(context::Context& ctx, const std::string& token);

}  // namespace ez::api
