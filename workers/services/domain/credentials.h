// One token, one credential. A bearer token is looked up by its sha256 in several places
// (the balancer's config:keys, masters.key_hash for /master/*, the configured admin and
// internal tokens), so a token that is two credentials at once is a privilege leak: a
// master key imported as a client key works at the balancer as another tenant's key. Every
// path that sets a token (issuing a key, creating or rotating a master, the import) calls
// require_free_token() (or, in bulk, find_token_holders() + refuse_held_token()) before
// writing it.
//
// Adding a kind of credential (personal tokens, sessions) is one line: a value of
// db::StoredCredential and its branch of the lookup in db/credentials_repo.cpp for a
// table, or one entry in configured_tokens() in credentials.cpp for a setting. Nothing
// here or in the callers changes.
#pragma once

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/config.h"

namespace ez::domain {

enum class TokenHolderKind { admin_token, internal_token, master_key, client_key };

struct TokenHolder {
  TokenHolderKind kind = TokenHolderKind::client_key;
  int64_t id = 0;  // the row, for master and client keys (0: a row not written yet)
};

// Every holder of each token, by the token's sha256 hex.
using TokenHolders = std::unordered_map<std::string, std::vector<TokenHolder>>;

// The holders of `hashes` among the configured tokens of `settings` and every table of
// tokens. Hashes nobody holds are absent.
[[nodiscard]] TokenHolders find_token_holders(pqxx::transaction_base& tx,
                                              const config::Settings& settings,
                                              const std::vector<std::string>& hashes);

// Throws a 409 conflict naming `field` when anything but `self` holds `hash`. The message
// says which kind of credential holds it, never the token.
void refuse_held_token(const TokenHolders& holders, const std::string& hash,
                       const TokenHolder& self, const std::string& field);

// Both steps for one token.
void require_free_token(pqxx::transaction_base& tx, const config::Settings& settings,
                        const std::string& hash, const TokenHolder& self, const std::string& field);

}  // namespace ez::domain
