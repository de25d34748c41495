#include "domain/credentials.h"

#include "common/error.h"
#include "common/hash.h"
#include "db/credentials_repo.h"

namespace ez::domain {

namespace {

// The tokens the settings hold (an empty one is not set and matches nothing).
std::vector<std::pair<TokenHolderKind, const std::string*>> configured_tokens(
    const config::Settings& s) {
  return {{TokenHolderKind::admin_token, &s.admin_token},
          {TokenHolderKind::internal_token, &s.internal_token}};
}

TokenHolderKind kind_of(db::StoredCredential k) {
  switch (k) {
    case db::StoredCredential::master_key:
      return TokenHolderKind::master_key;
    case db::StoredCredential::client_key:
      return TokenHolderKind::client_key;
  }
  return TokenHolderKind::client_key;
}

std::string describe(const TokenHolder& h) {
  switch (h.kind) {
    case TokenHolderKind::admin_token:
      return "the admin token";
    case TokenHolderKind::internal_token:
      return "the internal token";
    case TokenHolderKind::master_key:
      return "the key of master " + std::to_string(h.id);
    case TokenHolderKind::client_key:
      return "already key " + std::to_string(h.id);
  }
  return "another credential";
}

}  // namespace

TokenHolders find_token_holders(pqxx::transaction_base& tx, const config::Settings& settings,
                                const std::vector<std::string>& hashes) {
  TokenHolders out;
  if (hashes.empty()) return out;
  for (const auto& [kind, token] : configured_tokens(settings)) {
    if (token->empty()) continue;
    const std::string h = sha256_hex(*token);
    for (const auto& wanted : hashes)
      if (wanted == h) {
        out[h].push_back({kind, 0});
        break;
      }
  }
  for (auto& row : db::find_stored_credentials(tx, hashes))
    out[std::move(row.hash)].push_back({kind_of(row.kind), row.id});
  return out;
}

void refuse_held_token(const TokenHolders& holders, const std::string& hash,
                       const TokenHolder& self, const std::string& field) {
  auto it = holders.find(hash);
  if (it == holders.end()) return;
  for (const auto& h : it->second) {
    if (h.kind == self.kind && h.id == self.id && h.id != 0) continue;
    fail(ErrorCode::conflict, "this token is " + describe(h) + "; a token is one credential only",
         field);
  }
}

void require_free_token(pqxx::transaction_base& tx, const config::Settings& settings,
                        const std::string& hash, const TokenHolder& self,
                        const std::string& field) {
  refuse_held_token(find_token_holders(tx, settings, {hash}), hash, self, field);
}

}  // namespace ez::domain
