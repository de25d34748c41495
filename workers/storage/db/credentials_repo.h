// Every table that holds bearer tokens, looked up together by the tokens' sha256: the
// rows a new token must not collide with (domain/credentials.h decides what a hit means).
#pragma once

#include <cstdint>
#include <pqxx/pqxx>
#include <string>
#include <vector>

namespace ez::db {

// The tables of tokens. A new one (personal tokens, sessions) is one more value here and
// one more branch of the lookup's UNION in credentials_repo.cpp.
enum class StoredCredential { master_key, client_key };

struct StoredCredentialRow {
  StoredCredential kind = StoredCredential::client_key;
  int64_t id = 0;
  std::string hash;  // sha256 hex of the token
};

// The rows of every token table whose hash is one of `hashes` (sha256 hex).
[[nodiscard]] std::vector<StoredCredentialRow> find_stored_credentials(
    pqxx::transaction_base& tx, const std::vector<std::string>& hashes);

}  // namespace ez::db
